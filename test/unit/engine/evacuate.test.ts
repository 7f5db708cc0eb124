// Evacuation as rolling steps on the fake clock and the in-memory fleet: guests leave by live migration, come home
// by live migration, and whatever cannot move goes through the stop engine with the saved list.
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus, type FleetEvent } from '../../../src/core/events.js'
import { parseSerial } from '../../../src/engine/batches.js'
import { maintenanceSteps, runRolling } from '../../../src/engine/rolling.js'
import { maintenancePath } from '../../../src/state/maintenance.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

function setup(names: string[]) {
  const clock = new FakeClock()
  const fake = new FakeTransport(clock)
  const hosts = names.map((n) => fake.addHost(n))
  const bus = new EventBus()
  const events: FleetEvent[] = []
  bus.on((e) => events.push(e))
  const ctx = { transport: fake, clock, bus, runId: 'run-1', command: 'reboot', check: false }
  const specs = names.map((n) => hostSpec(n, { vars: { migration_uri: `qemu+ssh://root@${n}/system`, migration_data_uri: 'tcp://127.0.0.1' } }))
  return { clock, fake, hosts, events, ctx, specs }
}

const REBOOT_EVACUATE = maintenanceSteps({ evacuate: {}, stop: {}, reboot: { command: 'reboot' }, returnGuests: {}, start: {} })
const where = (fake: FakeTransport) =>
  Object.fromEntries(
    [...fake.hosts].map(([n, h]) => [
      n,
      h.guests
        .filter((g) => g.state === 'running')
        .map((g) => g.name)
        .sort(),
    ]),
  )

