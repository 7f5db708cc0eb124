// Where runs live and what they are called: the local state dir (XDG), `runs/<runId>.jsonl`, sortable run ids that
// cannot escape the runs directory, and the inventory digest recorded in a run header.

import { createHash, randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'

import type { Clock } from '../../core/clock.js'
import { UsageError } from '../../core/errors.js'

/** `--state-dir`, else `$XDG_STATE_HOME/virtfleet`, else `~/.local/state/virtfleet`. */
export function resolveStateDir(opts: { stateDir?: string; env?: NodeJS.ProcessEnv; home?: string } = {}): string {
  if (opts.stateDir) return path.resolve(opts.stateDir)
  const env = opts.env ?? process.env
  const xdg = env.XDG_STATE_HOME
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'virtfleet')
  return path.join(opts.home ?? os.homedir(), '.local', 'state', 'virtfleet')
}

export function runsDir(stateDir: string): string {
  return path.join(stateDir, 'runs')
}

const RUN_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/

/** Sortable run id: UTC second + 6 random hex digits, e.g. `20261125T031800Z-ab12cd`. */
export function newRunId(clock?: Pick<Clock, 'wallTime'> | (() => Date)): string {
  const d = typeof clock === 'function' ? clock() : clock ? clock.wallTime() : new Date()
  const stamp = d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

export function isRunId(id: string): boolean {
  return RUN_ID_RE.test(id)
}

/** The file of run `runId`; a UsageError for anything that is not a run id (also keeps `../../x` out). */
export function runFile(stateDir: string, runId: string): string {
  if (!isRunId(runId)) throw new UsageError(`not a run id: "${runId}" (expected e.g. 20261125T031800Z-ab12cd; see \`virtfleet runs\`)`)
  return path.join(runsDir(stateDir), `${runId}.jsonl`)
}

/** `sha256:<hex>` of inventory contents, in the order given. */
export function digestInventory(...contents: Array<string | Uint8Array>): string {
  const h = createHash('sha256')
  for (const c of contents) h.update(c)
  return `sha256:${h.digest('hex')}`
}
