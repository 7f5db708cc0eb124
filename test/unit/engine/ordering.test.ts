import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { InputError } from '../../../src/core/errors.js'
import { EventBus, type FleetEvent } from '../../../src/core/events.js'
import { orderGroups, PhaseBarrier, tierPhase, turns } from '../../../src/engine/ordering.js'
import { parseDescriptionTags } from '../../../src/libvirt/describe.js'
import { runStart } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

describe('guest ordering', () => {
  it('reads tags from a libvirt description', () => {
    expect(parseDescriptionTags('web tier\nvirtfleet:order=20 virtfleet:tier=app')).toEqual({ order: 20, tier: 'app' })
    expect(parseDescriptionTags('nothing here')).toEqual({})
  })
  it('stops in descending order (untagged first) and starts in ascending order (untagged last)', () => {
    const items = [
      { n: 'a', o: 1 },
      { n: 'b', o: 3 },
      { n: 'c' as string, o: undefined as number | undefined },
      { n: 'd', o: 1 },
    ]
    expect(orderGroups(items, (x) => x.o, 'stop').map((g) => g.map((x) => x.n))).toEqual([['c'], ['b'], ['a', 'd']])
    expect(orderGroups(items, (x) => x.o, 'start').map((g) => g.map((x) => x.n))).toEqual([['a', 'd'], ['b'], ['c']])
  })
  it('places tiers in phases: stop in the given order, start reversed', () => {
    expect(['app', 'db', undefined].map((t) => tierPhase(t, ['app', 'db'], 'stop'))).toEqual([1, 2, 0])
    expect(['app', 'db', undefined].map((t) => tierPhase(t, ['app', 'db'], 'start'))).toEqual([1, 0, 2])
  })
  it('turns: tier phases, each split into order groups, one definition for both directions', () => {
    const g = (name: string, order?: number, tier?: string) => ({ name, tags: { ...(order !== undefined ? { order } : {}), ...(tier ? { tier } : {}) } })
    const items = [g('web1', 2, 'app'), g('web2', 1, 'app'), g('db1', 5, 'db'), g('misc'), g('cache', 2, 'app')]
    const names = (phases: Array<Array<Array<{ name: string }>>>) => phases.map((groups) => groups.map((group) => group.map((t) => t.name)))
    expect(names(turns(items, ['app', 'db'], 'stop'))).toEqual([[['misc']], [['web1', 'cache'], ['web2']], [['db1']]])
    expect(names(turns(items, ['app', 'db'], 'start'))).toEqual([[['db1']], [['web2'], ['web1', 'cache']], [['misc']]])
    // without tiers: one phase, whatever a guest's tier tag says
    expect(names(turns(items, [], 'stop'))).toEqual([[['misc'], ['db1'], ['web1', 'cache'], ['web2']]])
  })

  it('a barrier releases a phase once every remaining host reached it', async () => {
    const b = new PhaseBarrier(['h1', 'h2', 'h3'])
    let released = false
    void b.arrive('h1', 0).then(() => (released = true))
    const h2 = b.arrive('h2', 0)
    await new Promise((r) => setImmediate(r))
    expect(released).toBe(false)
    b.leave('h3')
    await h2
    expect(released).toBe(true)
  })
})

describe('ordering on hosts', () => {
  function fleet() {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    const specs = ['hv1', 'hv2'].map((name) => {
      const h = transport.addHost(name)
      h.addGuest({ name: `${name}-db`, shutdownDelayMs: 500 })
      h.addGuest({ name: `${name}-app1`, shutdownDelayMs: name === 'hv1' ? 4000 : 500 })
      h.addGuest({ name: `${name}-app2`, shutdownDelayMs: 500 })
      return hostSpec(name, { vars: { guest_order: { '*-db': 1, '*-app1': 2, '*-app2': 3 }, guest_tiers: { '*-db': 'db', '*-app*': 'app' } } })
    })
    const events: FleetEvent[] = []
    const bus = new EventBus()
    bus.on((e) => events.push(e))
    return { clock, transport, specs, events, bus }
  }

  it('--tiers app,db: no db guest anywhere is touched before every app guest everywhere is off', async () => {
    const { clock, transport, specs, bus, events } = fleet()
    const barrier = new PhaseBarrier(specs.map((s) => s.name))
    await clock.runUntil(
      runStop(
        specs,
        { transport, clock, bus, runId: 'r', command: 'shutdown', check: false, onHostDone: (h) => barrier.leave(h) },
        { tiers: ['app', 'db'], barrier },
      ),
    )
    const firstDb = events.findIndex((e) => e.type === 'guest-action' && e.guest.name.endsWith('-db'))
    const lastAppDone = events.map((e, i) => (e.type === 'guest-done' && e.guest.name.includes('-app') ? i : -1)).reduce((a, b) => Math.max(a, b))
    expect(firstDb).toBeGreaterThan(lastAppDone)
    // within a host, order 3 before 2 (descending)
    expect(transport.actions().filter((a) => a.startsWith('hv2'))).toEqual(['hv2 shutdown hv2-app2', 'hv2 shutdown hv2-app1', 'hv2 shutdown hv2-db'])
  })

  it('start runs tiers in reverse (db first everywhere) and orders ascending with a group delay', async () => {
    const { clock, transport, specs, bus } = fleet()
    await clock.runUntil(runStop(specs, { transport, clock, bus, runId: 'r', command: 'shutdown', check: false }, {}))
    const before = transport.log.length
    const barrier = new PhaseBarrier(specs.map((s) => s.name))
    await clock.runUntil(
      runStart(
        specs,
        { transport, clock, bus, runId: 'r2', command: 'start', check: false, onHostDone: (h) => barrier.leave(h) },
        { tiers: ['app', 'db'], barrier, groupDelayMs: 3000 },
      ),
    )
    const starts = transport.log.slice(before).filter((x) => x.argv[3] === 'start')
    const name = (x: (typeof starts)[number]) => transport.hosts.get(x.host)?.guests.find((g) => g.uuid === x.argv[4])?.name
    expect(starts.slice(0, 2).map(name).sort()).toEqual(['hv1-db', 'hv2-db'])
    const hv1 = starts.filter((x) => x.host === 'hv1')
    expect(hv1.map(name)).toEqual(['hv1-db', 'hv1-app1', 'hv1-app2'])
    expect(hv1[2]!.at - hv1[1]!.at).toBeGreaterThanOrEqual(3000)
  })
})

describe('typed ordering settings in the engine', () => {
  it('a non-numeric guest_order fails the run as an input error before any host is contacted', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    transport.addHost('hv1').addGuest({ name: 'web1' })
    const spec = hostSpec('hv1', { vars: { guest_order: { 'web*': 'first' } } })
    const ctx = { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false }
    await expect(runStop([spec], ctx, {})).rejects.toBeInstanceOf(InputError)
    await expect(runStart([spec], { ...ctx, command: 'start' }, {})).rejects.toThrow(/guest_order\["web\*"\]: expected a number/)
    expect(transport.log).toEqual([])
  })

  it('an order given as an INI string orders the guests as a number does', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    const h = transport.addHost('hv1')
    for (const n of ['a', 'b', 'c']) h.addGuest({ name: n, shutdownDelayMs: 100 })
    const spec = hostSpec('hv1', { vars: { guest_order: { a: '1', b: '10', c: '2' } } })
    await clock.runUntil(runStop([spec], { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false }, {}))
    expect(transport.actions()).toEqual(['hv1 shutdown b', 'hv1 shutdown c', 'hv1 shutdown a'])
  })
})
