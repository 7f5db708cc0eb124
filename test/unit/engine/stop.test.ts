import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import type { FleetEvent } from '../../../src/core/events.js'
import type { StopRunOptions } from '../../../src/engine/stop.js'
import { runStop } from '../../../src/engine/stop.js'
import type { RunReport } from '../../../src/core/report.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'
import { slowVerb } from '../../support/slow-host.js'

function setup(delays: Array<number | 'ignore'> = [1500, 3000, 6000, 2000]) {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const host = transport.addHost('hv1')
  delays.forEach((d, i) => host.addGuest({ name: `g${i + 1}`, shutdownDelayMs: d }))
  const bus = new EventBus()
  const events: FleetEvent[] = []
  bus.on((e) => events.push(e))
  const run = async (o: StopRunOptions, signal?: AbortSignal): Promise<RunReport> =>
    clock.runUntil(runStop([hostSpec('hv1')], { transport, clock, bus, runId: 'r1', command: 'shutdown', check: false, signal }, { pollMs: 5000, ...o }))
  return { clock, transport, host, run, events }
}

const byName = (r: RunReport) => Object.fromEntries((r.hosts[0]?.guests ?? []).map((g) => [g.name, g]))

describe("libvirt-guests' verification scenarios (four guests, ACPI delays 1.5/3/6/2 s)", () => {
  it('PARALLEL_SHUTDOWN=3, SHUTDOWN_TIMEOUT=300: every guest is shut down, the fourth as soon as a slot frees', async () => {
    const { run, transport } = setup()
    const r = await run({ parallel: 3, hostTimeoutMs: 300_000 })
    expect(r.exitCode).toBe(0)
    const g = byName(r)
    for (const n of ['g1', 'g2', 'g3', 'g4']) {
      expect(g[n]?.outcome).toBe('stopped')
      expect(g[n]?.attempts.map((a) => a.action)).toEqual(['shutdown'])
    }
    // g4 waits for g1 (1.5 s) to finish, then needs 2 s: the host is done when g3 (6 s) is.
    expect(transport.actions()).toEqual(['hv1 shutdown g1', 'hv1 shutdown g2', 'hv1 shutdown g3', 'hv1 shutdown g4'])
    expect(r.hosts[0]?.durationMs).toBeGreaterThanOrEqual(6000)
    expect(r.hosts[0]?.durationMs).toBeLessThan(6500)
  })

  it('PARALLEL_SHUTDOWN=0 (serial), SHUTDOWN_TIMEOUT=300: guests stop one after another', async () => {
    const { run } = setup()
    const r = await run({ parallel: 1, hostTimeoutMs: 300_000 })
    expect(r.exitCode).toBe(0)
    expect(Object.values(byName(r)).map((g) => g.outcome)).toEqual(['stopped', 'stopped', 'stopped', 'stopped'])
    expect(r.hosts[0]?.durationMs).toBeGreaterThanOrEqual(12_500)
  })

  it('PARALLEL_SHUTDOWN=3, SHUTDOWN_TIMEOUT=1 with --fallback destroy: the queued fourth guest is still acted on', async () => {
    const { run, transport } = setup()
    const r = await run({ parallel: 3, hostTimeoutMs: 1000, fallback: ['destroy'] })
    expect(r.exitCode).toBe(0)
    const g = byName(r)
    for (const n of ['g1', 'g2', 'g3']) {
      expect(g[n]?.outcome).toBe('destroyed')
      expect(g[n]?.attempts.map((a) => [a.action, a.result, a.reason])).toEqual([
        ['shutdown', 'timeout', 'primary'],
        ['destroy', 'ok', 'host-budget'],
      ])
    }
    expect(g.g4?.outcome).toBe('destroyed')
    expect(g.g4?.attempts.map((a) => [a.action, a.result, a.reason])).toEqual([['destroy', 'ok', 'host-budget']])
    expect(transport.actions()).toContain('hv1 destroy g4')
    expect(r.hosts[0]?.durationMs).toBeLessThan(1500)
  })

  it('PARALLEL_SHUTDOWN=0, SHUTDOWN_TIMEOUT=1 with --fallback destroy: the first is cut, the three queued are destroyed', async () => {
    const { run } = setup()
    const r = await run({ parallel: 1, hostTimeoutMs: 1000, fallback: ['destroy'] })
    const g = byName(r)
    expect(g.g1?.attempts.map((a) => a.action)).toEqual(['shutdown', 'destroy'])
    for (const n of ['g2', 'g3', 'g4']) expect(g[n]?.attempts.map((a) => [a.action, a.reason])).toEqual([['destroy', 'host-budget']])
    expect(Object.values(g).every((x) => x.outcome === 'destroyed')).toBe(true)
  })

  it('SHUTDOWN_TIMEOUT=1 and no fallback: every guest, queued ones too, is asked to stop and reported still running', async () => {
    const { run, transport } = setup()
    const r = await run({ parallel: 3, hostTimeoutMs: 1000 })
    expect(r.exitCode).toBe(2)
    const g = byName(r)
    expect(Object.values(g).map((x) => x.outcome)).toEqual(['still-running', 'still-running', 'still-running', 'still-running'])
    expect(transport.actions()).toEqual(['hv1 shutdown g1', 'hv1 shutdown g2', 'hv1 shutdown g3', 'hv1 shutdown g4'])
    expect(g.g4?.note).toMatch(/host budget exhausted before its turn/)
    expect(r.hosts[0]?.status).toBe('partial')
  })
})

