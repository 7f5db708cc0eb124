// One meaning per exit code; the README's table is generated from the same words.
import { VirtfleetError } from './errors.js'

export const ExitCode = {
  /** Everything asked was done. */
  ok: 0,
  /** Internal error (a bug): please report. */
  internal: 1,
  /** Some guests did not reach the wanted state (not off after stop, not running after start). */
  partial: 2,
  /** At least one host could not be reached or refused its host key; reachable hosts were handled. */
  unreachable: 3,
  /** Bad input: inventory, playbook, pattern or flag value. Nothing was changed. */
  input: 4,
  /** Usage error: unknown flag or command. Nothing was changed. */
  usage: 64,
  /** A rolling run stopped early: max-fail-percentage exceeded; later hosts untouched. */
  aborted: 5,
  /** Interrupted by Ctrl-C / SIGTERM: no new actions were started, state was written. */
  interrupted: 130,
} as const

export type ExitCodeName = keyof typeof ExitCode

export const exitCodeDocs: Array<[number, string]> = [
  [ExitCode.ok, 'success: every selected guest reached the wanted state'],
  [ExitCode.internal, 'internal error (a bug in virtfleet)'],
  [ExitCode.partial, 'partial failure: some guests did not reach the wanted state (see report)'],
  [ExitCode.unreachable, 'one or more hosts unreachable or host key refused (others were handled)'],
  [ExitCode.input, 'bad input (inventory, playbook, pattern, flag value); nothing was changed'],
  [ExitCode.aborted, 'rolling run stopped: max-fail-percentage exceeded, remaining hosts skipped'],
  [ExitCode.usage, 'usage error (unknown command or flag)'],
  [ExitCode.interrupted, 'interrupted (SIGINT/SIGTERM): no new actions, state written'],
]

export function exitCodeForError(err: unknown): number {
  if (err instanceof VirtfleetError) {
    switch (err.kind) {
      case 'usage':
        return ExitCode.usage
      case 'input':
        return ExitCode.input
      case 'unreachable':
      case 'host-key':
        return ExitCode.unreachable
      case 'interrupted':
        return ExitCode.interrupted
      case 'remote':
        return ExitCode.partial
      default:
        return ExitCode.internal
    }
  }
  return ExitCode.internal
}
