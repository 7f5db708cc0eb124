import { Args, Flags } from '@oclif/core'
import { FleetCommand } from '../cli/base.js'
import { failedHosts, readRun, resolveStateDir } from '../state/journal.js'
import { runHeader, withoutFlag } from './resume.js'

export default class Retry extends FleetCommand {
  static override summary = 'Run a past run again on its failed hosts only (as `--limit @failed`), as a new run.'
  static override examples = ['<%= config.bin %> retry 20261125T031800Z-ab12cd']
  static override args = { id: Args.string({ required: true, description: 'Run id (see `virtfleet runs`).' }) }
  static override flags = { 'state-dir': Flags.string({ summary: 'Journal location (default $XDG_STATE_HOME/virtfleet).' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Retry)
    const records = readRun(resolveStateDir({ stateDir: flags['state-dir'] }), args.id)
    const header = runHeader(records, args.id)
    const failed = failedHosts(records)
    if (failed.length === 0) {
      process.stderr.write(`virtfleet: run ${args.id} has no failed hosts: nothing to retry\n`)
      return
    }
    const argv = withoutFlag(header.argv, ['--resume-run', '--limit', '-l'])
    await this.config.runCommand(header.command, [...argv, '--limit', failed.join(',')])
  }
}
