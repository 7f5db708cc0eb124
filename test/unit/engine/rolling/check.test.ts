// planOnlyReport: the report of a --check rolling run, built from the plan alone.
import { describe, expect, it } from 'vitest'
import { planOnlyReport } from '../../../../src/engine/rolling/check.js'
import { maintenanceSteps, planRolling } from '../../../../src/engine/rolling.js'
import { hostSpec } from '../../../support/fake-fleet.js'

const names = (n: number, prefix = 'hv') => Array.from({ length: n }, (_, i) => hostSpec(`${prefix}${String(i + 1).padStart(2, '0')}`))

describe('planOnlyReport (the report of a --check rolling run)', () => {
  it('lists every host as skipped with its planned steps, exit 0, nothing done', () => {
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