describe('stop', () => {
  it('writes the saved list on the host before touching any guest', async () => {
    const { run, transport, host } = setup([100, 100])
    await run({})
    const writeAt = transport.log.findIndex((x) => x.argv[0] === 'sh' && x.argv[5] === savedListPath())
    const firstAction = transport.log.findIndex((x) => x.argv[3] === 'shutdown')
    expect(writeAt).toBeGreaterThanOrEqual(0)
    expect(writeAt).toBeLessThan(firstAction)
    const list = JSON.parse(host.files.get(savedListPath()) ?? '{}')
    expect(list.entries.map((e: { name: string }) => e.name)).toEqual(['g1', 'g2'])
  })

  it("a second stop keeps the first stop's list (guests already off stay listed)", async () => {
    const { run, host } = setup([100, 100])
    await run({ guests: ['g1'] })
    await run({})
    const list = JSON.parse(host.files.get(savedListPath()) ?? '{}')
    expect(list.entries.map((e: { name: string }) => e.name).sort()).toEqual(['g1', 'g2'])
  })

  it('a guest that ignores ACPI is destroyed after its timeout when the fallback says so', async () => {
    const { run } = setup(['ignore'])
    const r = await run({ timeoutMs: 5000, fallback: ['destroy'] })
    const g = byName(r).g1
    expect(g?.outcome).toBe('destroyed')
    expect(g?.attempts.map((a) => [a.action, a.result, a.reason])).toEqual([
      ['shutdown', 'timeout', 'primary'],
      ['destroy', 'ok', 'fallback'],
    ])
    expect(g?.attempts[0]?.durationMs).toBe(5000)
  })

  it('a guest that ignores ACPI with no fallback is left running and reported, exit code 2', async () => {
    const { run } = setup(['ignore'])
    const r = await run({ timeoutMs: 5000 })
    expect(byName(r).g1?.outcome).toBe('still-running')
    expect(byName(r).g1?.ok).toBe(false)
    expect(r.exitCode).toBe(2)
  })

  it('suspend falls back to shutdown for a transient guest and lists only persistent guests', async () => {
    const { run, host } = setup([])
    host.addGuest({ name: 'pers', shutdownDelayMs: 100 })
    host.addGuest({ name: 'trans', persistent: false, shutdownDelayMs: 100 })
    const r = await run({ action: 'suspend', fallback: ['shutdown'] })
    expect(byName(r).pers?.outcome).toBe('suspended')
    expect(byName(r).trans?.outcome).toBe('stopped')
    expect(byName(r).trans?.attempts.map((a) => a.action)).toEqual(['shutdown'])
    const list = JSON.parse(host.files.get(savedListPath()) ?? '{}')
    expect(list.entries.map((e: { name: string; action: string }) => [e.name, e.action])).toEqual([['pers', 'suspend']])
  })

  it('--check acts on nothing and writes nothing', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    transport.addHost('hv1').addGuest({ name: 'g1' })
    const r = await runStop(
      [hostSpec('hv1')],
      { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: true },
      { fallback: ['destroy'] },
    )
    expect(transport.actions()).toEqual([])
    expect(transport.hosts.get('hv1')?.files.size).toBe(0)
    expect(r.hosts[0]?.guests[0]?.plan).toEqual(['shutdown', 'destroy'])
    expect(r.hosts[0]?.guests[0]?.outcome).toBe('planned')
  })

  it('an unreachable host gives exit code 3 while the other hosts are handled', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    transport.addHost('hv1').addGuest({ name: 'g1', shutdownDelayMs: 100 })
    const r = await clock.runUntil(
      runStop([hostSpec('hv1'), hostSpec('gone')], { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false }, {}),
    )
    expect(r.exitCode).toBe(3)
    expect(r.hosts.map((h) => [h.host, h.status])).toEqual([
      ['hv1', 'ok'],
      ['gone', 'unreachable'],
    ])
  })

  it('Ctrl-C: queued guests are not touched, the saved list stays, exit code 130', async () => {
    const { clock, transport, host } = setup([3000, 3000, 3000])
    const ac = new AbortController()
    const p = runStop(
      [hostSpec('hv1')],
      { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false, signal: ac.signal },
      { parallel: 1 },
    )
    await clock.advance(1000)
    ac.abort()
    const r = await clock.runUntil(p)
    expect(r.exitCode).toBe(130)
    expect(transport.actions()).toEqual(['hv1 shutdown g1'])
    expect(byName(r).g2?.outcome).toBe('interrupted')
    const list = JSON.parse(host.files.get(savedListPath()) ?? '{}')
    expect(list.entries).toHaveLength(3)
  })

  it('a lost connection fails the guests but the list written before stays on the host', async () => {
    const { run, host } = setup([100, 100])
    host.loseConnectionAfterExecs = 4
    const r = await run({ parallel: 1, fallback: ['destroy'] })
    expect(r.exitCode).not.toBe(0)
    const list = JSON.parse(host.files.get(savedListPath()) ?? '{}')
    expect(list.entries).toHaveLength(2)
  })
})

