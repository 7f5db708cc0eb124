// Replaying a journaled run: the recorded command and argv, minus the flags a replay replaces. `resume` adds
// --resume-run; `retry` names the failed hosts one by one as exact host names (data, never a --limit pattern).

import { UsageError } from '../core/errors.js'
import type { JournalRecord, RunRecord } from '../state/journal.js'

export interface Replay {
  command: string
  argv: string[]
}

/** Stop and start are idempotent on live state (lists merge, running guests are skipped): they simply run again. */
const RERUN_COMMANDS = ['shutdown', 'start', 'stop']

/** Continue run `id`: rolling runs reopen its journal and skip finished host steps. */
export function resumeReplay(header: RunRecord, id: string, stateDir?: string): Replay {
  const argv = [...withoutFlag(header.argv, ['--resume-run']), ...stateDirArgs(header.argv, stateDir)]
  return { command: header.command, argv: RERUN_COMMANDS.includes(header.command) ? argv : [...argv, '--resume-run', id] }
}

/** Run the recorded command again on exactly `hosts` (a new run). `--only-host=NAME` keeps a name starting with `-` a value. */
export function retryReplay(header: RunRecord, hosts: readonly string[]): Replay {
  const argv = withoutFlag(header.argv, ['--resume-run', '--limit', '-l', '--only-host'])
  return { command: header.command, argv: [...argv, ...hosts.map((h) => `--only-host=${h}`)] }
}

/** An output choice given to `resume` / `retry`; absent, the replay keeps the recorded run's own. */
export interface OutputChoice {
  json?: boolean
  output?: string
}

/** The operator's output choice replaces the recorded one (`--json`, `--output`), so a CI job resuming a run gets JSON. */
export function withOutput(argv: readonly string[], choice: OutputChoice): string[] {
  if (!choice.json && choice.output === undefined) return [...argv]
  const kept = withoutFlag(argv, ['--output']).filter((a) => a !== '--json' && !a.startsWith('--json='))
  return [...kept, ...(choice.json ? ['--json'] : []), ...(choice.output !== undefined ? ['--output', choice.output] : [])]
}

function stateDirArgs(argv: readonly string[], stateDir: string | undefined): string[] {
  return stateDir && !argv.includes('--state-dir') ? ['--state-dir', stateDir] : []
}

/** Drop flags that take a value (`--flag v` or `--flag=v`) from a recorded argv. */
export function withoutFlag(argv: readonly string[], names: readonly string[]): string[] {
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
export function runHeader(records: readonly JournalRecord[], id: string): RunRecord {
  const header = records.find((r): r is RunRecord => r.type === 'run')
  if (!header) throw new UsageError(`run ${id} has no header record`)
  return header
}
