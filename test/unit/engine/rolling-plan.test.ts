import { describe, expect, it } from 'vitest'
import { parseSerial } from '../../../src/engine/batches.js'
import { maintenanceSteps, planRolling } from '../../../src/engine/rolling.js'
import { PhaseBarrier } from '../../../src/engine/ordering.js'
import { formatRollingPlan } from '../../../src/render/rolling-plan.js'
import { hostSpec } from '../../support/fake-fleet.js'

const names = (n: number, prefix = 'hv') => Array.from({ length: n }, (_, i) => hostSpec(`${prefix}${String(i + 1).padStart(2, '0')}`))
const REBOOT = maintenanceSteps({ stop: { fallback: ['destroy'] }, reboot: {}, start: {} })

describe('planRolling: batches', () => {
  it('serial 1,5,20% over 30 hosts gives batches of 1, 5, then 20% (6 hosts) repeating', () => {
    const plan = planRolling(names(30), { steps: REBOOT, serial: parseSerial('1,5,20%') })
    expect(plan.batches.map((b) => b.length)).toEqual([1, 5, 6, 6, 6, 6])
    expect(plan.batches.flat()).toEqual(names(30).map((h) => h.name))
  })

  it('without serial every host is in one batch', () => {
    expect(planRolling(names(3), { steps: REBOOT }).batches).toEqual([['hv01', 'hv02', 'hv03']])
  })
})

