import { writeFileSync } from 'node:fs'
import { Args, Flags } from '@oclif/core'
import { VirtfleetCommand } from '../../cli/base.js'
import { journalFlags } from '../../cli/flags.js'
import { UsageError } from '../../core/errors.js'
import { renderHtmlReport } from '../../render/html-report.js'
import { reportToJson } from '../../render/json.js'
import { renderSummary } from '../../render/summary.js'
import { readRun, reportFromJournal, resolveStateDir } from '../../state/journal.js'

export default class RunsShow extends VirtfleetCommand {
  static override summary = 'Show one run from the journal: its report as a table, JSON, or a self-contained HTML page with a timeline.'
  static override examples = ['<%= config.bin %> runs show 20261125T031800Z-ab12cd', '<%= config.bin %> runs show 20261125T031800Z-ab12cd --html report.html']
  static override args = { id: Args.string({ required: true, description: 'Run id (see `virtfleet runs`).' }) }
  static override flags = {
    ...journalFlags,
    json: Flags.boolean({ summary: 'JSON report.' }),
    html: Flags.string({ summary: 'Write a self-contained HTML report (timeline + table) to this file.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RunsShow)
    const records = readRun(resolveStateDir({ stateDir: flags['state-dir'] }), args.id)
    const report = reportFromJournal(records)
    if (!report) throw new UsageError(`run ${args.id} has no report yet (it never started a host)`)
    if (flags.html) {
      const events = records.flatMap((r) => (r.type === 'event' ? [r.event] : []))
      writeFileSync(flags.html, renderHtmlReport(report, events))
      process.stderr.write(`wrote ${flags.html}\n`)
    }
    if (flags.json) process.stdout.write(reportToJson(report) + '\n')
    else if (!flags.html) process.stdout.write(renderSummary(report, { color: !!process.stdout.isTTY }) + '\n')
  }
}
