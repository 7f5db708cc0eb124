// Semaphore: the one concurrency limit (forks, parallel), FIFO and abortable.
import { describe, expect, it } from 'vitest'
import { manyListeners, Semaphore } from '../../../src/core/semaphore.js'

describe('Semaphore', () => {
  it('never grants more than max slots, in FIFO order', async () => {
    const sem = new Semaphore(2)
    const order: number[] = []
    const tasks = Array.from({ length: 6 }, (_, i) =>
      sem.acquire().then(async (release) => {
        order.push(i)
        expect(sem.inUse).toBeLessThanOrEqual(2)
        await new Promise((r) => setTimeout(r, 5))
        release()
      }),
    )
    await Promise.all(tasks)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
    expect(sem.peak).toBe(2)
    expect(sem.inUse).toBe(0)
  })

  it('an aborted waiter leaves the queue; double release is harmless', async () => {
    const sem = new Semaphore(1)
    const r1 = await sem.acquire()
    const ac = new AbortController()
    const waiting = sem.acquire(ac.signal)
    ac.abort()
    await expect(waiting).rejects.toThrow()
    expect(sem.waiting).toBe(0)
    r1()
    r1()
    expect(sem.inUse).toBe(0)
  })
})

describe('manyListeners', () => {
  it('lets 50 queued waiters listen to one signal without a MaxListenersExceededWarning', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.name)
    process.on('warning', onWarning)
    try {
      const c = manyListeners(new AbortController())
      const s = new Semaphore(1)
      const release = await s.acquireUnless(c.signal)
      const queued = Array.from({ length: 50 }, () => s.acquireUnless(c.signal))
      c.abort()
      expect((await Promise.all(queued)).every((r) => r === undefined)).toBe(true)
      release?.()
      await new Promise((r) => setImmediate(r))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})
