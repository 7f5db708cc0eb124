import { Flags } from '@oclif/core'
import { listRuns, resolveStateDir } from '../../state/journal.js'
import { renderTable } from '../../render/table.js'
import { VirtfleetCommand } from '../../cli/base.js'
import { journalFlags } from '../../cli/flags.js'

export default class Runs extends VirtfleetCommand {
  static override summary = 'List past runs from the local journal (newest first).'
  static override examples = ['<%= config.bin %> runs', '<%= config.bin %> runs --json']
  static override flags = {
    ...journalFlags,
    json: Flags.boolean({ summary: 'JSON output.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Runs)
    const rows = listRuns(resolveStateDir({ stateDir: flags['state-dir'] }))
    if (flags.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
      return
    }
    process.stdout.write(
      renderTable(
        ['RUN', 'COMMAND', 'STARTED', 'STATUS', 'EXIT', 'HOSTS'],
        rows.map((r) => [
          r.id,
          r.command,
          r.started ?? '',
          r.status,
          r.exitCode === undefined ? '' : String(r.exitCode),
          String(Array.isArray(r.hosts) ? r.hosts.length : r.hosts),
        ]),
      ) + '\n',
    )
  }
}
