import fc from 'fast-check'
import { expect, it } from 'vitest'
import { FakeClock } from '../../src/core/clock.js'
import { EventBus } from '../../src/core/events.js'
import { runStop } from '../../src/engine/stop.js'
import { FakeTransport, hostSpec } from '../support/fake-fleet.js'
import { slowVerb } from '../support/slow-host.js'
import { fuzz } from './params.js'

it('a shutdown step times out exactly at --timeout after its request, however slow the request itself is', async () => {
  await fuzz(
    'shutdown timeout',
    fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 60 }), async (timeoutTenths, delayTenths) => {
      const timeoutMs = timeoutTenths * 100
      const clock = new FakeClock()
      const fake = new FakeTransport(clock)
      fake.addHost('hv1').addGuest({ name: 'g1', shutdownDelayMs: 'ignore' })
      const transport = slowVerb(fake, clock, 'shutdown', delayTenths * 100)
      const ctx = { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false }
      const r = await clock.runUntil(runStop([hostSpec('hv1')], ctx, { timeoutMs, fallback: ['destroy'] }))
      const [shutdown] = r.hosts[0]?.guests[0]?.attempts ?? []
      expect(shutdown?.result).toBe('timeout')
      expect(shutdown?.durationMs).toBe(timeoutMs)
      expect(Date.parse(shutdown?.endedAt ?? '') - Date.parse(shutdown?.startedAt ?? '')).toBe(timeoutMs)
    }),
    12,
  )
})
