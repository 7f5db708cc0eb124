import { setMaxListeners } from 'node:events'

// A counting semaphore whose waiters can give up (abort): used for per-host guest parallelism.

export class Semaphore {
  private waiting: Array<{ grant: () => void }> = []
  constructor(private free: number) {}

  /** Resolves true when a slot is held, false when `signal` fired first (no slot held then). */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false)
    if (this.free > 0) {
      this.free--
      return Promise.resolve(true)
    }
    return new Promise<boolean>((resolve) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(true)
        },
      }
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== entry)
        resolve(false)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(entry)
    })
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next.grant()
    else this.free++
  }
}

/** A signal that fires when any of the given signals fires. */
export function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  const any = AbortSignal.any(present)
  setMaxListeners(0, any)
  return any
}
