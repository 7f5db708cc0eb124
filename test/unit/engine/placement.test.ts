// Placement reads as a specification: which guest goes where, and why a guest cannot move.
import { describe, expect, it } from 'vitest'
import { DEFAULT_PLACEMENT, planPlacement, type DestinationFacts, type GuestFacts } from '../../../src/engine/placement.js'
import { cpuCompatible, guestCpu, parseDominfoNeeds, parseNodeinfo, parseNodememstats } from '../../../src/libvirt/capacity.js'

const GiB = 1024 * 1024
const dest = (host: string, availableGiB: number, extra: Partial<DestinationFacts> = {}): DestinationFacts => ({
  host,
  cpus: 8,
  memoryKiB: 32 * GiB,
  availableKiB: availableGiB * GiB,
  runningVcpus: 0,
  ...extra,
})
const guest = (host: string, name: string, memGiB: number, extra: Partial<GuestFacts> = {}): GuestFacts => ({
  host,
  name,
  uuid: `00000000-0000-4000-8000-${String(name.length).padStart(12, '0')}`,
  memoryKiB: memGiB * GiB,
  vcpus: 2,
  strategy: 'migrate-or-stop',
  localDisks: [],
  pinnedDevices: [],
  cpuIncompatible: [],
  ...extra,
})
const where = (plan: ReturnType<typeof planPlacement>) =>
  Object.fromEntries(plan.placements.map((p) => [p.guest.name, p.kind === 'migrate' ? p.destination : `${p.kind}: ${p.reason}`]))

describe('planPlacement', () => {
  it('spreads guests: each goes to the destination with the most memory left after the ones before it', () => {
    const plan = planPlacement([guest('hv1', 'a', 8), guest('hv1', 'b', 8), guest('hv1', 'c', 4)], [dest('hv2', 20), dest('hv3', 16)])
    expect(where(plan)).toEqual({ a: 'hv2', b: 'hv3', c: 'hv2' })
    expect(plan.destinations.find((d) => d.host === 'hv2')?.leftKiB).toBe(8 * GiB)
  })

  it('ties go to the first destination by name', () => {
    expect(where(planPlacement([guest('hv1', 'a', 1)], [dest('hv3', 10), dest('hv2', 10)]))).toEqual({ a: 'hv2' })
  })

  it('keeps the memory headroom: a destination that would fall under 10 % free is refused', () => {
    // 32 GiB host: 3.2 GiB must stay free; 10 GiB available takes a 6 GiB guest but not a 7 GiB one.
    expect(where(planPlacement([guest('hv1', 'a', 6)], [dest('hv2', 10)]))).toEqual({ a: 'hv2' })
    const refused = where(planPlacement([guest('hv1', 'a', 7, { strategy: 'migrate' })], [dest('hv2', 10)]))
    expect(refused.a).toMatch(/^blocked: no destination fits 7168 MiB, 2 vCPU \(hv2: 6963 MiB free above the 10 % headroom\)/)
  })

  it('a guest that cannot move goes to the stop chain under migrate-or-stop, and is blocked under migrate', () => {
    const plan = planPlacement(
      [
        guest('hv1', 'local', 1, { localDisks: ['/var/lib/libvirt/images/local.qcow2'] }),
        guest('hv1', 'pci', 1, { strategy: 'migrate', pinnedDevices: ['hostdev 0000:03:00.0'] }),
      ],
      [dest('hv2', 20)],
    )
    expect(where(plan)).toEqual({
      local: 'stop: disks not on shared storage (/var/lib/libvirt/images/local.qcow2): give --copy-storage to copy them',
      pci: 'blocked: devices that cannot migrate: hostdev 0000:03:00.0',
    })
    expect(
      where(planPlacement([guest('hv1', 'local', 1, { localDisks: ['/d.qcow2'] })], [dest('hv2', 20)], { ...DEFAULT_PLACEMENT, copyStorage: true })),
    ).toEqual({ local: 'hv2' })
  })

  it('never places on a host being drained, even when it is also listed as a destination', () => {
    const plan = planPlacement([guest('hv1', 'a', 1), guest('hv2', 'b', 1)], [dest('hv1', 30), dest('hv2', 30), dest('hv3', 6)])
    expect(where(plan)).toEqual({ a: 'hv3', b: 'hv3' })
    expect(plan.destinations.map((d) => d.host)).toEqual(['hv3'])
  })

  it('respects CPU compatibility and the vCPU overcommit cap', () => {
    const plan = planPlacement(
      [guest('hv1', 'a', 1, { cpuIncompatible: ['hv2'] }), guest('hv1', 'b', 1, { vcpus: 4 })],
      [dest('hv2', 30), dest('hv3', 10, { cpus: 1, runningVcpus: 2 })],
    )
    expect(where(plan).a).toBe('hv3')
    expect(where(plan).b).toBe('hv2')
  })

  it('stop and suspend strategies are not placed', () => {
    expect(where(planPlacement([guest('hv1', 'a', 1, { strategy: 'suspend' })], [dest('hv2', 30)]))).toEqual({ a: 'suspend: strategy suspend' })
  })
})

