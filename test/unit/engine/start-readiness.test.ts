// Readiness on the start path, on the fake clock and the in-memory fleet: time-to-running and time-to-ready in the
// report, not-ready guests, start order gated by readiness (groups and tiers), the precedence of tag, var and flag.

import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { InputError } from '../../../src/core/errors.js'
import { EventBus, type FleetEvent } from '../../../src/core/events.js'
import type { GuestReport, RunReport } from '../../../src/core/report.js'
import { PhaseBarrier } from '../../../src/engine/ordering.js'
import { runStart, type StartRunOptions } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import type { HostSpec } from '../../../src/inventory/types.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec, type FakeGuestSpec } from '../../support/fake-fleet.js'

function fleet(hosts: Record<string, { guests: FakeGuestSpec[]; vars?: HostSpec['vars'] }>) {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const specs = Object.entries(hosts).map(([name, h]) => {
    const host = transport.addHost(name)
    for (const g of h.guests) host.addGuest({ shutdownDelayMs: 100, ...g })
    return hostSpec(name, { vars: h.vars ?? {} })
  })
  const events: FleetEvent[] = []
  const bus = new EventBus()
  bus.on((e) => events.push(e))
  const ctx = (command: string) => ({ transport, clock, bus, runId: command, command, check: false })
  const stop = () => clock.runUntil(runStop(specs, ctx('shutdown'), {}))
  const start = (o: StartRunOptions = {}) => clock.runUntil(runStart(specs, ctx('start'), o))
  const list = (host: string) =>
    JSON.parse(transport.hosts.get(host)?.files.get(savedListPath()) ?? '{"entries":[]}').entries.map((e: { name: string }) => e.name)
  return { clock, transport, specs, events, bus, stop, start, list }
}
const guests = (r: RunReport): Record<string, GuestReport> => Object.fromEntries(r.hosts.flatMap((h) => h.guests).map((g) => [g.name, g]))
/** Clock time (ms since the fake epoch) of each guest's start request, from the exec log. */
function startTimes(f: ReturnType<typeof fleet>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of f.transport.log) {
    if (x.argv[0] !== 'virsh' || x.argv[3] !== 'start') continue
    const g = f.transport.hosts.get(x.host)?.guests.find((y) => y.uuid === x.argv[4])
    if (g) out[g.name] = x.at
  }
  return out
}

describe('start --ready agent', () => {
  it('reports time-to-running and time-to-ready per guest; ready is seen within one probe interval of the agent', async () => {
    const f = fleet({
      hv1: {
        guests: [
          { name: 'a', agent: true },
          { name: 'b', agent: true, agentAfterMs: 3000 },
        ],
      },
    })
    await f.stop()
    const r = await f.start({ ready: { kind: 'agent' }, readyTimeoutMs: 30_000 })
    expect(r.exitCode).toBe(0)
    const g = guests(r)
    expect(g.a).toMatchObject({ outcome: 'started', ok: true, ready: 'agent', runningAfterMs: 0, readyAfterMs: 0 })
    expect(g.b?.readyAfterMs).toBeGreaterThanOrEqual(3000)
    expect(g.b?.readyAfterMs).toBeLessThanOrEqual(3250)
    expect(g.b?.attempts.map((a) => [a.action, a.result])).toEqual([
      ['start', 'ok'],
      ['agent', 'ok'],
    ])
    expect(Date.parse(g.b?.readyAt ?? '')).toBeGreaterThan(Date.parse(g.b?.attempts[0]?.startedAt ?? ''))
  })

  it('a guest whose agent never answers is not-ready after the readiness timeout: exit 2, running, out of the saved list', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'ok', agent: true }, { name: 'silent' }] } })
    await f.stop()
    const r = await f.start({ ready: { kind: 'agent' }, readyTimeoutMs: 10_000 })
    expect(r.exitCode).toBe(2)
    const s = guests(r).silent
    expect(s).toMatchObject({ outcome: 'not-ready', ok: false, finalState: 'running', inSavedList: false, ready: 'agent' })
    expect(s?.readyAfterMs).toBeUndefined()
    expect(s?.runningAfterMs).toBe(0)
    expect(s?.attempts.at(-1)).toMatchObject({ action: 'agent', result: 'timeout' })
    expect(s?.attempts.at(-1)?.durationMs).toBeGreaterThanOrEqual(10_000)
    expect(s?.error).toMatch(/not ready within 10\.0s: guest agent answers/)
    expect(f.list('hv1')).toEqual([])
  })

  it('without a probe nothing is probed and no ready time is reported', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'a', agent: true }] } })
    await f.stop()
    const r = await f.start()
    expect(guests(r).a).toMatchObject({ outcome: 'started', runningAfterMs: 0 })
    expect(guests(r).a?.readyAfterMs).toBeUndefined()
    expect(f.transport.log.some((x) => x.argv.includes('qemu-agent-command'))).toBe(false)
  })

  it('--wait-agent D is --ready agent --ready-timeout D', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'late', agent: true, agentAfterMs: 8000 }] } })
    await f.stop()
    const r = await f.start({ waitAgentMs: 5000 })
    expect(guests(r).late).toMatchObject({ outcome: 'not-ready', ready: 'agent' })
    expect(guests(r).late?.attempts.at(-1)?.durationMs).toBe(5000)
  })

  it('a guest waiting for readiness gives its start slot back: with parallel 1 the next guest starts at once', async () => {
    const f = fleet({
      hv1: {
        guests: [
          { name: 'a', agent: true, agentAfterMs: 20_000 },
          { name: 'b', agent: true },
        ],
      },
    })
    await f.stop()
    const t0 = f.clock.now()
    await f.start({ parallel: 1, ready: { kind: 'agent' } })
    const at = startTimes(f)
    expect((at.b ?? Infinity) - t0).toBeLessThan(1000)
  })
})

