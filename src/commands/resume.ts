import { Args, Flags } from '@oclif/core'
import { FleetCommand } from '../cli/base.js'
import { UsageError } from '../core/errors.js'
import { readRun, resolveStateDir, type JournalRecord, type RunRecord } from '../state/journal.js'

export default class Resume extends FleetCommand {
  static override summary =
    'Continue an interrupted run (crash, Ctrl-C, killed CI job) from its journal: live state is re-read, finished host steps are not repeated.'
  static override examples = ['<%= config.bin %> resume 20261125T031800Z-ab12cd']
  static override args = { id: Args.string({ required: true, description: 'Run id (see `virtfleet runs`).' }) }
  static override flags = { 'state-dir': Flags.string({ summary: 'Journal location (default $XDG_STATE_HOME/virtfleet).' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume)
    const records = readRun(resolveStateDir({ stateDir: flags['state-dir'] }), args.id)
    const header = runHeader(records, args.id)
    if (records.some((r) => r.type === 'end')) process.stderr.write(`virtfleet: run ${args.id} had finished; resuming re-checks it and does what is left\n`)
    const argv = withoutFlag(header.argv, ['--resume-run'])
    const extra = flags['state-dir'] && !argv.includes('--state-dir') ? ['--state-dir', flags['state-dir']] : []
    if (['shutdown', 'start', 'stop'].includes(header.command)) {
      // Stop and start are idempotent on live state (lists merge, running guests are skipped): run them again.
      await this.config.runCommand(header.command, [...argv, ...extra])
      return
    }
    await this.config.runCommand(header.command, [...argv, ...extra, '--resume-run', args.id])
  }
}

/** Drop flags that take a value (`--flag v` or `--flag=v`) from a recorded argv. */
export function withoutFlag(argv: string[], names: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (names.includes(a)) {
      i++
      continue
    }
    if (names.some((n) => n.startsWith('--') && a.startsWith(`${n}=`))) continue
    out.push(a)
  }
  return out
}

/** The `run` header of a journaled run: the command and argv to replay. */
export function runHeader(records: JournalRecord[], id: string): RunRecord {
  const header = records.find((r): r is RunRecord => r.type === 'run')
  if (!header) throw new UsageError(`run ${id} has no header record`)
  return header
}