describe('reboot --evacuate', () => {
  it('moves every guest away, reboots the empty host, brings each guest home by migration: none ever stopped', async () => {
    const { clock, fake, hosts, events, ctx, specs } = setup(['hv1', 'hv2', 'hv3'])
    for (const [i, h] of hosts.entries()) for (const n of [1, 2]) h.addGuest({ name: `h${i + 1}-g${n}` })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps: REBOOT_EVACUATE, serial: parseSerial('1'), reconnectEveryMs: 1000 }), 600_000, 100)
    expect(r.exitCode).toBe(0)
    expect(hosts.map((h) => h.reboots)).toEqual([1, 1, 1])
    expect(where(fake)).toEqual({ hv1: ['h1-g1', 'h1-g2'], hv2: ['h2-g1', 'h2-g2'], hv3: ['h3-g1', 'h3-g2'] })
    expect(fake.actions().filter((a) => / (shutdown|destroy|managedsave) /.test(a))).toEqual([])
    // Away and back, for each host's 2 guests: --migrateuri passed, each move recorded with its destination.
    const moves = events.flatMap((e) => (e.type === 'migration' && e.status === 'migrated' ? [`${e.guest.name} ${e.source}→${e.destination}`] : []))
    expect(moves).toHaveLength(12)
    expect(moves.filter((m) => m.startsWith('h1-g1 '))).toEqual(['h1-g1 hv1→hv2', 'h1-g1 hv2→hv1'])
    expect(fake.log.find((x) => x.argv[3] === 'migrate')?.argv.slice(-2)).toEqual(['--migrateuri', 'tcp://127.0.0.1'])
    const done = events.find((e) => e.type === 'migration' && e.status === 'migrated')
    expect(done).toMatchObject({ downtimeMs: 25, bytes: 96 * 1024 * 1024 })
    for (const h of hosts) {
      expect(h.files.has(savedListPath())).toBe(false)
      expect(h.files.has(maintenancePath())).toBe(false)
    }
    const hv1 = r.hosts[0]
    expect(hv1?.guests.filter((g) => g.outcome === 'migrated').map((g) => g.migration?.to)).toEqual(['hv2', 'hv3', 'hv1', 'hv1'])
  })

  it('records each moved guest in the source host saved list with its destination, before the host reboots', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'web' })
    const steps = maintenanceSteps({ evacuate: {}, stop: {} })
    await clock.runUntil(runRolling(specs.slice(0, 1).concat(specs[1]!), ctx, { steps, serial: parseSerial('1'), reconnectEveryMs: 1000 }), 600_000, 100)
    // hv1 drained first (its guest went to hv2); then hv2 drained: hv1 is in maintenance, so web is stopped there.
    const list = JSON.parse(hosts[0]!.files.get(savedListPath()) as string) as { entries: Array<{ name: string; migratedTo?: string }> }
    expect(list.entries).toEqual([expect.objectContaining({ name: 'web', migratedTo: 'hv2' })])
    expect(hosts[0]!.files.get(maintenancePath())).toContain('run-1')
    expect(fake.actions()).toEqual(['hv2 shutdown web'])
  })

  it('stops what cannot move (strategy tag, host device) with the saved list, starts it after the reboot, says why', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'mover' })
    hosts[0]!.addGuest({ name: 'db', description: 'virtfleet:evacuate=stop' })
    hosts[0]!.addGuest({
      name: 'gpu',
      xmlExtra: "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>",
    })
    const r = await clock.runUntil(
      runRolling(specs.slice(0, 1), { ...ctx }, { steps: REBOOT_EVACUATE, reconnectEveryMs: 1000 }).catch((e) => Promise.reject(e)),
      600_000,
      100,
    )
    // hv2 is not in this run: no destination at all, so everything is stopped.
    expect(r.hosts[0]?.status).toBe('ok')
    expect(
      fake
        .actions()
        .filter((a) => a.includes('shutdown'))
        .sort(),
    ).toEqual(['hv1 shutdown db', 'hv1 shutdown gpu', 'hv1 shutdown mover'])
    void specs
    const all = await clock.runUntil(
      (async () => {
        for (const g of hosts[0]!.guests) if (g.state !== 'running') g.state = 'running'
        return runRolling(specs, { ...ctx, runId: 'run-2' }, { steps: REBOOT_EVACUATE, serial: parseSerial('1'), reconnectEveryMs: 1000 })
      })(),
      600_000,
      100,
    )
    const hv1 = all.hosts[0]
    expect(hv1?.status).toBe('ok')
    const stopRows = hv1?.guests.filter((g) => g.outcome === 'stopped') ?? []
    expect(stopRows.map((g) => g.name).sort()).toEqual(['db', 'gpu'])
    expect(stopRows.find((g) => g.name === 'db')?.note).toMatch(/not migrated: strategy stop/)
    expect(stopRows.find((g) => g.name === 'gpu')?.note).toMatch(/not migrated: devices that cannot migrate: hostdev pci/)
    expect(
      hv1?.guests
        .filter((g) => g.outcome === 'started')
        .map((g) => g.name)
        .sort(),
    ).toEqual(['db', 'gpu'])
    expect(where(fake).hv1).toEqual(['db', 'gpu', 'mover'])
  })

  it('never picks a destination too small or in maintenance; a guest that must migrate and cannot leaves its host unrebooted', async () => {
    const { clock, fake, hosts, events, ctx, specs } = setup(['hv1', 'hv2', 'hv3', 'hv4'])
    hosts[0]!.addGuest({ name: 'big', memoryKiB: 4 * 1024 * 1024, description: 'virtfleet:evacuate=migrate' })
    hosts[0]!.addGuest({ name: 'small' })
    hosts[1]!.availableKiB = 1024 * 1024 // 1 GiB: too small for "big" above the headroom
    hosts[3]!.files.set(maintenancePath(), '{"runId":"other","since":"x"}\n')
    hosts[2]!.availableKiB = 2 * 1024 * 1024 // nobody can take "big"
    const steps = maintenanceSteps({ evacuate: {}, stop: {}, reboot: { command: 'reboot' }, returnGuests: {}, start: {} })
    const r = await clock.runUntil(runRolling(specs, ctx, { steps, serial: parseSerial('1'), reconnectEveryMs: 1000 }), 600_000, 100)
    const hv1 = r.hosts[0]
    expect(hv1?.status).toBe('partial')
    expect(hv1?.error).toMatch(/big \(no destination fits 4096 MiB/)
    expect(hosts[0]!.reboots).toBe(0)
    expect(hosts[0]!.guest('big').state).toBe('running')
    // small went to the host with the most memory left (hv3), never to hv4 (in maintenance)
    expect(where(fake).hv3).toEqual(['small'])
    expect(events.some((e) => e.type === 'migration' && e.destination === 'hv4')).toBe(false)
    expect(events.some((e) => e.type === 'log' && /destination hv4 left out: in maintenance/.test(e.message))).toBe(true)
  })

  it('Ctrl-C during a migration aborts it: the guest still runs on its source, is not stopped, and the report says so', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'web', migrateMs: 60_000 })
    const interrupt = new AbortController()
    void clock.sleep(5000).then(() => interrupt.abort())
    const steps = maintenanceSteps({ evacuate: {}, stop: {}, reboot: { command: 'reboot' }, returnGuests: {}, start: {} })
    const r = await clock.runUntil(
      runRolling(specs, { ...ctx, signal: interrupt.signal }, { steps, serial: parseSerial('1'), reconnectEveryMs: 1000 }),
      600_000,
      100,
    )
    expect(r.exitCode).toBe(130)
    expect(hosts[0]!.guest('web').state).toBe('running')
    expect(hosts[0]!.reboots).toBe(0)
    expect(fake.actions()).toEqual([])
    expect(fake.log.some((x) => x.host === 'hv1' && x.argv[3] === 'domjobabort')).toBe(true)
    expect(r.hosts[0]?.error).toMatch(/interrupted: web \(still on hv1\)/)
  })

  it('restore --no-return forgets migrated guests where they are and clears the maintenance mark', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'web' })
    await clock.runUntil(runRolling(specs.slice(0, 1), ctx, { steps: maintenanceSteps({ evacuate: { pool: specs }, stop: {} }) }), 600_000, 100)
    expect(where(fake).hv2).toEqual(['web'])
    const r = await clock.runUntil(
      runRolling(specs.slice(0, 1), { ...ctx, runId: 'run-2' }, { steps: maintenanceSteps({ start: {}, returnGuests: { leave: true, pool: specs } }) }),
      600_000,
      100,
    )
    expect(r.exitCode).toBe(0)
    expect(r.hosts[0]?.steps?.find((s) => s.step === 'return')?.detail).toBe('left where they are: web on hv2')
    expect(where(fake)).toEqual({ hv1: [], hv2: ['web'] })
    expect(hosts[0]!.files.has(savedListPath())).toBe(false)
    expect(hosts[0]!.files.has(maintenancePath())).toBe(false)
  })

  it('restore brings a guest evacuated by an earlier run home by migration; the pool is the inventory, not the limited hosts', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'web' })
    await clock.runUntil(runRolling(specs.slice(0, 1), ctx, { steps: maintenanceSteps({ evacuate: { pool: specs }, stop: {} }) }), 600_000, 100)
    const r = await clock.runUntil(
      runRolling(specs.slice(0, 1), { ...ctx, runId: 'run-2' }, { steps: maintenanceSteps({ start: {}, returnGuests: { pool: specs } }) }),
      600_000,
      100,
    )
    expect(r.exitCode).toBe(0)
    expect(where(fake)).toEqual({ hv1: ['web'], hv2: [] })
    expect(r.hosts[0]?.guests.map((g) => `${g.name} ${g.outcome} ${g.migration?.from}→${g.migration?.to}`)).toEqual(['web migrated hv2→hv1'])
    expect(fake.actions()).toEqual([])
  })
})

