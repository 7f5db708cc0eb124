import { describe, expect, it } from 'vitest'
import { parseSerial } from '../../../src/engine/batches.js'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import type { FleetEvent } from '../../../src/core/events.js'
import type { HostStep } from '../../../src/engine/rolling.js'
import { maintenanceSteps, parseBalloonTotal, runRolling } from '../../../src/engine/rolling.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { lockDir } from '../../../src/state/host-lock.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'
import { stepKey } from '../../../src/core/step-key.js'

const REBOOT: HostStep[] = maintenanceSteps({
  stop: { fallback: ['destroy'], timeoutMs: 10_000 },
  reboot: { command: 'reboot', rebootTimeoutMs: 60_000 },
  start: {},
})

function fleet(n: number) {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const hosts = Array.from({ length: n }, (_, i) => {
    const h = transport.addHost(`hv${i + 1}`)
    h.addGuest({ name: `hv${i + 1}-a`, shutdownDelayMs: 1000 })
    h.addGuest({ name: `hv${i + 1}-b`, shutdownDelayMs: 2000 })
    h.addGuest({ name: `hv${i + 1}-off`, state: 'shut off' })
    return h
  })
  const bus = new EventBus()
  const events: FleetEvent[] = []
  bus.on((e) => events.push(e))
  const ctx = { transport, clock, bus, runId: 'run-1', command: 'reboot', check: false }
  return { clock, transport, hosts, bus, events, ctx, specs: hosts.map((h) => hostSpec(h.name)) }
}

describe('rolling reboot', () => {
  it('--serial 1: one host at a time, guests that ran are back, the off guest stays off, boot ids changed', async () => {
    const { clock, hosts, events, ctx, specs } = fleet(3)
    const r = await clock.runUntil(runRolling(specs, ctx, { serial: parseSerial('1'), steps: REBOOT, reconnectEveryMs: 1000 }))
    expect(r.exitCode).toBe(0)
    for (const h of hosts) {
      expect(h.bootId).toBe('boot-2')
      expect(h.guest(`${h.name}-a`).state).toBe('running')
      expect(h.guest(`${h.name}-b`).state).toBe('running')
      expect(h.guest(`${h.name}-off`).state).toBe('shut off')
      expect(h.files.has(savedListPath())).toBe(false)
      expect(h.files.has(`${lockDir()}/owner`)).toBe(false)
    }
    // Never two hosts in flight: each host-start comes after the previous host-done.
    const seq = events.filter((e) => e.type === 'host-start' || e.type === 'host-done').map((e) => `${e.type}:${(e as { host: string }).host}`)
    expect(seq).toEqual(['host-start:hv1', 'host-done:hv1', 'host-start:hv2', 'host-done:hv2', 'host-start:hv3', 'host-done:hv3'])
  })

  it('--max-fail-percentage 0: a failed reboot on the second host stops the roll; the third is never touched', async () => {
    const { clock, hosts, transport, ctx, specs } = fleet(3)
    hosts[1]!.rebootFails = true
    const r = await clock.runUntil(runRolling(specs, ctx, { serial: parseSerial('1'), maxFailPercentage: 0, steps: REBOOT, reconnectEveryMs: 1000 }))
    expect(r.exitCode).toBe(5)
    expect(r.hosts.map((h) => [h.host, h.status])).toEqual([
      ['hv1', 'ok'],
      ['hv2', 'failed'],
      ['hv3', 'skipped'],
    ])
    expect(r.hosts[1]?.error).toMatch(/reboot: reboot command `reboot` exited 1/)
    expect(r.hosts[2]?.error).toMatch(/max-fail-percentage/)
    expect(transport.log.filter((x) => x.host === 'hv3')).toEqual([])
  })

  it('a host locked by another live run is refused at preflight time and not touched', async () => {
    const { clock, hosts, transport, ctx, specs } = fleet(1)
    hosts[0]!.files.set(`${lockDir()}/owner`, JSON.stringify({ runId: 'other', controlHost: 'elsewhere', pid: 1, since: 'x' }))
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: REBOOT }))
    expect(r.hosts[0]?.status).toBe('failed')
    expect(r.hosts[0]?.error).toMatch(/locked by run other from elsewhere/)
    expect(transport.actions()).toEqual([])
    // Nothing was left untouched by stopping early: the run fails on its host's outcome (2), not "aborted" (5).
    expect(r.exitCode).toBe(2)
  })

  it('resume skips the host steps a previous attempt finished', async () => {
    const { clock, hosts, ctx, specs, transport } = fleet(1)
    const completed = new Set(['preflight#0', 'lock#1', 'stop#2', 'reboot#3'].map((step) => stepKey('hv1', undefined, step)))
    for (const g of hosts[0]!.guests) g.state = 'shut off'
    hosts[0]!.files.set(
      savedListPath(),
      JSON.stringify({
        version: 1,
        entries: hosts[0]!.guests.slice(0, 2).map((g) => ({ uri: g.uri, uuid: g.uuid, name: g.name, action: 'shutdown', savedAt: '', runId: 'run-1' })),
      }),
    )
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: REBOOT, completed }))
    expect(r.exitCode).toBe(0)
    expect(hosts[0]!.reboots).toBe(0)
    expect(transport.actions()).toEqual(['hv1 start hv1-a', 'hv1 start hv1-b'])
    expect(r.hosts[0]?.steps?.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'ok', 'ok', 'ok'])
  })
})

describe('maintenance plans', () => {
  it('drain, restore and reboot are the same steps in part or in full, always inside pre-flight and the host lock', () => {
    const kinds = (steps: HostStep[]) => steps.map((x) => x.kind)
    expect(kinds(maintenanceSteps({ stop: {} }))).toEqual(['preflight', 'lock', 'stop', 'unlock'])
    expect(kinds(maintenanceSteps({ start: {} }))).toEqual(['preflight', 'lock', 'start', 'assert', 'unlock'])
    expect(kinds(REBOOT)).toEqual(['preflight', 'lock', 'stop', 'reboot', 'start', 'assert', 'unlock'])
    expect(maintenanceSteps({ stop: { action: 'suspend' } })[0]).toEqual({ kind: 'preflight', suspend: true })
  })
})

describe('preflight memory', () => {
  it('sums balloon.current from virsh domstats', () => {
    expect(parseBalloonTotal("Domain: 'a'\n  balloon.current=98304\n  balloon.maximum=98304\n\nDomain: 'b'\n  balloon.current=1024\n")).toBe(99328)
  })
})