describe('start order by readiness', () => {
  const dbApp = (extra: HostSpec['vars'] = {}) => ({
    guests: [
      { name: 'db1', agent: true, agentAfterMs: 7000 },
      { name: 'db2', agent: true, agentAfterMs: 4000 },
      { name: 'app1', agent: true },
      { name: 'app2', agent: true },
    ],
    vars: { guest_order: { 'db*': 1, 'app*': 2 }, ...extra },
  })

  it('no app guest starts before every db guest is ready (order groups)', async () => {
    const f = fleet({ hv1: dbApp() })
    await f.stop()
    const r = await f.start({ ready: { kind: 'agent' } })
    expect(r.exitCode).toBe(0)
    const g = guests(r)
    const dbReady = Math.max(Date.parse(g.db1!.readyAt!), Date.parse(g.db2!.readyAt!))
    for (const app of [g.app1!, g.app2!]) expect(Date.parse(app.attempts[0]!.startedAt)).toBeGreaterThanOrEqual(dbReady)
    // and not much later: readiness, not a fixed pause, opens the next group
    const at = startTimes(f)
    expect((at.app1 ?? 0) - (at.db1 ?? 0)).toBeGreaterThanOrEqual(7000)
    expect((at.app1 ?? 0) - (at.db1 ?? 0)).toBeLessThan(7500)
  })

  it('the group delay is skipped after a group whose guests all have a probe, and kept where no probe is set', async () => {
    const probed = fleet({ hv1: dbApp({ ready: 'agent' }) })
    await probed.stop()
    await probed.start({ groupDelayMs: 30_000 })
    const p = startTimes(probed)
    expect((p.app1 ?? 0) - (p.db1 ?? 0)).toBeLessThan(7500)
    const plain = fleet({ hv1: dbApp() })
    await plain.stop()
    await plain.start({ groupDelayMs: 30_000 })
    const q = startTimes(plain)
    expect((q.app1 ?? 0) - (q.db1 ?? 0)).toBeGreaterThanOrEqual(30_000)
  })

  it('a db guest that never gets ready holds the app group until its readiness timeout, then app starts', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'db1' }, { name: 'app1', agent: true }], vars: { guest_order: { 'db*': 1, 'app*': 2 } } } })
    await f.stop()
    const r = await f.start({ ready: { kind: 'agent' }, readyTimeoutMs: 15_000 })
    expect(r.exitCode).toBe(2)
    expect(guests(r).db1?.outcome).toBe('not-ready')
    expect(guests(r).app1?.outcome).toBe('started')
    const at = startTimes(f)
    expect((at.app1 ?? 0) - (at.db1 ?? 0)).toBeGreaterThanOrEqual(15_000)
  })

  it('tiers: no app guest on any host starts before every db guest on every host is ready', async () => {
    const tiers = { guest_tiers: { '*-db': 'db', '*-app': 'app' } }
    const host = (name: string, dbAgentAfterMs: number) => ({
      guests: [
        { name: `${name}-db`, agent: true, agentAfterMs: dbAgentAfterMs },
        { name: `${name}-app`, agent: true },
      ],
      vars: tiers,
    })
    const f = fleet({ hv1: host('hv1', 9000), hv2: host('hv2', 2000) })
    await f.stop()
    const barrier = new PhaseBarrier(f.specs.map((s) => s.name))
    const r = await f.clock.runUntil(
      runStart(
        f.specs,
        { transport: f.transport, clock: f.clock, bus: f.bus, runId: 't', command: 'start', check: false, onHostDone: (h) => barrier.leave(h) },
        { tiers: ['app', 'db'], barrier, ready: { kind: 'agent' } },
      ),
    )
    const g = guests(r)
    const dbReady = Math.max(Date.parse(g['hv1-db']!.readyAt!), Date.parse(g['hv2-db']!.readyAt!))
    for (const app of [g['hv1-app']!, g['hv2-app']!]) expect(Date.parse(app.attempts[0]!.startedAt)).toBeGreaterThanOrEqual(dbReady)
  })
})

