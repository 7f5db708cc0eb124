// Rolling steps on the fake clock and the in-memory fleet: each option a playbook or flag accepts does what it says.
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../../src/core/clock.js'
import { EventBus, type FleetEvent } from '../../../../src/core/events.js'
import { stepKey } from '../../../../src/core/step-key.js'
import type { HostSpec } from '../../../../src/inventory/types.js'
import { PhaseBarrier } from '../../../../src/engine/ordering.js'
import { maintenanceSteps, runRolling, type HostStep } from '../../../../src/engine/rolling.js'
import { completedSteps, type JournalRecord } from '../../../../src/state/journal.js'
import type { HostSession, Transport } from '../../../../src/ssh/transport.js'
import { lockDir } from '../../../../src/state/host-lock.js'
import { FakeTransport, hostSpec } from '../../../support/fake-fleet.js'

function setup(names: string[], transportOf?: (t: FakeTransport) => Transport) {
  const clock = new FakeClock()
  const fake = new FakeTransport(clock)
  const hosts = names.map((n) => fake.addHost(n))
  const bus = new EventBus()
  const events: FleetEvent[] = []
  bus.on((e) => events.push(e))
  const ctx = { transport: transportOf ? transportOf(fake) : fake, clock, bus, runId: 'run-1', command: 'run', check: false }
  return { clock, fake, hosts, events, ctx, specs: names.map((n) => hostSpec(n)) }
}

const stepEvents = (events: FleetEvent[], status: string) =>
  events.flatMap((e) => (e.type === 'host-step' && e.status === status ? [{ step: e.step, at: Date.parse(e.at) - Date.UTC(2026, 0, 1) }] : []))

describe('assert guests', () => {
  it('assert off fails the host while a guest still runs', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    hosts[0]!.addGuest({ name: 'web' })
    hosts[0]!.addGuest({ name: 'db', state: 'shut off' })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: [{ kind: 'assert', guests: 'off' }] }))
    expect(r.hosts[0]?.status).toBe('failed')
    expect(r.hosts[0]?.error).toBe('assert: not off: web')
  })

  it('assert off passes after a stop turned every guest off', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    hosts[0]!.addGuest({ name: 'web' })
    const r = await clock.runUntil(
      runRolling(specs, ctx, {
        steps: [
          { kind: 'stop', options: {} },
          { kind: 'assert', guests: 'off' },
        ],
      }),
    )
    expect(r.hosts[0]?.status).toBe('ok')
    expect(r.hosts[0]?.steps?.[1]?.detail).toMatch(/^1 guest\(s\) off/)
  })

  it('assert ready probes each started guest once more: a guest whose agent went silent fails it, assert running passes', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    const db = hosts[0]!.addGuest({ name: 'db', agent: true, shutdownDelayMs: 100 })
    hosts[0]!.shellCommands.set('kill-agent', () => {
      db.agent = false
      return { code: 0, stdout: '', stderr: '' }
    })
    const r = await clock.runUntil(
      runRolling(specs, ctx, {
        steps: [
          { kind: 'stop', options: {} },
          { kind: 'start', options: { ready: { kind: 'agent' }, readyTimeoutMs: 5000 } },
          { kind: 'assert', guests: 'ready' },
          { kind: 'command', run: 'kill-agent' },
          { kind: 'assert', guests: 'running' },
          { kind: 'assert', guests: 'ready' },
        ],
      }),
    )
    expect(r.hosts[0]?.steps?.map((x) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'failed'])
    expect(r.hosts[0]?.error).toBe('assert: not ready: db')
  })

  it('assert msg leads the failure message', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    hosts[0]!.addGuest({ name: 'web' })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: [{ kind: 'assert', guests: 'off', msg: 'host not empty' }] }))
    expect(r.hosts[0]?.error).toBe('assert: host not empty: not off: web')
  })
})

