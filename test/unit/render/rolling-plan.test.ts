// formatRollingPlan: the text `--check` of reboot, drain and run prints for a rolling plan.
import { describe, expect, it } from 'vitest'
import { parseSerial } from '../../../src/engine/batches.js'
import { maintenanceSteps, planRolling } from '../../../src/engine/rolling.js'
import { formatRollingPlan } from '../../../src/render/rolling-plan.js'
import { hostSpec } from '../../support/fake-fleet.js'

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
