// One virtfleet run per host at a time: a lock directory on the host (mkdir is atomic), naming its owner.
// A lock left by a run whose process is gone on this same control machine is stale and taken over; a lock held
// by another machine's run is refused (the operator can break it with --break-lock after checking).

import { hostname } from 'node:os'
import { RemoteError } from '../core/errors.js'
import { quoteCommand } from '../ssh/quote.js'
import type { HostSession } from '../ssh/transport.js'
import { DEFAULT_STATE_DIR } from './saved-list.js'

export interface LockOwner {
  runId: string
  controlHost: string
  pid: number
  since: string
}

/** $1 = lock dir, $2 = owner JSON. Prints "acquired" or "held" followed by the current owner. */
export const ACQUIRE_SCRIPT = [
  'set -eu',
  'mkdir -p -- "$(dirname -- "$1")"',
  'if mkdir -- "$1" 2>/dev/null; then printf "%s\\n" "$2" > "$1/owner"; echo acquired; else echo held; cat -- "$1/owner" 2>/dev/null || true; fi',
].join('\n')
/** $1 = lock dir, $2 = expected runId (or "" to force). */
export const RELEASE_SCRIPT = [
  'set -eu',
  '[ -d "$1" ] || exit 0',
  'if [ -z "$2" ] || grep -q -F -- "\\"runId\\":\\"$2\\"" "$1/owner" 2>/dev/null; then rm -rf -- "$1"; else echo "lock held by another run" >&2; exit 3; fi',
].join('\n')

export function lockDir(stateDir = DEFAULT_STATE_DIR): string {
  return `${stateDir.replace(/\/+$/, '')}/lock`
}

export type LockResult = { acquired: true; tookOver?: LockOwner } | { acquired: false; owner?: LockOwner; reason: string }

export function isStale(owner: LockOwner, me = hostname(), alive = pidAlive): boolean {
  return owner.controlHost === me && !alive(owner.pid)
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The owner file as written by ACQUIRE_SCRIPT, or undefined when it is missing, torn or not ours. */
export function parseOwner(text: string): LockOwner | undefined {
  let x: unknown
  try {
    x = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof x !== 'object' || x === null) return undefined
  const o = x as Record<string, unknown>
  if (typeof o.runId !== 'string' || typeof o.controlHost !== 'string' || typeof o.since !== 'string') return undefined
  if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid < 1) return undefined
  return { runId: o.runId, controlHost: o.controlHost, pid: o.pid, since: o.since }
}

export class HostLock {
  readonly dir: string
  constructor(
    private readonly session: HostSession,
    stateDir: string | undefined,
    private readonly runId: string,
  ) {
    this.dir = lockDir(stateDir)
  }

  private async exec(argv: string[]): Promise<string> {
    const res = await this.session.exec(argv)
    if (res.code !== 0) throw new RemoteError(this.session.host, quoteCommand(argv), res.code, res.stderr)
    return res.stdout
  }

  async acquire(opts: { breakLock?: boolean } = {}): Promise<LockResult> {
    const me: LockOwner = { runId: this.runId, controlHost: hostname(), pid: process.pid, since: new Date().toISOString() }
    const out = await this.exec(['sh', '-c', ACQUIRE_SCRIPT, 'sh', this.dir, JSON.stringify(me)])
    if (out.startsWith('acquired')) return { acquired: true }
    const owner = parseOwner(out.slice('held'.length).trim())
    // Our own run (a resume, or after the host rebooted): still ours.
    if (owner?.runId === this.runId) return { acquired: true }
    if (opts.breakLock || (owner && isStale(owner))) {
      await this.exec(['sh', '-c', RELEASE_SCRIPT, 'sh', this.dir, ''])
      const again = await this.exec(['sh', '-c', ACQUIRE_SCRIPT, 'sh', this.dir, JSON.stringify(me)])
      if (again.startsWith('acquired')) return owner ? { acquired: true, tookOver: owner } : { acquired: true }
    }
    const who = owner ? `run ${owner.runId} from ${owner.controlHost} (pid ${owner.pid}) since ${owner.since}` : 'an unreadable owner'
    return { acquired: false, ...(owner ? { owner } : {}), reason: `host is locked by ${who}; use --break-lock if that run is dead` }
  }

  async release(): Promise<void> {
    await this.exec(['sh', '-c', RELEASE_SCRIPT, 'sh', this.dir, this.runId])
  }
}
