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
import { savedListPath, WRITE_THEN_SCRIPT } from '../../../src/state/saved-list.js'
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
  it('lists the guests and reads the saved list at once; the first wave of requests rides on the write of the list: two round trips', async () => {
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
    // An exec is logged when its round trip is over: listing and reading together at 100 ms, then the list's write
    // and, in the same exec once it is written, the first requests at 200 ms. One after another: 300/400 ms.
    expect(write?.at).toBe(2 * RTT)
    expect(write?.argv[2]).toBe(WRITE_THEN_SCRIPT)
    expect(firstAction?.at).toBe(2 * RTT)
    expect(log.indexOf(firstAction as (typeof log)[number])).toBeGreaterThan(log.indexOf(write as (typeof log)[number]))
    expect(stream).toBeGreaterThanOrEqual(0)
    expect(stream).toBeLessThan(log.indexOf(firstAction as (typeof log)[number]))
    // the list was written (and reported) before any guest's action is
    const written = events.findIndex((e) => e.type === 'saved-list-written')
    expect(written).toBeGreaterThanOrEqual(0)
    expect(written).toBeLessThan(events.findIndex((e) => e.type === 'guest-action'))
    // the request was sent with the list's write, after one round trip: its guest-action says so (and its step
    // deadline counts from then), although the event comes after saved-list-written
    const action = events.find((e) => e.type === 'guest-action')
    expect(action && Date.parse(action.at) - Date.parse(events[0]?.at ?? '')).toBe(RTT)
  })

  it("sends a host's first wave of shutdown requests as one virsh script, in the exec that writes the saved list", async () => {
    const clock = new FakeClock()
    const transport = new SlowLinkTransport(clock)
    const host = transport.addHost('hv1')
    for (let i = 1; i <= 4; i++) host.addGuest({ name: `g${i}`, shutdownDelayMs: 500 })
    const r = await clock.runUntil(
      runStop([hostSpec('hv1')], { transport, clock, bus: new EventBus(), runId: 'r1', command: 'shutdown', check: false }, { pollMs: 5000 }),
    )
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.guests.map((g) => g.outcome)).toEqual(['stopped', 'stopped', 'stopped', 'stopped'])
    const writes = transport.log.filter((x) => x.argv[2] === WRITE_THEN_SCRIPT)
    expect(writes).toHaveLength(1)
    // after the script's six write arguments: virsh -c URI SCRIPT
    const wave = writes[0]?.argv.slice(10) ?? []
    expect(wave.slice(0, 3)).toEqual(['virsh', '-c', 'qemu:///system'])
    expect(wave[3]?.match(/; shutdown /g)).toHaveLength(4)
    expect(transport.log.filter((x) => x.argv[3]?.startsWith('echo @@') && x.argv[3].includes('; shutdown '))).toHaveLength(0)
    // the fake logs each request of the script as the command it is: four requests, none sent twice
    expect(transport.log.filter((x) => x.argv[3] === 'shutdown')).toHaveLength(4)
  })

  it('with --parallel 2 the first two requests go with the list and the others when a slot frees; an unconfirmed one is asked alone', async () => {
    const clock = new FakeClock()
    const transport = new SlowLinkTransport(clock)
    const host = transport.addHost('hv1')
    // agent shutdowns: g1 has no agent, so the script's request for it fails, and g1 is asked again alone
    for (let i = 1; i <= 4; i++) host.addGuest({ name: `g${i}`, shutdownDelayMs: 500, agent: i > 1 })
    const r = await clock.runUntil(
      runStop(
        [hostSpec('hv1')],
        { transport, clock, bus: new EventBus(), runId: 'r1', command: 'shutdown', check: false },
        { pollMs: 5000, parallel: 2, mode: 'agent' },
      ),
    )
    const write = transport.log.find((x) => x.argv[2] === WRITE_THEN_SCRIPT)
    expect(write?.argv.slice(10)[3]?.match(/; shutdown /g)).toHaveLength(2)
    const requests = transport.log.filter((x) => x.argv[3] === 'shutdown').map((x) => `${x.argv[4]}@${x.at}`)
    const uuid = (n: string) => host.guest(n).uuid
    expect(requests.slice(0, 3)).toEqual([`${uuid('g1')}@${2 * RTT}`, `${uuid('g2')}@${2 * RTT}`, `${uuid('g1')}@${3 * RTT}`])
    expect(requests).toHaveLength(5)
    const outcome = (n: string) => r.hosts[0]?.guests.find((g) => g.name === n)
    expect(outcome('g1')).toMatchObject({ outcome: 'still-running', error: expect.stringMatching(/Guest agent is not responding/) })
    expect(['g2', 'g3', 'g4'].map((n) => outcome(n)?.outcome)).toEqual(['stopped', 'stopped', 'stopped'])
  })
})

describe('Ctrl-C while the saved list and the first requests are in flight', () => {
  it('the guests asked with the list are reported interrupted in their shutdown, the others not touched', async () => {
    const clock = new FakeClock()
    const transport = new SlowLinkTransport(clock)
    const host = transport.addHost('hv1')
    for (let i = 1; i <= 4; i++) host.addGuest({ name: `g${i}`, shutdownDelayMs: 500 })
    const interrupt = new AbortController()
    void clock.sleep(RTT + RTT / 2).then(() => interrupt.abort(new Error('interrupted')))
    const r = await clock.runUntil(
      runStop(
        [hostSpec('hv1')],
        { transport, clock, bus: new EventBus(), runId: 'r1', command: 'shutdown', check: false, signal: interrupt.signal },
        { pollMs: 5000, parallel: 2 },
      ),
    )
    const g = Object.fromEntries((r.hosts[0]?.guests ?? []).map((x) => [x.name, x]))
    for (const n of ['g1', 'g2']) {
      expect(g[n]).toMatchObject({ outcome: 'interrupted', ok: false, inSavedList: true })
      expect(g[n]?.attempts.map((a) => [a.action, a.result])).toEqual([['shutdown', 'interrupted']])
    }
    for (const n of ['g3', 'g4']) expect(g[n]).toMatchObject({ outcome: 'interrupted', note: 'interrupted before its turn: not touched', attempts: [] })
    // only the two requests that went out with the list: nothing was sent after the interrupt
    expect(transport.log.filter((x) => x.argv[3] === 'shutdown')).toHaveLength(2)
    expect(host.files.get(savedListPath())).toContain('g4')
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
