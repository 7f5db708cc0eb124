// Semaphore: the one concurrency limit (forks, parallel), FIFO and abortable.
import { describe, expect, it } from 'vitest'
import { Semaphore } from '../../../src/core/semaphore.js'

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