describe('planRolling: play order (Ansible order)', () => {
  const hosts = ['c', 'a', 'b'].map((n) => hostSpec(n))
  const order = (o: 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted') => planRolling(hosts, { steps: [], order: o }).batches.flat()

  it('inventory keeps the inventory order, reverse_inventory reverses it', () => {
    expect(order('inventory')).toEqual(['c', 'a', 'b'])
    expect(order('reverse_inventory')).toEqual(['b', 'a', 'c'])
  })

  it('sorted and reverse_sorted order by name', () => {
    expect(order('sorted')).toEqual(['a', 'b', 'c'])
    expect(order('reverse_sorted')).toEqual(['c', 'b', 'a'])
  })

  it('shuffle uses the injected random source, so a plan is reproducible', () => {
    const plan = planRolling(names(5), { steps: [], order: 'shuffle', random: () => 0 })
    // Fisher-Yates with random() = 0 rotates the first element to the end, step by step.
    expect(plan.batches.flat()).toEqual(['hv02', 'hv03', 'hv04', 'hv05', 'hv01'])
    expect(plan.hosts.map((h) => h.host)).toEqual(plan.batches.flat())
  })

  it('the order is applied before batching: serial 1 with reverse_sorted starts with the last name', () => {
    expect(planRolling(names(3), { steps: [], order: 'reverse_sorted', serial: parseSerial('1') }).batches).toEqual([['hv03'], ['hv02'], ['hv01']])
  })
})

describe('planRolling: steps per host, with that host’s defaults filled in', () => {
  it('a reboot uses the host’s reboot_command, else systemctl reboot, with the default timeouts', () => {
    const plan = planRolling([hostSpec('a', { rebootCommand: 'shutdown -r now' }), hostSpec('b')], { steps: REBOOT })
    const reboot = (i: number) => plan.hosts[i]?.steps.find((s) => s.step.kind === 'reboot')?.step
    expect(reboot(0)).toEqual({ kind: 'reboot', command: 'shutdown -r now', rebootTimeoutMs: 600_000, connectTimeoutMs: 10_000 })
    expect(reboot(1)).toMatchObject({ command: 'systemctl reboot' })
  })

  it('stop options resolve as a stop does: command line over inventory over defaults', () => {
    const plan = planRolling([hostSpec('a', { action: 'suspend', parallel: 8 })], { steps: maintenanceSteps({ stop: { parallel: 2 } }) })
    expect(plan.hosts[0]?.steps[2]?.step).toEqual({
      kind: 'stop',
      options: { action: 'suspend', fallback: [], parallel: 2, timeoutMs: 300_000 },
    })
  })

  it('steps are named kind#index after the play prefix, the name a resume looks for', () => {
    const plan = planRolling(names(1), { steps: REBOOT, stepPrefix: 'play2.', ignoreErrors: new Set([3]) })
    expect(plan.hosts[0]?.steps.map((s) => s.name)).toEqual([
      'play2.preflight#0',
      'play2.lock#1',
      'play2.stop#2',
      'play2.reboot#3',
      'play2.start#4',
      'play2.assert#5',
      'play2.unlock#6',
    ])
    expect(plan.hosts[0]?.steps.map((s) => s.ignoreErrors)).toEqual([false, false, false, true, false, false, false])
  })

  it('tiers are plan data; the run-time barrier a caller passes is not part of the plan', () => {
    const steps = maintenanceSteps({ stop: { tiers: ['app', 'db'], barrier: new PhaseBarrier() }, start: { tiers: ['app', 'db'] } })
    const plan = planRolling(names(2), { steps })
    expect(plan.tiers).toEqual(['app', 'db'])
    const stop = plan.hosts[0]?.steps[2]?.step
    expect(stop?.kind === 'stop' && 'barrier' in stop.options).toBe(false)
  })
})

describe('formatRollingPlan (--check of reboot, drain and run)', () => {
  it('prints batches, hosts and each step with its options', () => {
    const plan = planRolling([hostSpec('hv1'), hostSpec('hv2')], {
      steps: maintenanceSteps({ stop: { fallback: ['destroy'], timeoutMs: 60_000 }, reboot: { rebootTimeoutMs: 300_000 }, start: {} }),
      serial: parseSerial('1'),
      maxFailPercentage: 0,
    })
    const text = formatRollingPlan(plan, 'reboot --check')
    expect(text.split('\n').slice(0, 11)).toEqual([
      'reboot --check: 2 hosts in 2 batches, order inventory, max-fail-percentage 0%',
      'batch 1/2: hv1',
      '  hv1',
      '     1. preflight  libvirt answers',
      '     2. lock',
      '     3. stop       action=shutdown fallback=destroy timeout=60s parallel=4',
      '     4. reboot     command="systemctl reboot" reboot_timeout=300s connect_timeout=10s',
      '     5. start      parallel=4 timeout=120s',
      '     6. assert     guests=running',
      '     7. unlock',
      'batch 2/2: hv2',
    ])
  })
})

describe('step registry', () => {
  it('each step kind has one handler, registered under its own kind', async () => {
    const { STEP_HANDLERS } = await import('../../../src/engine/steps/registry.js')
    for (const [kind, handler] of Object.entries(STEP_HANDLERS)) expect(handler.kind).toBe(kind)
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual(
      ['assert', 'command', 'confirm', 'evacuate', 'lock', 'pause', 'preflight', 'reboot', 'return', 'start', 'stop', 'unlock', 'wait_for_ssh'].sort(),
    )
  })
})

describe('planOnlyReport (the report of a --check rolling run)', () => {
  it('lists every host as skipped with its planned steps, exit 0, nothing done', async () => {
    const { planOnlyReport } = await import('../../../src/engine/rolling/check.js')
    const plan = planRolling(names(2), { steps: maintenanceSteps({ stop: {} }) })
    const r = planOnlyReport(plan, { command: 'drain', runId: 'r1', at: '2026-01-01T00:00:00.000Z' })
    expect(r).toMatchObject({ command: 'drain', check: true, exitCode: 0 })
    expect(r.hosts.map((h) => h.status)).toEqual(['skipped', 'skipped'])
    expect(r.hosts[0]?.steps?.map((s) => `${s.step}: ${s.detail}`)).toEqual([
      'preflight: planned: libvirt answers',
      'lock: planned:',
      'stop: planned: action=shutdown timeout=300s parallel=4',
      'unlock: planned:',
    ])
  })
})