describe('capacity parsers (virsh 9.0 output)', () => {
  it('reads nodeinfo, nodememstats and dominfo', () => {
    expect(
      parseNodeinfo(
        'CPU model:           x86_64\nCPU(s):              2\nCPU frequency:       2400 MHz\nCPU socket(s):       1\nCore(s) per socket:  2\nThread(s) per core:  1\nNUMA cell(s):        1\nMemory size:         24577712 KiB\n',
      ),
    ).toEqual({ cpus: 2, memoryKiB: 24577712 })
    expect(
      parseNodememstats(
        'total  :             24577712 KiB\nfree   :             20401236 KiB\nbuffers:               101212 KiB\ncached :              2283168 KiB\n',
      ),
    ).toEqual({
      totalKiB: 24577712,
      availableKiB: 20401236 + 101212 + 2283168,
    })
    expect(parseDominfoNeeds('Id:             1\nName:           test\nCPU(s):         2\nMax memory:     8388608 KiB\nUsed memory:    2097152 KiB\n')).toEqual(
      { memoryKiB: 2097152, vcpus: 2 },
    )
  })
  it('refuses output it cannot read rather than guessing', () => {
    expect(() => parseNodeinfo('CPU(s): 2\n')).toThrow(/memory size/)
    expect(() => parseDominfoNeeds('Used memory: lots\nCPU(s): 1\n')).toThrow(/cannot read/)
  })
  it('compares a pinned guest CPU only, and counts only identical or superset as compatible', () => {
    expect(guestCpu("<domain type='qemu'><devices/></domain>")).toBeUndefined()
    expect(guestCpu("<domain type='kvm'><cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Server</model></cpu></domain>")).toEqual({
      cpuXml: "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Server</model></cpu>",
      virttype: 'kvm',
    })
    expect(cpuCompatible('CPU described in /dev/stdin is identical to the CPU provided by hypervisor on the host\n')).toBe(true)
    expect(cpuCompatible('CPU described in /dev/stdin is a superset of the CPU provided by hypervisor on the host\n')).toBe(true)
    expect(cpuCompatible('CPU described in /dev/stdin is incompatible with the CPU provided by hypervisor on the host\n')).toBe(false)
  })
})

describe('placement limits: memory headroom and vCPU overcommit, per plan and per destination', () => {
  it('a larger headroom refuses a destination the default 10 % accepts', () => {
    // 32 GiB host with 10 GiB available: 10 % keeps 3.2 GiB free (a 6 GiB guest fits), 30 % keeps 9.6 GiB (it does not).
    expect(where(planPlacement([guest('hv1', 'a', 6)], [dest('hv2', 10)]))).toEqual({ a: 'hv2' })
    const plan = planPlacement([guest('hv1', 'a', 6, { strategy: 'migrate' })], [dest('hv2', 10)], { ...DEFAULT_PLACEMENT, headroom: 0.3 })
    expect(where(plan).a).toMatch(/^blocked: no destination fits 6144 MiB, 2 vCPU \(hv2: 410 MiB free above the 30 % headroom\)$/)
    expect(plan.destinations[0]).toMatchObject({ headroom: 0.3, reserveKiB: Math.ceil(32 * GiB * 0.3) })
  })

  it('a destination’s own headroom and overcommit (its vars) win over the plan’s', () => {
    const plan = planPlacement(
      [guest('hv1', 'a', 6), guest('hv1', 'b', 1, { vcpus: 3 })],
      [dest('hv2', 20, { headroom: 0.5 }), dest('hv3', 12, { cpus: 2, vcpuOvercommit: 1 })],
    )
    // a: hv2 keeps 50 % (16 GiB: 4 GiB free is too small), so hv3; b needs 3 vCPUs: hv3 caps at 2 x 1, so hv2.
    expect(where(plan)).toEqual({ a: 'hv3', b: 'hv2' })
    expect(plan.destinations.map((d) => [d.host, d.vcpuCap])).toEqual([
      ['hv2', 32],
      ['hv3', 2],
    ])
    // Without their own limits, a goes where most memory is left.
    expect(where(planPlacement([guest('hv1', 'a', 6)], [dest('hv2', 20), dest('hv3', 12, { cpus: 2 })]))).toEqual({ a: 'hv2' })
  })

  it('the vCPU overcommit cap counts the vCPUs already running there', () => {
    const o = { ...DEFAULT_PLACEMENT, vcpuOvercommit: 1 }
    const plan = planPlacement([guest('hv1', 'a', 1, { vcpus: 4, strategy: 'migrate' })], [dest('hv2', 20, { cpus: 8, runningVcpus: 6 })], o)
    expect(where(plan).a).toBe('blocked: no destination fits 1024 MiB, 4 vCPU (hv2: 6/8 vCPUs used)')
    expect(where(planPlacement([guest('hv1', 'a', 1, { vcpus: 4 })], [dest('hv2', 20, { cpus: 8, runningVcpus: 6 })]))).toEqual({ a: 'hv2' })
  })

  it('a refused destination (not reachable from the source) is never picked and is named in the reason', () => {
    const plan = planPlacement([guest('hv1', 'a', 1)], [dest('hv2', 20, { refusal: 'not reachable from hv1: Connection refused' })])
    expect(where(plan)).toEqual({ a: 'stop: no destination fits 1024 MiB, 2 vCPU (hv2: not reachable from hv1: Connection refused)' })
    expect(plan.destinations[0]).toMatchObject({ host: 'hv2', refusal: 'not reachable from hv1: Connection refused', guests: [] })
  })
})