describe('step timeouts are exact (one deadline from the moment of the request)', () => {
  it('a slow shutdown request counts against --timeout: timeout reported at 6.0s, not 7.5s', async () => {
    const clock = new FakeClock()
    const fake = new FakeTransport(clock)
    fake.addHost('hv1').addGuest({ name: 'g1', shutdownDelayMs: 'ignore' })
    const events: FleetEvent[] = []
    const bus = new EventBus()
    bus.on((e) => events.push(e))
    const transport = slowVerb(fake, clock, 'shutdown', 1500)
    const r = await clock.runUntil(
      runStop([hostSpec('hv1')], { transport, clock, bus, runId: 'r', command: 'shutdown', check: false }, { timeoutMs: 6000, pollMs: 5000 }),
    )
    const a = byName(r).g1?.attempts[0]
    expect(a?.result).toBe('timeout')
    expect(a?.durationMs).toBe(6000)
    expect(Date.parse(a?.endedAt ?? '') - Date.parse(a?.startedAt ?? '')).toBe(6000)
    const result = events.find((e) => e.type === 'guest-action-result')
    expect(result?.at).toBe(new Date(Date.UTC(2026, 0, 1) + 6000).toISOString())
  })

  it('a shutdown request that hangs past the deadline is cut at the deadline and the fallback runs', async () => {
    const clock = new FakeClock()
    const fake = new FakeTransport(clock)
    fake.addHost('hv1').addGuest({ name: 'g1', shutdownDelayMs: 'ignore' })
    const transport = slowVerb(fake, clock, 'shutdown', 60_000)
    const r = await clock.runUntil(
      runStop(
        [hostSpec('hv1')],
        { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false },
        { timeoutMs: 6000, fallback: ['destroy'] },
      ),
    )
    const g = byName(r).g1
    expect(g?.attempts.map((a) => [a.action, a.result, a.durationMs])).toEqual([
      ['shutdown', 'timeout', 6000],
      ['destroy', 'ok', 0],
    ])
    expect(g?.outcome).toBe('destroyed')
    expect(g?.durationMs).toBe(6000)
  })
})

