import { Args } from '@oclif/core'
import { VirtfleetCommand } from '../cli/base.js'
import { journalFlags, replayOutputFlags } from '../cli/flags.js'
import { retryReplay, runHeader, withOutput } from '../cli/replay-run.js'
import { failedHosts, readRun, resolveStateDir } from '../state/journal.js'

export default class Retry extends VirtfleetCommand {
  static override summary = 'Run a past run again on its failed hosts only (as `--limit @failed`), as a new run.'
  static override examples = ['<%= config.bin %> retry 20261125T031800Z-ab12cd']
  static override args = { id: Args.string({ required: true, description: 'Run id (see `virtfleet runs`).' }) }
  static override flags = { ...journalFlags, ...replayOutputFlags }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Retry)
    const records = readRun(resolveStateDir({ stateDir: flags['state-dir'] }), args.id)
    const header = runHeader(records, args.id)
    const failed = failedHosts(records)
    if (failed.length === 0) {
      process.stderr.write(`virtfleet: run ${args.id} has no failed hosts: nothing to retry\n`)
      return
    }
    const replay = retryReplay(header, failed)
    await this.config.runCommand(replay.command, withOutput(replay.argv, flags))
  }
}