describe('evacuate pre-flight: each source reaches each destination it will use', () => {
  const DRAIN_EVACUATE = (evacuate = {}) => maintenanceSteps({ evacuate, stop: {} })

  it('checks the destination on the source with virsh -c DEST_URI uri before anything moves, and places elsewhere when it fails', async () => {
    const { clock, fake, hosts, events, ctx, specs } = setup(['hv1', 'hv2', 'hv3'])
    hosts[0]!.addGuest({ name: 'web' })
    hosts[2]!.availableKiB = 4 * 1024 * 1024 // hv2 has the most memory: placement picks it first
    hosts[0]!.cannotReach.add('hv2')
    const r = await clock.runUntil(runRolling(specs.slice(0, 1), ctx, { steps: DRAIN_EVACUATE({ pool: specs }) }), 600_000, 100)
    const checks = fake.log.filter((x) => x.argv[3] === 'uri').map((x) => `${x.host} ${x.argv[2]}`)
    expect(checks).toEqual(['hv1 qemu+ssh://root@hv2/system', 'hv1 qemu+ssh://root@hv3/system'])
    // Both checks ran before the first migration.
    const firstMigrate = fake.log.findIndex((x) => x.argv[3] === 'migrate')
    expect(fake.log.findIndex((x) => x.argv[3] === 'uri' && x.argv[2]?.includes('hv3'))).toBeLessThan(firstMigrate)
    expect(r.hosts[0]?.status).toBe('ok')
    expect(where(fake).hv3).toEqual(['web'])
    expect(events.some((e) => e.type === 'migration' && e.destination === 'hv2')).toBe(false)
  })

  it('a destination unreachable from its source makes a blocker: migrate-or-stop goes to the stop chain, migrate fails the host, with the reason', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'web' })
    hosts[0]!.addGuest({ name: 'db', description: 'virtfleet:evacuate=migrate' })
    hosts[0]!.cannotReach.add('hv2')
    const r = await clock.runUntil(runRolling(specs.slice(0, 1), ctx, { steps: DRAIN_EVACUATE({ pool: specs }) }), 600_000, 100)
    expect(fake.log.some((x) => x.argv[3] === 'migrate')).toBe(false)
    expect(fake.actions()).toEqual(['hv1 shutdown web'])
    const hv1 = r.hosts[0]
    expect(hv1?.status).toBe('partial')
    expect(hv1?.error).toMatch(/db \(no destination fits 96 MiB, 1 vCPU \(hv2: not reachable from hv1: .*Connection refused\)\)/)
    expect(hv1?.guests.find((g) => g.name === 'web')?.note).toMatch(/not migrated: no destination fits .*hv2: not reachable from hv1/)
    expect(hosts[0]!.guest('db').state).toBe('running')
  })

  it('a destination’s memory_headroom var refuses it; a --memory-headroom given for the run overrides the var', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2', 'hv3'])
    hosts[0]!.addGuest({ name: 'big', memoryKiB: 3 * 1024 * 1024 })
    hosts[2]!.availableKiB = 4 * 1024 * 1024
    // hv2 (6 of 8 GiB available) keeps half its memory free: 2 GiB left for guests, too little for 3 GiB.
    const withVar = specs.map((s) => (s.name === 'hv2' ? { ...s, vars: { ...s.vars, memory_headroom: '50%' } } : s))
    await clock.runUntil(runRolling(withVar.slice(0, 1), ctx, { steps: DRAIN_EVACUATE({ pool: withVar }) }), 600_000, 100)
    expect(where(fake).hv3).toEqual(['big'])

    const again = setup(['hv1', 'hv2', 'hv3'])
    again.hosts[0]!.addGuest({ name: 'big', memoryKiB: 3 * 1024 * 1024 })
    again.hosts[2]!.availableKiB = 4 * 1024 * 1024
    const vars = again.specs.map((s) => (s.name === 'hv2' ? { ...s, vars: { ...s.vars, memory_headroom: '50%' } } : s))
    const steps = DRAIN_EVACUATE({ pool: vars, headroom: 0.1 })
    await again.clock.runUntil(runRolling(vars.slice(0, 1), again.ctx, { steps }), 600_000, 100)
    expect(where(again.fake).hv2).toEqual(['big'])
  })
})

