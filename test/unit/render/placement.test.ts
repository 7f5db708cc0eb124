// The --check text of an evacuation: every guest with its destination or blocker, the load of each destination.
import { describe, expect, it } from 'vitest'
import { planPlacement, type GuestFacts } from '../../../src/engine/placement.js'
import { formatPlacement } from '../../../src/render/placement.js'

const guest = (name: string, extra: Partial<GuestFacts> = {}): GuestFacts => ({
  host: 'hv1',
  name,
  uuid: `u-${name}`,
  memoryKiB: 1024 * 1024,
  vcpus: 1,
  strategy: 'migrate-or-stop',
  localDisks: [],
  pinnedDevices: [],
  cpuIncompatible: [],
  ...extra,
})

describe('formatPlacement', () => {
  it('lists each guest with its destination or blocker, the load per destination and the hosts left out', () => {
    const plan = planPlacement(
      [guest('web'), guest('db', { strategy: 'stop' }), guest('gpu', { strategy: 'migrate', pinnedDevices: ['hostdev pci'] })],
      [{ host: 'hv2', cpus: 4, memoryKiB: 8 * 1024 * 1024, availableKiB: 4 * 1024 * 1024, runningVcpus: 2 }],
    )
    expect(formatPlacement('hv1', plan, [{ host: 'hv3', reason: 'in maintenance' }])).toBe(
      [
        'hv1: 3 running guest(s)',
        '  db (1024 MiB, 1 vCPU, stop) stop (saved list): strategy stop',
        '  gpu (1024 MiB, 1 vCPU, migrate) BLOCKED, stays running: devices that cannot migrate: hostdev pci',
        '  web (1024 MiB, 1 vCPU, migrate-or-stop) → hv2',
        '  destination hv2: 4096 MiB free of 8192 MiB → 3072 MiB after (63 % used), 3/16 vCPUs; takes hv1/web',
        '  not a destination: hv3 (in maintenance)',
      ].join('\n'),
    )
  })
})
