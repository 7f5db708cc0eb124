// A step's deadline, fixed by one reading of the injected clock at the moment of the request. The timeout signal, the
// time left for a wait and the reported duration all count from that reading, so a slow request (a loaded host that
// answers `virsh shutdown` late, a channel slot that frees late) uses up the step's time instead of adding to it.

import { TIMER_CANCELLED, type Clock } from '../core/clock.js'

/** When a request was sent: a clock reading and the wall time of the same moment. */
export interface RequestTime {
  t0: number
  startedAt: string
}

export class Deadline {
  /** Clock reading at the request: the origin of the deadline and of the reported duration. */
  readonly t0: number
  /** Wall time of the same moment, for reports and events. */
  readonly startedAt: string
  private readonly expired = new AbortController()
  private readonly timer = new AbortController()

  constructor(
    private readonly clock: Clock,
    readonly limitMs: number,
    /** A request already sent (with the saved list): the deadline counts from when it was. */
    sent?: RequestTime,
  ) {
    this.t0 = sent?.t0 ?? clock.now()
    this.startedAt = sent?.startedAt ?? clock.wallTime().toISOString()
    clock.sleep(Math.max(0, this.t0 + limitMs - clock.now()), this.timer.signal).then(
      () => this.expired.abort(new Error('timeout')),
      () => undefined,
    )
  }

  /** Fires at t0 + limitMs (on the fake clock exactly then). */
  get signal(): AbortSignal {
    return this.expired.signal
  }

  get passed(): boolean {
    return this.expired.signal.aborted
  }

  /** What is left of the step's time for the next wait (never negative). */
  remainingMs(): number {
    return Math.max(0, this.t0 + this.limitMs - this.clock.now())
  }

  /** Milliseconds since the request, as reported. */
  elapsedMs(): number {
    return Math.round(this.clock.now() - this.t0)
  }

  /** Stop the timer (the step ended first); the signal then never fires. */
  cancel(): void {
    this.timer.abort(TIMER_CANCELLED)
  }
}