describe('where the probe comes from', () => {
  it('guest tag > host var > flag', async () => {
    const f = fleet({
      hv1: {
        guests: [
          { name: 'tagged', agent: true, description: 'virtfleet:ready=none' },
          { name: 'plain', agent: true },
        ],
        vars: { use_guest_tags: true, ready: 'agent', ready_timeout: '5s' },
      },
      hv2: { guests: [{ name: 'flagged', agent: true }] },
    })
    await f.stop()
    const r = await f.start({ ready: { kind: 'command', command: 'true' } })
    const g = guests(r)
    expect(g.tagged?.ready).toBeUndefined()
    expect(g.tagged?.readyAfterMs).toBeUndefined()
    expect(g.plain?.ready).toBe('agent')
    expect(g.flagged?.ready).toBe('command:true')
  })

  it('the host ready_timeout beats the flag', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'silent' }], vars: { ready: 'agent', ready_timeout: '3s' } } })
    await f.stop()
    const r = await f.start({ readyTimeoutMs: 60_000 })
    expect(guests(r).silent?.attempts.at(-1)?.durationMs).toBe(3000)
  })

  it('a bad ready / ready_timeout var is an input error naming host and var, before any host is contacted', async () => {
    for (const [vars, msg] of [
      [{ ready: 'tcp:99999' }, /host hv1: ready: "tcp:" takes a port/],
      [{ ready: 'ping' }, /host hv1: ready: unknown readiness probe "ping"/],
      [{ ready: 3 }, /host hv1: ready: expected a probe/],
      [{ ready_timeout: 'soon' }, /host hv1: ready_timeout/],
    ] as const) {
      const f = fleet({ hv1: { guests: [{ name: 'a' }], vars } })
      const p = f.start()
      await expect(p).rejects.toBeInstanceOf(InputError)
      await expect(p).rejects.toThrow(msg)
      expect(f.transport.log).toEqual([])
    }
  })

  it('a bad guest tag fails its host before any guest of it starts', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'a' }, { name: 'b', description: 'virtfleet:ready=tcp:0' }], vars: { use_guest_tags: true } } })
    await f.stop()
    const r = await f.start()
    expect(r.hosts[0]?.status).toBe('failed')
    expect(r.hosts[0]?.error).toMatch(/guest b on hv1: virtfleet:ready tag: "tcp:" takes a port/)
    expect(f.transport.actions().filter((a) => a.includes(' start '))).toEqual([])
  })
})

describe('shutdown --mode', () => {
  it('agent powers off a guest that ignores ACPI, without a fallback; acpi is passed on explicitly and leaves it running', async () => {
    const f = fleet({ hv1: { guests: [{ name: 'stubborn', agent: true, shutdownDelayMs: 'ignore' }] } })
    const ctx = { transport: f.transport, clock: f.clock, bus: f.bus, runId: 's', command: 'shutdown', check: false }
    const acpi = await f.clock.runUntil(runStop(f.specs, ctx, { mode: 'acpi', timeoutMs: 5000 }))
    expect(guests(acpi).stubborn?.outcome).toBe('still-running')
    expect(f.transport.log.some((x) => x.argv.join(' ').endsWith('--mode acpi'))).toBe(true)
    const agent = await f.clock.runUntil(runStop(f.specs, ctx, { mode: 'agent', timeoutMs: 5000 }))
    expect(guests(agent).stubborn).toMatchObject({ outcome: 'stopped', ok: true })
    expect(guests(agent).stubborn?.attempts.map((a) => [a.action, a.result, a.reason])).toEqual([['shutdown', 'ok', 'primary']])
  })
})
