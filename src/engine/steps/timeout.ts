// A time limit on the injected clock (AbortSignal.timeout runs on the real clock, which fake-clock tests cannot
// advance): aborts when the limit passes or the parent signal fires; `cancel` frees the timer.

import type { Clock } from '../../core/clock.js'
import { TIMER_CANCELLED } from '../../core/clock.js'

export function clockTimeout(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; cancel: () => void } {
  const ac = new AbortController()
  const timer = new AbortController()
  const onParent = () => ac.abort(parent?.reason)
  if (parent?.aborted) onParent()
  else parent?.addEventListener('abort', onParent, { once: true })
  clock.sleep(ms, timer.signal).then(
    () => ac.abort(new Error(`timed out after ${ms / 1000}s`)),
    () => undefined,
  )
  return {
    signal: ac.signal,
    cancel: () => {
      timer.abort(TIMER_CANCELLED)
      parent?.removeEventListener('abort', onParent)
    },
  }
}
