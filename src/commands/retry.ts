import { Args, Flags } from '@oclif/core'
import { FleetCommand } from '../cli/base.js'
import { UsageError } from '../errors.js'
import { failedHosts, readRun, resolveStateDir } from '../state/journal.js'
import { stripResume } from './resume.js'

export default class Retry extends FleetCommand {
  static override summary = 'Run a past run again on its failed hosts only (as `--limit @failed`), as a new run.'
  static override examples = ['<%= config.bin %> retry 20261125T031800Z-ab12cd']
  static override args = { id: Args.string({ required: true, description: 'Run id (see `virtfleet runs`).' }) }
  static override flags = { 'state-dir': Flags.string({ summary: 'Journal location (default $XDG_STATE_HOME/virtfleet).' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Retry)
    const records = readRun(resolveStateDir({ stateDir: flags['state-dir'] }), args.id)
    const header = records.find((r) => r.type === 'run')
    if (!header || header.type !== 'run') throw new UsageError(`run ${args.id} has no header record`)
    const failed = failedHosts(records)
    if (failed.length === 0) {
      process.stderr.write(`virtfleet: run ${args.id} has no failed hosts: nothing to retry\n`)
      return
    }
    const argv = withoutLimit(stripResume(header.argv))
    await this.config.runCommand(header.command, [...argv, '--limit', failed.join(',')])
  }
}

function withoutLimit(argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--limit' || a === '-l') {
      i++
      continue
    }
    if (a.startsWith('--limit=')) continue
    out.push(a)
  }
  return out
}