describe('reboot options', () => {
  const reboot = (o: Omit<Extract<HostStep, { kind: 'reboot' }>, 'kind'>): HostStep[] => [{ kind: 'reboot', command: 'reboot', ...o }]

  it('post_reboot_delay waits after the host is back before the next step', async () => {
    const { clock, ctx, specs, events } = setup(['hv1'])
    const steps: HostStep[] = [...reboot({ postRebootDelayMs: 30_000 }), { kind: 'command', run: ['true'] }]
    const r = await clock.runUntil(runRolling(specs, ctx, { steps, reconnectEveryMs: 1000 }))
    expect(r.hosts[0]?.steps?.[0]?.status).toBe('ok')
    // Back at 5 s (5 s down, polled every second), then 30 s of delay.
    expect(stepEvents(events, 'ok').find((e) => e.step === 'reboot#0')?.at).toBe(35_000)
  })

  it('test_command must succeed before the host counts as back', async () => {
    const { clock, hosts, ctx, specs, events } = setup(['hv1'])
    let ready = false
    hosts[0]!.shellCommands.set('systemctl is-system-running', () =>
      ready ? { code: 0, stdout: 'running\n', stderr: '' } : { code: 1, stdout: 'starting\n', stderr: '' },
    )
    void clock.sleep(20_000).then(() => (ready = true))
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: reboot({ testCommand: 'systemctl is-system-running' }), reconnectEveryMs: 1000 }))
    expect(r.hosts[0]?.status).toBe('ok')
    expect(r.hosts[0]?.steps?.[0]?.detail).toMatch(/test command ok/)
    expect(stepEvents(events, 'ok')[0]?.at).toBe(20_000)
  })

  it('a test_command that never succeeds fails the reboot at its timeout, naming the command', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    hosts[0]!.shellCommands.set('false', () => ({ code: 1, stdout: '', stderr: 'not ready' }))
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: reboot({ testCommand: 'false', rebootTimeoutMs: 30_000 }), reconnectEveryMs: 1000 }))
    expect(r.hosts[0]?.status).toBe('failed')
    expect(r.hosts[0]?.error).toMatch(/within 30s \(last: test command `false` exited 1: not ready\)/)
  })

  it('connect_timeout gives up a connection attempt that hangs and tries again', async () => {
    let hangs = 1
    const { clock, ctx, specs, events } = setup(['hv1'], (fake) =>
      hangingOnce(
        fake,
        () => hangs > 0 && fake.hosts.get('hv1')!.reboots > 0 && !fake.hosts.get('hv1')!.unreachable,
        () => hangs--,
      ),
    )
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: reboot({ connectTimeoutMs: 4000 }), reconnectEveryMs: 1000 }), 120_000)
    expect(r.hosts[0]?.status).toBe('ok')
    // Back at 5 s; that attempt hangs until 9 s (connect_timeout 4 s); the next, a second later, gets in.
    expect(stepEvents(events, 'ok')[0]?.at).toBe(10_000)
  })
})

/** A transport whose connect hangs (until its signal fires) while `hang()` says so. */
function hangingOnce(fake: FakeTransport, hang: () => boolean, onHang: () => void): Transport {
  return {
    connect: (host: HostSpec, signal?: AbortSignal): Promise<HostSession> => {
      if (!hang()) return fake.connect(host)
      onHang()
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }))
    },
    closeAll: () => fake.closeAll(),
  }
}

describe('wait_for_ssh options', () => {
  it('delay comes before the first attempt, then one attempt per interval', async () => {
    const connects: number[] = []
    const { clock, hosts, ctx, specs, events } = setup(['hv1'], (fake) => ({
      connect: (h) => {
        connects.push(clock.now())
        return fake.connect(h)
      },
      closeAll: () => fake.closeAll(),
    }))
    hosts[0]!.unreachable = true
    void clock.sleep(10_000).then(() => (hosts[0]!.unreachable = false))
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: [{ kind: 'wait_for_ssh', delayMs: 3000, intervalMs: 4000, timeoutMs: 60_000 }] }))
    expect(r.hosts[0]?.status).toBe('ok')
    expect(connects).toEqual([3000, 7000, 11_000])
    expect(stepEvents(events, 'ok')[0]?.at).toBe(11_000)
  })
})

describe('operator steps', () => {
  it('pause shows its prompt while it waits', async () => {
    const { clock, ctx, specs, events } = setup(['hv1'])
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: [{ kind: 'pause', ms: 5000, prompt: 'Cooling down' }] }))
    expect(r.hosts[0]?.status).toBe('ok')
    expect(events.some((e) => e.type === 'log' && e.message === 'Cooling down' && e.host === 'hv1')).toBe(true)
    expect(stepEvents(events, 'ok')[0]?.at).toBe(5000)
  })

  it('confirm asks its prompt, one host at a time, and a no fails the host', async () => {
    const { clock, ctx, specs } = setup(['hv1', 'hv2'])
    const asked: string[] = []
    let inFlight = 0
    let most = 0
    const ask = async (q: string) => {
      asked.push(q)
      most = Math.max(most, ++inFlight)
      await clock.sleep(1000)
      inFlight--
      return q.startsWith('hv1')
    }
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: [{ kind: 'confirm', prompt: 'Go on?' }], ask, maxFailPercentage: 100 }))
    expect(asked).toEqual(['hv1: Go on?', 'hv2: Go on?'])
    expect(most).toBe(1)
    expect(r.hosts.map((h) => h.status)).toEqual(['ok', 'failed'])
    expect(r.hosts[1]?.error).toBe('confirm: operator declined')
  })
})

