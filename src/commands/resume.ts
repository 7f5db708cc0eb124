import { Args } from '@oclif/core'
import { VirtfleetCommand } from '../cli/base.js'
import { journalFlags, replayOutputFlags } from '../cli/flags.js'
import { resumeReplay, runHeader, withOutput } from '../cli/replay-run.js'
import { readRun, resolveStateDir } from '../state/journal.js'

export default class Resume extends VirtfleetCommand {
  static override summary =
    'Continue an interrupted run (crash, Ctrl-C, killed CI job) from its journal: live state is re-read, finished host steps are not repeated.'
  static override examples = ['<%= config.bin %> resume 20261125T031800Z-ab12cd']
  static override args = { id: Args.string({ required: true, description: 'Run id (see `virtfleet runs`).' }) }
  static override flags = { ...journalFlags, ...replayOutputFlags }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume)
    const records = readRun(resolveStateDir({ stateDir: flags['state-dir'] }), args.id)
    const header = runHeader(records, args.id)
    if (records.some((r) => r.type === 'end')) process.stderr.write(`virtfleet: run ${args.id} had finished; resuming re-checks it and does what is left\n`)
    const replay = resumeReplay(header, args.id, flags['state-dir'])
    await this.config.runCommand(replay.command, withOutput(replay.argv, flags))
  }
}
