import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import type { FleetEvent } from '../../../src/core/events.js'
import { runStart } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

function setup(silent: boolean) {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const host = transport.addHost('hv1')
  host.silentEvents = silent
  host.addGuest({ name: 'g1', shutdownDelayMs: 1500 })
  host.addGuest({ name: 'g2', shutdownDelayMs: 3000 })
  const bus = new EventBus()
  const events: FleetEvent[] = []
  bus.on((e) => events.push(e))
  const ctx = { transport, clock, bus, runId: 'r1', check: false }
  const warnings = () => events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [`${e.host}: ${e.message}`] : []))
  return { clock, transport, host, ctx, warnings }
}

describe('a libvirtd that delivers no events', () => {
  it('a stop still ends right, at the poll, and says the stream was silent', async () => {
    const { clock, transport, ctx, warnings } = setup(true)
    const r = await clock.runUntil(runStop([hostSpec('hv1')], { ...ctx, command: 'shutdown' }, { pollMs: 5000 }))
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.guests.map((g) => [g.name, g.outcome])).toEqual([
      ['g1', 'stopped'],
      ['g2', 'stopped'],
    ])
    // seen off by the 5 s poll, not at 3 s when the slower guest went off
    expect(r.hosts[0]?.durationMs).toBeGreaterThanOrEqual(5000)
    expect(transport.hosts.get('hv1')?.guests.every((g) => g.state === 'shut off')).toBe(true)
    const message =
      "libvirt's event stream (qemu:///system) delivered no event; 2 waits for a guest's state ended only at the 5 s poll. " +
      'If `virsh -c qemu:///system event --all --loop` on the host stays silent while guests change state, its libvirtd no longer delivers events.'
    expect(warnings()).toEqual([`hv1: ${message}`])
    // in the host's report too: a live tree shows no log line, and --json prints none
    expect(r.hosts[0]?.warnings).toEqual([message])
  })

  it('with events delivered, the same stop ends with the slower guest and warns of nothing', async () => {
    const { clock, ctx, warnings } = setup(false)
    const r = await clock.runUntil(runStop([hostSpec('hv1')], { ...ctx, command: 'shutdown' }, { pollMs: 5000 }))
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.durationMs).toBeLessThan(3500)
    expect(warnings()).toEqual([])
    expect(r.hosts[0]).not.toHaveProperty('warnings')
  })

  it('a start that waits for a restored guest says so too', async () => {
    const { clock, host, ctx, warnings } = setup(false)
    const g1 = host.guest('g1')
    g1.restoresPaused = true // comes back paused: the start waits until it runs
    const stopped = await clock.runUntil(runStop([hostSpec('hv1')], { ...ctx, command: 'shutdown' }, { pollMs: 5000, action: 'suspend' }))
    expect(stopped.exitCode).toBe(0)
    host.silentEvents = true
    // someone resumes g1 2 s into the start; with no event, only the poll can see it
    void clock.sleep(2000).then(() => (g1.state = 'running'))
    const r = await clock.runUntil(runStart([hostSpec('hv1')], { ...ctx, command: 'start' }, { pollMs: 5000 }))
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.guests.map((g) => [g.name, g.outcome])).toEqual([
      ['g1', 'started'],
      ['g2', 'started'],
    ])
    expect(warnings()).toEqual([expect.stringMatching(/^hv1: libvirt's event stream \(qemu:\/\/\/system\) delivered no event; 1 wait for/)])
  })
})
