// The one counting semaphore, FIFO with abortable waits: it bounds exec channels per connection (under sshd's
// MaxSessions), handshakes per transport (under sshd's MaxStartups) and guests handled at once per host.

import { setMaxListeners } from 'node:events'

export type Release = () => void

interface Waiter {
  grant: () => void
  reject: (err: unknown) => void
}

export class Semaphore {
  private active = 0
  private readonly waiters: Waiter[] = []
  /** Highest number of slots ever held at once (for tests and diagnostics). */
  peak = 0

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`semaphore size must be a positive integer, got ${max}`)
  }

  get inUse(): number {
    return this.active
  }

  get waiting(): number {
    return this.waiters.length
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    if (this.active < this.max) return Promise.resolve(this.take())
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(abortReason(signal!))
      }
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(this.take())
        },
        reject,
      }
      this.waiters.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Like acquire, but a wait cut short by `signal` resolves to undefined (no slot held) instead of rejecting. */
  async acquireUnless(signal?: AbortSignal): Promise<Release | undefined> {
    try {
      return await this.acquire(signal)
    } catch (err) {
      if (signal?.aborted) return undefined
      throw err
    }
  }

  /** Reject every waiter (e.g. the connection is gone). */
  rejectAll(err: unknown): void {
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  private take(): Release {
    this.active++
    if (this.active > this.peak) this.peak = this.active
    let released = false
    return () => {
      if (released) return
      released = true
      this.active--
      const next = this.waiters.shift()
      if (next) next.grant()
    }
  }
}

export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason
  if (r instanceof Error) return r
  const e = new Error(typeof r === 'string' ? r : 'aborted')
  e.name = 'AbortError'
  return e
}

/** A signal that fires when any of the given signals fires. */
/** A controller whose signal every queued host or guest listens to: hundreds of listeners are expected, not a leak. */
export function manyListeners(c: AbortController): AbortController {
  setMaxListeners(0, c.signal)
  return c
}

export function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  const any = AbortSignal.any(present)
  setMaxListeners(0, any)
  return any
}
