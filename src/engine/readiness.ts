// Waiting for started guests to be ready. The probes run on the host itself: one exec per host polls every waiting
// guest's probe every 100 ms for up to a second (READY_POLL_SCRIPT), so the time between a guest getting ready and
// virtfleet seeing it is one local probe, not an SSH round trip plus a sleep, and a boot storm of N guests costs one
// exec per host per second rather than N per probe period. A guest that starts waiting cuts the round in flight
// short, so its first probe runs at once in a new round with everyone else. Budgets run on the injected clock. A not-ready guest still runs (its saved-list entry goes, as
// for any running guest); the caller reports it as not ready.

import type { Clock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Guest } from '../libvirt/types.js'
import { parseReadyPoll, readyPollArgv, readyProbeArgv, type ReadyProbe } from '../libvirt/readiness.js'
import type { HostSession } from '../ssh/transport.js'

export interface ReadyWait {
  probe: ReadyProbe
  timeoutMs: number
}

export interface ReadyResult {
  ready: boolean
  /** Time from the start of the wait to the first successful probe (or to giving up). */
  waitedMs: number
  probes: number
  /** The last probe's error output when not ready. */
  lastError?: string
}

/** Time between two probes of a guest on its host. */
export const READY_INTERVAL_MS = 100
/** Longest round of polling on the host before the control machine looks again (and adds newly waiting guests). */
export const READY_ROUND_MS = 1000

interface Waiter {
  id: number
  argv: string[]
  t0: number
  deadline: number
  probes: number
  lastError?: string
  signal?: AbortSignal
  settle(r: ReadyResult): void
  fail(err: unknown): void
}

/** One host's waiting guests and the rounds that poll them. */
class HostPoller {
  private readonly waiting = new Map<number, Waiter>()
  private nextId = 0
  private running = false
  /** The round in flight: aborted when a guest starts waiting, so it is probed at once in a new round. */
  private round: AbortController | undefined
  private joined = false

  constructor(
    private readonly session: HostSession,
    private readonly clock: Clock,
  ) {}

  wait(argv: string[], timeoutMs: number, signal?: AbortSignal): Promise<ReadyResult> {
    return new Promise<ReadyResult>((resolve, reject) => {
      const t0 = this.clock.now()
      const w: Waiter = {
        id: this.nextId++,
        argv,
        t0,
        deadline: t0 + timeoutMs,
        probes: 0,
        ...(signal ? { signal } : {}),
        settle: (r) => {
          if (!this.waiting.delete(w.id)) return
          signal?.removeEventListener('abort', onAbort)
          if (this.waiting.size === 0) this.round?.abort()
          resolve(r)
        },
        fail: (err) => {
          if (!this.waiting.delete(w.id)) return
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      const onAbort = () => w.settle(this.result(w, false, 'interrupted'))
      if (signal?.aborted) return resolve(this.result(w, false, 'interrupted'))
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.set(w.id, w)
      if (this.running) {
        this.joined = true
        this.round?.abort()
      } else {
        this.running = true
        // guests that start waiting in the same tick share the first round
        queueMicrotask(() => void this.rounds())
      }
    })
  }

  private result(w: Waiter, ready: boolean, lastError?: string): ReadyResult {
    return { ready, waitedMs: Math.round(this.clock.now() - w.t0), probes: w.probes, ...(lastError !== undefined ? { lastError } : {}) }
  }

  private async rounds(): Promise<void> {
    try {
      while (this.waiting.size > 0) {
        const now = this.clock.now()
        const round = [...this.waiting.values()]
        const windowMs = Math.min(READY_ROUND_MS, ...round.map((w) => Math.max(0, w.deadline - now)))
        const passes = Math.max(1, Math.ceil(windowMs / READY_INTERVAL_MS))
        const ac = (this.round = new AbortController())
        this.joined = false
        let stdout: string
        try {
          const res = await this.session.exec(readyPollArgv(passes, READY_INTERVAL_MS, round), { signal: ac.signal })
          stdout = res.stdout
          if (res.code !== 0 && res.code !== 1) {
            const why = (res.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `probe poll exited ${res.code ?? res.signal}`
            for (const w of round) w.lastError = why
          }
        } catch (err) {
          // cut short on purpose (a guest joined, or nobody waits any more): go round again with who waits now
          if (ac.signal.aborted) continue
          for (const w of round) w.fail(err)
          continue
        } finally {
          this.round = undefined
        }
        const poll = parseReadyPoll(stdout)
        for (const w of round) {
          w.probes += Math.max(1, poll.passes)
          if (poll.ready.has(w.id)) w.settle(this.result(w, true))
          else if (poll.errors.has(w.id)) w.lastError = poll.errors.get(w.id) || 'probe failed'
        }
        if (poll.ready.size > 0 || this.joined) continue
        const after = this.clock.now()
        for (const w of round) if (after >= w.deadline) w.settle(this.result(w, false, w.lastError))
        if (this.waiting.size === 0) break
        const nextDeadline = Math.min(...[...this.waiting.values()].map((w) => w.deadline))
        const pause = new AbortController()
        this.round = pause
        await this.clock.sleep(Math.max(0, Math.min(READY_INTERVAL_MS, nextDeadline - after)), pause.signal).catch(() => undefined)
        this.round = undefined
      }
    } catch (err) {
      for (const w of [...this.waiting.values()]) w.fail(new Error(`readiness poll failed: ${errorMessage(err)}`))
    } finally {
      this.running = false
    }
  }
}

const pollers = new WeakMap<HostSession, WeakMap<Clock, HostPoller>>()

function pollerOf(session: HostSession, clock: Clock): HostPoller {
  let byClock = pollers.get(session)
  if (!byClock) pollers.set(session, (byClock = new WeakMap()))
  let p = byClock.get(clock)
  if (!p) byClock.set(clock, (p = new HostPoller(session, clock)))
  return p
}

/**
 * Wait until `guest` passes its probe or `timeoutMs` runs out (0: one pass, no waiting). Guests of the same host
 * session share the host's poll rounds.
 */
export async function waitUntilReady(session: HostSession, guest: Guest, w: ReadyWait, clock: Clock, signal?: AbortSignal): Promise<ReadyResult> {
  const argv = readyProbeArgv(w.probe, guest.uri, guest.uuid, guest.name)
  if (!argv) return { ready: true, waitedMs: 0, probes: 0 }
  return pollerOf(session, clock).wait(argv, w.timeoutMs, signal)
}