describe('destroy, the last resort, is not cut by a short --timeout', () => {
  /** A guest that ignores ACPI on a host whose `virsh destroy` answers after `destroyMs`; --timeout 4s, fallback destroy. */
  async function destroyTaking(destroyMs: number) {
    const clock = new FakeClock()
    const fake = new FakeTransport(clock)
    fake.addHost('hv1').addGuest({ name: 'g1', shutdownDelayMs: 'ignore' })
    const transport = slowVerb(fake, clock, 'destroy', destroyMs)
    const r = await clock.runUntil(
      runStop(
        [hostSpec('hv1')],
        { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false },
        { timeoutMs: 4000, fallback: ['destroy'] },
      ),
    )
    return { r, g: byName(r).g1 }
  }

  it('a destroy that takes 12 s on a loaded host (libvirt: SIGTERM, then SIGKILL) completes under --timeout 4s', async () => {
    const { r, g } = await destroyTaking(12_000)
    expect(g?.attempts.map((a) => [a.action, a.result, a.durationMs])).toEqual([
      ['shutdown', 'timeout', 4000],
      ['destroy', 'ok', 12_000],
    ])
    expect(g?.outcome).toBe('destroyed')
    expect(r.exitCode).toBe(0)
  })

  it('a destroy that hangs is still cut, at 30 s', async () => {
    const { g } = await destroyTaking(600_000)
    expect(g?.attempts.map((a) => [a.action, a.result, a.durationMs])).toEqual([
      ['shutdown', 'timeout', 4000],
      ['destroy', 'timeout', 30_000],
    ])
    expect(g?.outcome).toBe('still-running')
  })
})

describe('step timeouts are exact for suspend', () => {
  it('a managedsave cut at its deadline is reported at the deadline, not after the (slow) job abort', async () => {
    const clock = new FakeClock()
    const fake = new FakeTransport(clock)
    fake.addHost('hv1').addGuest({ name: 'g1', saveMs: 60_000, shutdownDelayMs: 500 })
    const transport = slowVerb(fake, clock, 'domjobabort', 1500)
    const r = await clock.runUntil(
      runStop(
        [hostSpec('hv1')],
        { transport, clock, bus: new EventBus(), runId: 'r', command: 'shutdown', check: false },
        { action: 'suspend', fallback: ['shutdown'], timeoutMs: 6000 },
      ),
    )
    const g = byName(r).g1
    expect(g?.attempts.map((a) => [a.action, a.result, a.durationMs])).toEqual([
      ['suspend', 'timeout', 6000],
      ['shutdown', 'ok', 500],
    ])
    // the fallback starts only once the save job was aborted
    expect(Date.parse(g?.attempts[1]?.startedAt ?? '') - Date.parse(g?.attempts[0]?.endedAt ?? '')).toBe(1500)
  })
})
