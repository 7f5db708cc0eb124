// Time is injected so the scheduler can be tested with a fake clock (no real sleeps in unit tests).

/**
 * Reason for cancelling our own timers. `abort()` without a reason builds a DOMException each time, which showed up
 * as ~6% of CPU in the 1000-host benchmark; one shared reason costs nothing.
 */
export const TIMER_CANCELLED: Error = new Error('timer cancelled')

export interface Clock {
  /** Milliseconds since an arbitrary epoch (monotonic for the real clock). */
  now(): number
  /** Wall-clock time for reports and journals. */
  wallTime(): Date
  /** Resolve after ms; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** Node fires a timer at once when its delay exceeds this (2^31-1 ms, ~24.8 days): longer sleeps go in slices. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export const realClock: Clock = {
  now: () => performance.now(),
  wallTime: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      let left = Number.isFinite(ms) ? Math.max(0, ms) : Number.MAX_SAFE_INTEGER
      let t: ReturnType<typeof setTimeout>
      const onAbort = () => {
        clearTimeout(t)
        reject(signal?.reason)
      }
      const arm = (): void => {
        const slice = Math.min(left, MAX_TIMER_MS)
        left -= slice
        t = setTimeout(() => {
          if (left > 0) return arm()
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }, slice)
      }
      arm()
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

interface Timer {
  at: number
  seq: number
  resolve: () => void
}

/** A manually advanced clock. `advance(ms)` fires due timers in order, letting promise chains settle between them. */
export class FakeClock implements Clock {
  private t = 0
  private seq = 0
  private timers: Timer[] = []
  constructor(private readonly epoch = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t
  }
  wallTime(): Date {
    return new Date(this.epoch + this.t)
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve }
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer)
        reject(signal?.reason)
      }
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.timers.push(timer)
    })
  }
  /** Number of pending timers (useful to assert nothing waits forever). */
  get pending(): number {
    return this.timers.length
  }
  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    await flush()
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers[0]
      if (!next || next.at > target) break
      this.timers.shift()
      this.t = next.at
      next.resolve()
      await flush()
    }
    this.t = target
    await flush()
  }
  /** Advance in steps until `done` settles or `maxMs` elapses. */
  async runUntil<T>(done: Promise<T>, maxMs = 24 * 3600_000, stepMs = 100): Promise<T> {
    let settled = false
    const p = done.finally(() => {
      settled = true
    })
    p.catch(() => {})
    let spent = 0
    while (!settled && spent < maxMs) {
      await this.advance(stepMs)
      spent += stepMs
    }
    return p
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r))
}
