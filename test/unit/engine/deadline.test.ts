import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { Deadline } from '../../../src/engine/deadline.js'

describe('Deadline', () => {
  it('fires exactly at request time + limit on the fake clock, not a tick later', async () => {
    const clock = new FakeClock()
    await clock.advance(250)
    const d = new Deadline(clock, 6000)
    await clock.advance(5999)
    expect(d.passed).toBe(false)
    await clock.advance(1)
    expect(d.passed).toBe(true)
    expect(d.elapsedMs()).toBe(6000)
  })

  it('what is left for a wait counts from the request, so a slow request uses up the step time', async () => {
    const clock = new FakeClock()
    const d = new Deadline(clock, 6000)
    await clock.advance(1500)
    expect(d.remainingMs()).toBe(4500)
    await clock.advance(9000)
    expect(d.remainingMs()).toBe(0)
  })

  it('a request sent earlier (with the saved list) counts from when it was sent: start, time left, firing', async () => {
    const clock = new FakeClock()
    const sent = { t0: clock.now(), startedAt: clock.wallTime().toISOString() }
    await clock.advance(400)
    const d = new Deadline(clock, 1000, sent)
    expect(d.startedAt).toBe(sent.startedAt)
    expect(d.remainingMs()).toBe(600)
    expect(d.elapsedMs()).toBe(400)
    await clock.advance(599)
    expect(d.passed).toBe(false)
    await clock.advance(1)
    expect(d.passed).toBe(true)
  })

  it('reports its start as the wall time of the same clock reading', () => {
    const clock = new FakeClock()
    const d = new Deadline(clock, 1000)
    expect(d.startedAt).toBe(clock.wallTime().toISOString())
  })

  it('a cancelled deadline never fires and leaves no timer behind', async () => {
    const clock = new FakeClock()
    const d = new Deadline(clock, 1000)
    d.cancel()
    expect(clock.pending).toBe(0)
    await clock.advance(2000)
    expect(d.passed).toBe(false)
  })
})
