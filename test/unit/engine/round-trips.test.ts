// How many round trips a stop or a start waits for before its first guest action: every exec of the fake host costs
// 100 ms (simulated), as an SSH channel + remote process do on a real host. A stop's saved list still lands first.

import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import type { FleetEvent } from '../../../src/core/events.js'
import type { HostSpec } from '../../../src/inventory/types.js'
import { runStart } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import type { HostSession } from '../../../src/ssh/transport.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

const RTT = 100

class SlowLinkTransport extends FakeTransport {
  constructor(private readonly fake: FakeClock) {
    super(fake)
  }
  override async connect(spec: HostSpec): Promise<HostSession> {
    const s = await super.connect(spec)
    return {
      ...s,
      exec: async (argv, o) => {
        await this.fake.sleep(RTT)
        return s.exec(argv, o)
      },
    }
  }
}

describe('stop round trips', () => {
  it('lists the guests and reads the saved list at once: the first action follows two round trips, after the list is written', async () => {
    const clock = new FakeClock()
    const transport = new SlowLinkTransport(clock)
    const host = transport.addHost('hv1')
    host.addGuest({ name: 'g1', shutdownDelayMs: 500 })
    host.addGuest({ name: 'g2', shutdownDelayMs: 500 })
    const bus = new EventBus()
    const events: FleetEvent[] = []
    bus.on((e) => events.push(e))
    const r = await clock.runUntil(runStop([hostSpec('hv1')], { transport, clock, bus, runId: 'r1', command: 'shutdown', check: false }, { pollMs: 5000 }))
    expect(r.exitCode).toBe(0)
    const log = transport.log
    const firstAction = log.find((x) => x.argv[3] === 'shutdown')
    const write = log.find((x) => x.argv[0] === 'sh' && x.argv[5] === savedListPath())
    const stream = log.findIndex((x) => x.argv[3] === 'event')
    // An exec is logged when its round trip is over: listing and reading together at 100 ms, the write at 200 ms,
    // the first shutdown (requested at 200 ms, as its guest-action event says) at 300 ms. One after another: 300/400.
    expect(write?.at).toBe(2 * RTT)
    expect(firstAction?.at).toBe(3 * RTT)
    expect(stream).toBeGreaterThanOrEqual(0)
    expect(stream).toBeLessThan(log.indexOf(firstAction as (typeof log)[number]))
    const action = events.find((e) => e.type === 'guest-action')
    expect(action && Date.parse(action.at) - Date.parse(events[0]?.at ?? '')).toBe(2 * RTT)
  })

  it("sends a host's first wave of shutdown requests as one exec (one SSH channel, one virsh process)", async () => {
    const clock = new FakeClock()
    const transport = new SlowLinkTransport(clock)
    const host = transport.addHost('hv1')
    for (let i = 1; i <= 4; i++) host.addGuest({ name: `g${i}`, shutdownDelayMs: 500 })
    const r = await clock.runUntil(
      runStop([hostSpec('hv1')], { transport, clock, bus: new EventBus(), runId: 'r1', command: 'shutdown', check: false }, { pollMs: 5000 }),
    )
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.guests.map((g) => g.outcome)).toEqual(['stopped', 'stopped', 'stopped', 'stopped'])
    const waves = transport.log.filter((x) => x.argv[3]?.startsWith('echo @@') && x.argv[3].includes('; shutdown '))
    expect(waves).toHaveLength(1)
    expect(waves[0]?.argv[3]?.match(/; shutdown /g)).toHaveLength(4)
    // the fake logs each request of the script as the command it is: four requests, none sent twice
    expect(transport.log.filter((x) => x.argv[3] === 'shutdown')).toHaveLength(4)
  })
})

describe('start round trips', () => {
  it('reads the saved list, lists the guests and reads their tags at once: the first start follows one round trip', async () => {
    const clock = new FakeClock()
    const transport = new SlowLinkTransport(clock)
    const host = transport.addHost('hv1')
    host.addGuest({ name: 'g1', shutdownDelayMs: 500, description: 'virtfleet:order=1' })
    host.addGuest({ name: 'g2', shutdownDelayMs: 500, description: 'virtfleet:order=1' })
    const spec = hostSpec('hv1', { vars: { use_guest_tags: true } })
    const ctx = { transport, clock, bus: new EventBus(), runId: 'r1', command: 'x', check: false }
    expect((await clock.runUntil(runStop([spec], ctx, { pollMs: 5000 }))).exitCode).toBe(0)
    const t0 = clock.now()
    const from = transport.log.length
    const bus = new EventBus()
    const events: FleetEvent[] = []
    bus.on((e) => events.push(e))
    const r = await clock.runUntil(runStart([spec], { ...ctx, bus, runId: 'r2' }, { pollMs: 5000 }))
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.guests.map((g) => g.outcome)).toEqual(['started', 'started'])
    const log = transport.log.slice(from)
    const read = log.find((x) => x.argv[0] === 'sh' && x.argv[4] === savedListPath())
    const listing = log.find((x) => x.argv[3]?.startsWith('echo @@all'))
    const tags = log.find((x) => x.argv[0] === 'sh' && x.argv[4] === 'qemu:///system')
    // all three logged when their one shared round trip is over; one after another they would end at 100/200/300 ms
    expect([read?.at, listing?.at, tags?.at]).toEqual([t0 + RTT, t0 + RTT, t0 + RTT])
    const action = events.find((e) => e.type === 'guest-action')
    expect(action && Date.parse(action.at) - Date.parse(events[0]?.at ?? '')).toBe(RTT)
  })
})