describe('return pre-flight', () => {
  it('a host that cannot reach the home host keeps its guests, with the reason; nothing is migrated from it', async () => {
    const { clock, fake, hosts, ctx, specs } = setup(['hv1', 'hv2'])
    hosts[0]!.addGuest({ name: 'web' })
    await clock.runUntil(runRolling(specs.slice(0, 1), ctx, { steps: maintenanceSteps({ evacuate: { pool: specs }, stop: {} }) }), 600_000, 100)
    expect(where(fake).hv2).toEqual(['web'])
    hosts[1]!.cannotReach.add('hv1')
    const before = fake.log.length
    const r = await clock.runUntil(
      runRolling(specs.slice(0, 1), { ...ctx, runId: 'run-2' }, { steps: maintenanceSteps({ start: {}, returnGuests: { pool: specs } }) }),
      600_000,
      100,
    )
    const after = fake.log.slice(before)
    expect(after.filter((x) => x.argv[3] === 'uri').map((x) => `${x.host} ${x.argv[2]}`)).toEqual(['hv2 qemu+ssh://root@hv1/system'])
    expect(after.some((x) => x.argv[3] === 'migrate')).toBe(false)
    expect(r.hosts[0]?.error).toMatch(/web: still on hv2, which cannot reach hv1 \(.*Connection refused\)/)
    expect(where(fake)).toEqual({ hv1: [], hv2: ['web'] })
    // Still recorded away and the host still in maintenance: a later restore can bring it home.
    expect(hosts[0]!.files.get(savedListPath())).toMatch(/"migratedTo": "hv2"/)
    expect(hosts[0]!.files.has(maintenancePath())).toBe(true)
  })
})
