// The --check text of an evacuation: every guest with its destination or blocker, the load of each destination.
import { describe, expect, it } from 'vitest'
import { planPlacement, type GuestFacts } from '../../../src/engine/placement.js'
import { formatPlacement, placementToJson } from '../../../src/render/placement.js'

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

describe('placementToJson and refused destinations', () => {
  it('a destination refused by the plan (not reachable from the source) is listed as not a destination, in text and JSON', () => {
    const plan = planPlacement(
      [guest('web')],
      [
        { host: 'hv2', cpus: 4, memoryKiB: 8 * 1024 * 1024, availableKiB: 4 * 1024 * 1024, runningVcpus: 0, refusal: 'not reachable from hv1: timeout' },
        { host: 'hv3', cpus: 4, memoryKiB: 8 * 1024 * 1024, availableKiB: 2 * 1024 * 1024, runningVcpus: 0 },
      ],
    )
    expect(formatPlacement('hv1', plan, []).split('\n')).toEqual([
      'hv1: 1 running guest(s)',
      '  web (1024 MiB, 1 vCPU, migrate-or-stop) → hv3',
      '  not a destination: hv2 (not reachable from hv1: timeout)',
      '  destination hv3: 2048 MiB free of 8192 MiB → 1024 MiB after (88 % used), 1/16 vCPUs; takes hv1/web',
    ])
    const json = placementToJson([
      { host: 'hv1', plan, refused: [] },
      { host: 'hv4', refused: [], error: 'hv4: connection refused' },
    ])
    expect(json).toMatchObject({
      ok: false,
      hosts: [
        {
          host: 'hv1',
          guests: [{ name: 'web', action: 'migrate', destination: 'hv3' }],
          destinations: [
            { host: 'hv2', refusal: 'not reachable from hv1: timeout', guests: [] },
            { host: 'hv3', afterKiB: 1024 * 1024, usedPercentAfter: 88, guests: ['hv1/web'] },
          ],
        },
        { host: 'hv4', error: 'hv4: connection refused', guests: [], destinations: [] },
      ],
    })
  })
})
