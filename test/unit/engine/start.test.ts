import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import type { RunReport } from '../../../src/core/report.js'
import type { StartRunOptions } from '../../../src/engine/start.js'
import { runStart } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import { LIBVIRT_GUESTS_FILE, savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'
import { slowVerb } from '../../support/slow-host.js'

function setup() {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const host = transport.addHost('hv1')
  const ctx = (check = false) => ({ transport, clock, bus: new EventBus(), runId: 'r1', command: 'x', check })
  const stop = (o = {}) => clock.runUntil(runStop([hostSpec('hv1')], ctx(), { ...o }))
  const start = (o: StartRunOptions = {}) => clock.runUntil(runStart([hostSpec('hv1')], ctx(), o))
  const list = () => JSON.parse(host.files.get(savedListPath()) ?? '{"entries":[]}').entries.map((e: { name: string }) => e.name)
  return { clock, transport, host, stop, start, list }
}
const byName = (r: RunReport) => Object.fromEntries((r.hosts[0]?.guests ?? []).map((g) => [g.name, g]))

describe('start', () => {
  it('restores exactly the guests the stop found running, and empties the list', async () => {
    const { host, stop, start, list, transport } = setup()
    host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    host.addGuest({ name: 'b', shutdownDelayMs: 100 })
    host.addGuest({ name: 'off-before', state: 'shut off' })
    await stop()
    expect(list()).toEqual(['a', 'b'])
    const r = await start()
    expect(r.exitCode).toBe(0)
    expect(Object.keys(byName(r))).toEqual(['a', 'b'])
    expect(transport.actions().filter((a) => a.includes('start'))).toEqual(['hv1 start a', 'hv1 start b'])
    expect(host.guest('off-before').state).toBe('shut off')
    expect(host.files.has(savedListPath())).toBe(false)
  })

  it('a boot is confirmed by its own start: no event stream, no state read', async () => {
    const { host, stop, start, list, transport } = setup()
    for (const n of ['a', 'b', 'c']) host.addGuest({ name: n, shutdownDelayMs: 100 })
    await stop()
    const before = transport.log.length
    const r = await start({ parallel: 3 })
    expect(r.exitCode).toBe(0)
    expect(Object.values(byName(r)).map((g) => [g.name, g.outcome, g.finalState])).toEqual([
      ['a', 'started', 'running'],
      ['b', 'started', 'running'],
      ['c', 'started', 'running'],
    ])
    const sent = transport.log.slice(before).map((x) => x.argv.join(' '))
    expect(sent.filter((c) => c.includes('domstate') || c.includes(' event '))).toEqual([])
    expect(list()).toEqual([])
  })

  it("a restore is confirmed by the guest's state: one restored paused is not reported running, and stays listed", async () => {
    const { host, stop, start, list, transport } = setup()
    host.addGuest({ name: 'ran', shutdownDelayMs: 100 })
    host.addGuest({ name: 'was-paused', shutdownDelayMs: 100, restoresPaused: true })
    await stop({ action: 'suspend' })
    const before = transport.log.length
    const r = await start({ parallel: 2, timeoutMs: 6000 })
    expect(r.exitCode).toBe(2)
    expect(byName(r).ran).toMatchObject({ outcome: 'started', ok: true, finalState: 'running' })
    expect(byName(r)['was-paused']).toMatchObject({ outcome: 'not-started', ok: false, inSavedList: true })
    expect(byName(r)['was-paused']?.error).toMatch(/not running within 6s/)
    expect(host.guest('was-paused').state).toBe('paused')
    // the restores were waited for on the event stream, and their state read
    const sent = transport.log.slice(before).map((x) => x.argv.join(' '))
    expect(sent.some((c) => c.includes(' event '))).toBe(true)
    expect(sent.some((c) => c.includes('domstate'))).toBe(true)
    expect(list()).toEqual(['was-paused'])
  })

  it('a guest that fails to start stays in the list and gives exit code 2', async () => {
    const { host, stop, start, list } = setup()
    host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    host.addGuest({ name: 'broken', shutdownDelayMs: 100 })
    await stop()
    host.guest('broken').startFails = "Cannot access storage file '/var/lib/lab/broken.kernel': No such file or directory"
    const r = await start()
    expect(r.exitCode).toBe(2)
    expect(byName(r).broken?.outcome).toBe('not-started')
    expect(byName(r).broken?.error).toMatch(/Cannot access storage file/)
    expect(byName(r).broken?.inSavedList).toBe(true)
    expect(list()).toEqual(['broken'])
  })

  it('skips guests already running and drops them from the list', async () => {
    const { host, stop, start, list, transport } = setup()
    host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    await stop()
    host.guest('a').state = 'running'
    const r = await start()
    expect(byName(r).a?.outcome).toBe('already-running')
    expect(transport.actions().filter((a) => a.includes('start'))).toEqual([])
    expect(list()).toEqual([])
  })

  it('keeps an entry whose guest is no longer defined, and reports it', async () => {
    const { host, stop, start, list } = setup()
    host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    await stop()
    host.guests.splice(0, 1)
    const r = await start()
    expect(byName(r).a?.outcome).toBe('not-started')
    expect(list()).toEqual(['a'])
    expect(r.exitCode).toBe(2)
  })

  it('--start-delay spaces out the starts even with parallel starts', async () => {
    const { host, stop, start, transport } = setup()
    for (const n of ['a', 'b', 'c']) host.addGuest({ name: n, shutdownDelayMs: 100 })
    await stop()
    const before = transport.log.length
    await start({ parallel: 3, startDelayMs: 2000 })
    const times = transport.log
      .slice(before)
      .filter((x) => x.argv[3] === 'start')
      .map((x) => x.at)
    expect(times[1]! - times[0]!).toBe(2000)
    expect(times[2]! - times[1]!).toBe(2000)
  })

  it('--sync-time syncs guests resumed from managed save; no agent is a note, not a failure', async () => {
    const { host, stop, start } = setup()
    host.addGuest({ name: 'a', agent: true })
    host.addGuest({ name: 'b' })
    await stop({ action: 'suspend' })
    const r = await start({ syncTime: true })
    expect(r.exitCode).toBe(0)
    expect(byName(r).a?.attempts.map((x) => [x.action, x.result])).toEqual([
      ['start', 'ok'],
      ['sync-time', 'ok'],
    ])
    expect(byName(r).b?.note).toMatch(/time sync failed/)
  })

  it('--wait-agent: a guest whose agent never answers is reported (exit 2) but leaves the list, since it runs', async () => {
    const { host, stop, start, list } = setup()
    host.addGuest({ name: 'with-agent', agent: true, shutdownDelayMs: 100 })
    host.addGuest({ name: 'silent', shutdownDelayMs: 100 })
    await stop()
    const r = await start({ waitAgentMs: 5000 })
    expect(r.exitCode).toBe(2)
    expect(byName(r)['with-agent']?.attempts.map((a) => [a.action, a.result])).toEqual([
      ['start', 'ok'],
      ['agent', 'ok'],
    ])
    // a silent agent is now reported as the guest being not ready (issue 12): it runs, but is not up
    expect(byName(r).silent).toMatchObject({ outcome: 'not-ready', ok: false, finalState: 'running' })
    expect(byName(r).silent?.attempts.at(-1)?.durationMs).toBeGreaterThanOrEqual(5000)
    expect(list()).toEqual([])
  })

  it('--guests starts only the named guests and leaves the rest listed', async () => {
    const { host, stop, start, list } = setup()
    for (const n of ['web1', 'web2', 'db1']) host.addGuest({ name: n, shutdownDelayMs: 100 })
    await stop()
    await start({ guests: ['web*'] })
    expect(list()).toEqual(['db1'])
  })

  it("mirrors the list to libvirt-guests' own file when asked", async () => {
    const { host, stop, start } = setup()
    const a = host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    await stop({ libvirtGuestsList: true })
    expect(host.files.get(LIBVIRT_GUESTS_FILE)).toBe(`qemu:///system ${a.uuid}\n`)
    await start({ libvirtGuestsList: true })
    expect(host.files.has(LIBVIRT_GUESTS_FILE)).toBe(false)
  })
})

describe('start timeouts are exact (one deadline from the moment of the request)', () => {
  it('a start request that hangs past --start-timeout is cut at the deadline: timeout at 6.0s, the entry stays', async () => {
    const { clock, transport, host, stop, list } = setup()
    host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    await stop()
    const slow = slowVerb(transport, clock, 'start', 60_000)
    const r = await clock.runUntil(
      runStart([hostSpec('hv1')], { transport: slow, clock, bus: new EventBus(), runId: 'r2', command: 'start', check: false }, { timeoutMs: 6000 }),
    )
    const a = byName(r).a
    expect(a?.attempts.map((x) => [x.action, x.result, x.durationMs])).toEqual([['start', 'timeout', 6000]])
    expect(a?.outcome).toBe('not-started')
    expect(a?.error).toMatch(/not running within 6s/)
    expect(list()).toEqual(['a'])
  })
})
