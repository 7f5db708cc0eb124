// The one place that turns an error into what the operator sees and an exit code: a line on stderr, and with
// --json also one JSON object on stdout; the code never depends on the output mode. Also used by bin/run.js for
// errors oclif raises before any command runs (an unknown command is a usage error, exit 64).

import { Command, Errors } from '@oclif/core'
import { errorMessage, InputError, VirtfleetError, type ErrorKind } from '../core/errors.js'
import { ExitCode, exitCodeForError } from '../core/exit-codes.js'
import type { RunDeps } from './assemble-run.js'

/** An error as reported: what `--json` prints under "error", and the exit code. */
export interface ErrorReport {
  message: string
  kind: ErrorKind
  exitCode: number
  file?: string
  line?: number
  column?: number
}

/** Already reported to the operator; oclif's top-level handler only exits with its code. */
export class ReportedError extends Errors.CLIError {
  override skipOclifErrorHandling = true
  constructor(report: ErrorReport) {
    super(report.message, { exit: report.exitCode })
    this.name = 'ReportedError'
  }
}

export function describeError(err: unknown): ErrorReport {
  if (err instanceof VirtfleetError) {
    const where = err instanceof InputError ? { file: err.file, line: err.line, column: err.column } : {}
    return {
      message: err.message,
      kind: err.kind,
      exitCode: exitCodeForError(err),
      ...(where.file !== undefined ? { file: where.file } : {}),
      ...(where.line !== undefined ? { line: where.line } : {}),
      ...(where.column !== undefined ? { column: where.column } : {}),
    }
  }
  if (isUsageError(err)) return { message: usageMessage(err.message), kind: 'usage', exitCode: ExitCode.usage }
  return { message: errorMessage(err), kind: 'internal', exitCode: ExitCode.internal }
}

/** oclif's parse errors (unknown flag, bad flag value, missing or extra argument) and unknown commands. */
function isUsageError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false
  if ('parse' in err) return true
  // A flag's own parser failing (`--forks 0`) reaches us as its error with "Parsing --flag" prepended.
  return (
    /^command \S+ not found$|^Parsing --/.test(err.message) ||
    /Nonexistent flag|Unexpected argument|Expected --|Missing required flag|to be one of/.test(err.message)
  )
}

/** oclif's multi-line parse messages as one line: `Parsing --forks \n\tExpected ...` → `--forks: Expected ...`. */
function usageMessage(message: string): string {
  const notFound = /^command (\S+) not found$/.exec(message)
  if (notFound) return unknownCommandMessage(notFound[1] as string)
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^See more help with --help$/.test(l))
  return lines.join(' ').replace(/^Parsing (--[\w-]+):?\s+/, '$1: ')
}

function unknownCommandMessage(id: string): string {
  // With a space as topic separator, `virtfleet status extra` reaches oclif as the command id "status:extra".
  const [first, ...rest] = id.split(':')
  return rest.length > 0 ? `unknown command or unexpected argument: ${[first, ...rest].join(' ')}` : `unknown command: ${id}`
}

/** Print the error for the operator: stderr always, plus the JSON object on stdout under --json. */
export function reportError(report: ErrorReport, o: { json: boolean; command?: string }): void {
  if (report.kind === 'usage') process.stderr.write(`virtfleet: usage: ${report.message}\nSee: virtfleet ${o.command ? `${o.command} ` : ''}--help\n`)
  else if (report.kind === 'internal') process.stderr.write(`virtfleet: internal error: ${report.message}\n(set DEBUG=virtfleet for details)\n`)
  else process.stderr.write(`virtfleet: error: ${report.message}\n`)
  if (o.json) process.stdout.write(JSON.stringify({ error: report }, null, 2) + '\n')
}

/** `--json` given before any `--` (parsing may have failed, so the raw argv is what there is). */
export function argvWantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  const json = argv.indexOf('--json')
  return json !== -1 && (end === -1 || json < end)
}

export abstract class VirtfleetCommand extends Command {
  /** The outside world a run uses (transport, clock); tests put the in-memory fleet here. */
  runDeps: RunDeps = {}

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    if (err instanceof Errors.ExitError || err instanceof ReportedError) throw err
    const report = describeError(err)
    reportError(report, { json: this.jsonEnabled() || argvWantsJson(this.argv), command: this.id?.replaceAll(':', ' ') })
    if (report.kind === 'internal' && process.env.DEBUG?.includes('virtfleet')) process.stderr.write(`${err.stack}\n`)
    throw new ReportedError(report)
  }
}

/** bin/run.js: errors raised outside any command (unknown command); everything else goes to oclif's handler. */
export async function handleTopLevelError(err: unknown, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (err instanceof Error && !(err instanceof ReportedError) && !(err instanceof Errors.ExitError) && isUsageError(err)) {
    const report = describeError(err)
    reportError(report, { json: argvWantsJson(argv) })
    process.exit(report.exitCode)
  }
  await Errors.handle(err as Error)
}