describe('--tiers in a rolling run', () => {
  it('every host of a batch finishes stopping tier app before any host stops tier db', async () => {
    const { clock, hosts, fake, ctx } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'hv1-app', shutdownDelayMs: 8000 })
    hosts[0]!.addGuest({ name: 'hv1-db', shutdownDelayMs: 1000 })
    hosts[1]!.addGuest({ name: 'hv2-app', shutdownDelayMs: 1000 })
    hosts[1]!.addGuest({ name: 'hv2-db', shutdownDelayMs: 1000 })
    const vars = { guest_tiers: { '*-app': 'app', '*-db': 'db' } }
    const specs = ['hv1', 'hv2'].map((n) => hostSpec(n, { vars }))
    // As the CLI builds it: one barrier that was never told the hosts.
    const steps = maintenanceSteps({ stop: { tiers: ['app', 'db'], barrier: new PhaseBarrier(), pollMs: 500 } })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps }))
    expect(r.exitCode).toBe(0)
    const at = (verb: string, name: string) =>
      fake.log.find((x) => x.argv[3] === verb && hosts.some((h) => h.guests.find((g) => g.uuid === x.argv[4])?.name === name))?.at
    expect(at('shutdown', 'hv2-db')).toBeGreaterThanOrEqual(8000)
    expect(at('shutdown', 'hv1-db')).toBeGreaterThanOrEqual(8000)
  })

  it('on the way back, every host of a batch starts tier db before any host starts tier app', async () => {
    const { clock, hosts, fake, ctx } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'hv1-db', shutdownDelayMs: 1000 })
    hosts[1]!.addGuest({ name: 'hv2-db', shutdownDelayMs: 9000 })
    hosts[1]!.addGuest({ name: 'hv2-app', shutdownDelayMs: 1000 })
    hosts[0]!.addGuest({ name: 'hv1-app', shutdownDelayMs: 1000 })
    const vars = { guest_tiers: { '*-app': 'app', '*-db': 'db' } }
    const specs = ['hv1', 'hv2'].map((n) => hostSpec(n, { vars }))
    const steps = maintenanceSteps({ stop: { tiers: ['app', 'db'], pollMs: 500 }, reboot: { command: 'reboot' }, start: { tiers: ['app', 'db'] } })
    hosts[1]!.rebootDownMs = 20_000
    const r = await clock.runUntil(runRolling(specs, ctx, { steps, reconnectEveryMs: 1000 }))
    expect(r.exitCode).toBe(0)
    const startAt = (name: string) =>
      fake.log.find((x) => x.argv[3] === 'start' && hosts.some((h) => h.guests.find((g) => g.uuid === x.argv[4])?.name === name))?.at
    // hv2 is back last (its db stops slowly and its reboot is long): hv1's app waits for hv2's db to start.
    expect(startAt('hv1-app')).toBeGreaterThanOrEqual(startAt('hv2-db')!)
  })

  it('a host that fails before its stop step is not waited for', async () => {
    const { clock, hosts, ctx } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'hv1-db' })
    hosts[1]!.addGuest({ name: 'hv2-app' })
    hosts[1]!.files.set(`${lockDir()}/owner`, JSON.stringify({ runId: 'other', controlHost: 'elsewhere', pid: 1, since: 'x' }))
    const vars = { guest_tiers: { '*-app': 'app', '*-db': 'db' } }
    const specs = ['hv1', 'hv2'].map((n) => hostSpec(n, { vars }))
    const steps = maintenanceSteps({ stop: { tiers: ['app', 'db'] } })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps, maxFailPercentage: 100 }), 600_000)
    expect(r.hosts.map((h) => h.status)).toEqual(['ok', 'failed'])
  })
})

describe('reboot report', () => {
  it('counts each guest once although it has a stop row and a start row', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    for (let i = 1; i <= 7; i++) hosts[0]!.addGuest({ name: `g${i}` })
    const steps = maintenanceSteps({ stop: {}, reboot: { command: 'reboot' }, start: {} })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps, reconnectEveryMs: 1000 }))
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.guests).toHaveLength(14)
    expect(r.summary.guests).toBe(7)
    expect(r.summary.guestsOk).toBe(7)
  })
})

describe('resume', () => {
  it('skips the host steps the journal recorded as done, by the one step key', async () => {
    const { clock, hosts, ctx, specs } = setup(['hv1'])
    hosts[0]!.addGuest({ name: 'web', state: 'shut off' })
    const records: JournalRecord[] = ['preflight#0', 'lock#1', 'stop#2', 'reboot#3'].map((step) => ({ type: 'step', host: 'hv1', step, status: 'ok', at: '' }))
    const completed = completedSteps(records)
    expect(completed.has(stepKey('hv1', undefined, 'reboot#3'))).toBe(true)
    const steps = maintenanceSteps({ stop: {}, reboot: { command: 'reboot' }, start: {} })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps, completed }))
    expect(hosts[0]!.reboots).toBe(0)
    expect(r.hosts[0]?.steps?.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'ok', 'ok', 'ok'])
  })
})

describe('time limits run on the injected clock', () => {
  it('a command that hangs is cut at its timeout', async () => {
    const { clock, hosts, ctx, specs, events } = setup(['hv1'])
    hosts[0]!.shellCommands.set(
      'sleep infinity',
      (o) =>
        new Promise((resolve) => o.signal?.addEventListener('abort', () => resolve({ code: null, signal: 'TERM', stdout: '', stderr: '' }), { once: true })),
    )
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: [{ kind: 'command', run: 'sleep infinity', timeoutMs: 5000 }] }), 60_000)
    expect(r.hosts[0]?.error).toBe('command: `sleep infinity` exited by signal: ')
    expect(stepEvents(events, 'failed')[0]?.at).toBe(5000)
    expect(clock.pending).toBe(0)
  })
})
