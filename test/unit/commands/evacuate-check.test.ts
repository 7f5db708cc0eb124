// `evacuate --check --json` and `drain|reboot --evacuate --check --json` through the command classes on the
// in-memory fleet: the placement plan as data (guest → destination or blocker with reason, load per destination),
// the headroom and overcommit flags, and nothing changed on any host.

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Config } from '@oclif/core'
import type { RunDeps } from '../../../src/cli/assemble-run.js'
import type { VirtfleetCommand } from '../../../src/cli/base.js'
import Drain from '../../../src/commands/drain.js'
import Evacuate from '../../../src/commands/evacuate.js'
import Reboot from '../../../src/commands/reboot.js'
import { FakeClock } from '../../../src/core/clock.js'
import { FakeTransport } from '../../support/fake-fleet.js'

interface Outcome {
  out: string
  err: string
  exitCode: number | undefined
  error?: Error & { oclif?: { exit?: number } }
}

const GiB = 1024 * 1024

function fleet() {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const [hv1, hv2, hv3] = ['hv1', 'hv2', 'hv3'].map((n) => transport.addHost(n))
  hv1!.addGuest({ name: 'web', memoryKiB: 2 * GiB, vcpus: 2 })
  hv1!.addGuest({ name: 'db', memoryKiB: 1 * GiB, description: 'virtfleet:evacuate=stop' })
  hv2!.addGuest({ name: 'cache', memoryKiB: 1 * GiB })
  hv3!.availableKiB = 3 * GiB
  const dir = mkdtempSync(join(tmpdir(), 'vf-evac-'))
  const inventory = join(dir, 'hosts.ini')
  writeFileSync(inventory, '[rack1]\nhv1\nhv2\nhv3\n[all:vars]\nansible_user=root\n')
  const sshConfig = join(dir, 'ssh_config')
  writeFileSync(sshConfig, '')
  const deps: RunDeps = { createTransport: () => transport, clock, interactive: false, trapSignals: false }
  const common = ['-i', inventory, '--ssh-config', sshConfig, '--state-dir', join(dir, 'state')]
  return { clock, transport, hosts: [hv1!, hv2!, hv3!], deps, common }
}

async function drive(Cmd: new (argv: string[], config: Config) => VirtfleetCommand, argv: string[], deps: RunDeps, clock: FakeClock): Promise<Outcome> {
  const cmd = new Cmd(argv, await Config.load(import.meta.url))
  cmd.runDeps = deps
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true))
  try {
    await clock.runUntil((cmd as unknown as { _run(): Promise<unknown> })._run())
    return { out, err, exitCode: process.exitCode as number | undefined }
  } catch (error) {
    return { out, err, exitCode: process.exitCode as number | undefined, error: error as Outcome['error'] }
  } finally {
    vi.restoreAllMocks()
  }
}

interface PlacementJson {
  ok: boolean
  hosts: Array<{
    host: string
    guests: Array<{ name: string; action: string; destination?: string; reason?: string }>
    destinations: Array<{
      host: string
      availableKiB: number
      afterKiB: number
      headroomPercent: number
      vcpus: number
      vcpuCap: number
      guests: string[]
      refusal?: string
    }>
    notDestinations: Array<{ host: string; reason: string }>
  }>
}
const placementOf = (out: string) => (JSON.parse(out) as { placement: PlacementJson }).placement
const changes = (t: FakeTransport) => t.log.filter((x) => ['migrate', 'shutdown', 'managedsave', 'destroy', 'start'].includes(x.argv[3] ?? ''))

beforeEach(() => {
  process.exitCode = undefined
})
afterEach(() => {
  process.exitCode = undefined
})

describe('evacuate --check --json', { timeout: 30_000 }, () => {
  it('prints each guest with its destination or what happens instead and why, and the expected load of each destination', async () => {
    const f = fleet()
    const r = await drive(Evacuate, [...f.common, '--limit', 'hv1', '--check', '--json'], f.deps, f.clock)
    expect(r.error).toBeUndefined()
    expect(r.exitCode).toBe(0)
    const doc = JSON.parse(r.out) as { check: boolean; batches: string[][]; placement: PlacementJson }
    expect(doc.check).toBe(true)
    expect(doc.batches).toEqual([['hv1']])
    const hv1 = doc.placement.hosts[0]!
    expect(hv1.host).toBe('hv1')
    expect(hv1.guests).toEqual([
      expect.objectContaining({ name: 'db', action: 'stop', reason: 'strategy stop' }),
      expect.objectContaining({ name: 'web', action: 'migrate', destination: 'hv2', memoryKiB: 2 * GiB, vcpus: 2, strategy: 'migrate-or-stop' }),
    ])
    expect(hv1.destinations).toEqual([
      {
        host: 'hv2',
        memoryKiB: 8 * GiB,
        availableKiB: 6 * GiB,
        afterKiB: 4 * GiB,
        headroomPercent: 10,
        usedPercentAfter: 50,
        vcpus: 3,
        vcpuCap: 32,
        guests: ['hv1/web'],
      },
      {
        host: 'hv3',
        memoryKiB: 8 * GiB,
        availableKiB: 3 * GiB,
        afterKiB: 3 * GiB,
        headroomPercent: 10,
        usedPercentAfter: 63,
        vcpus: 0,
        vcpuCap: 32,
        guests: [],
      },
    ])
    expect(doc.placement.ok).toBe(true)
    // Read-only: no guest touched, no maintenance mark, no saved list.
    expect(changes(f.transport)).toEqual([])
    expect(f.hosts.map((h) => h.files.size)).toEqual([0, 0, 0])
  })

  it('a blocked guest is listed with its reason, and --check exits 2', async () => {
    const f = fleet()
    f.hosts[0]!.guest('web').description = 'virtfleet:evacuate=migrate'
    f.hosts[1]!.availableKiB = 1 * GiB
    f.hosts[2]!.availableKiB = 1 * GiB
    const r = await drive(Evacuate, [...f.common, '--limit', 'hv1', '--check', '--json'], f.deps, f.clock)
    expect(r.exitCode).toBe(2)
    const p = placementOf(r.out)
    expect(p.ok).toBe(false)
    expect(p.hosts[0]!.guests.find((g) => g.name === 'web')).toMatchObject({
      action: 'blocked',
      reason: expect.stringMatching(/^no destination fits 2048 MiB, 2 vCPU \(hv2: /),
    })
  })

  it('a destination the source cannot reach is shown refused with the reason, and the guest placed elsewhere', async () => {
    const f = fleet()
    f.hosts[0]!.cannotReach.add('hv2')
    const r = await drive(Evacuate, [...f.common, '--limit', 'hv1', '--check', '--json'], f.deps, f.clock)
    expect(r.exitCode).toBe(0)
    const hv1 = placementOf(r.out).hosts[0]!
    expect(hv1.guests.find((g) => g.name === 'web')?.destination).toBe('hv3')
    expect(hv1.destinations.find((d) => d.host === 'hv2')?.refusal).toMatch(/^not reachable from hv1: .*Connection refused/)
  })

  it('--memory-headroom and --vcpu-overcommit change the plan', async () => {
    const f = fleet()
    // hv2: 6 of 8 GiB available; keeping 80 % free leaves 0 for guests. hv3 with 1 vCPU per CPU still takes web.
    const r = await drive(
      Evacuate,
      [...f.common, '--limit', 'hv1', '--check', '--json', '--memory-headroom', '80%', '--vcpu-overcommit', '0.25'],
      f.deps,
      f.clock,
    )
    const hv1 = placementOf(r.out).hosts[0]!
    expect(hv1.destinations.map((d) => [d.host, d.headroomPercent, d.vcpuCap])).toEqual([
      ['hv2', 80, 2],
      ['hv3', 80, 2],
    ])
    expect(hv1.guests.find((g) => g.name === 'web')).toMatchObject({ action: 'stop', reason: expect.stringMatching(/hv2: 0 MiB free above the 80 % headroom/) })
  })

  it('bad --memory-headroom or --vcpu-overcommit values are input errors (exit 4) before any host is contacted', async () => {
    for (const args of [
      ['--memory-headroom', '100%'],
      ['--memory-headroom', 'lots'],
      ['--vcpu-overcommit', '0'],
      ['--vcpu-overcommit', '4x'],
    ]) {
      const f = fleet()
      const r = await drive(Evacuate, [...f.common, '--limit', 'hv1', '--check', '--json', ...args], f.deps, f.clock)
      expect(r.error?.oclif?.exit, args.join(' ')).toBe(4)
      expect(JSON.parse(r.out)).toMatchObject({ error: { kind: 'input', exitCode: 4, message: expect.stringContaining(args[0]!) } })
      expect(f.transport.log).toEqual([])
    }
  })
})

describe('drain|reboot --evacuate --check --json', { timeout: 30_000 }, () => {
  it('drain: the rolling plan with the placement beside it; an emptied host stays in maintenance, so no later host uses it', async () => {
    const f = fleet()
    const r = await drive(Drain, [...f.common, '--limit', 'hv1,hv2', '--serial', '1', '--evacuate', '--check', '--json'], f.deps, f.clock)
    expect(r.exitCode).toBe(0)
    const doc = JSON.parse(r.out) as {
      batches: string[][]
      hosts: Array<{ steps: Array<{ step: { kind: string; options?: { pool?: unknown } } }> }>
      placement: PlacementJson
    }
    expect(doc.batches).toEqual([['hv1'], ['hv2']])
    // The migration pool is written as host names.
    expect(doc.hosts[0]!.steps.find((s) => s.step.kind === 'evacuate')?.step.options?.pool).toEqual(['hv1', 'hv2', 'hv3'])
    expect(doc.placement.hosts.map((h) => [h.host, h.destinations.map((d) => d.host)])).toEqual([
      ['hv1', ['hv2', 'hv3']],
      ['hv2', ['hv3']],
    ])
    expect(changes(f.transport)).toEqual([])
  })

  it('each host is planned on what the hosts before it left: two hosts of one batch do not both count the same free memory', async () => {
    const f = fleet()
    const r = await drive(Drain, [...f.common, '--limit', 'hv1,hv2', '--serial', '2', '--evacuate', '--check', '--json'], f.deps, f.clock)
    const p = placementOf(r.out)
    // hv3 (3 of 8 GiB free, 0.8 GiB kept) takes web (2 GiB) from hv1; 1 GiB is left for hv2's plan: cache does not fit.
    expect(p.hosts[0]!.guests.find((g) => g.name === 'web')?.destination).toBe('hv3')
    expect(p.hosts[1]!.destinations).toEqual([expect.objectContaining({ host: 'hv3', availableKiB: 1 * GiB, vcpus: 2 })])
    expect(p.hosts[1]!.guests).toEqual([
      expect.objectContaining({ name: 'cache', action: 'stop', reason: expect.stringMatching(/hv3: 205 MiB free above the 10 % headroom/) }),
    ])
  })

  it('reboot: a host of an earlier batch is back by then, so it is a destination again', async () => {
    const f = fleet()
    const r = await drive(Reboot, [...f.common, '--limit', 'hv1,hv2', '--serial', '1', '--evacuate', '--check', '--json'], f.deps, f.clock)
    expect(r.exitCode).toBe(0)
    const p = placementOf(r.out)
    expect(p.hosts.map((h) => [h.host, h.destinations.map((d) => d.host)])).toEqual([
      ['hv1', ['hv2', 'hv3']],
      ['hv2', ['hv1', 'hv3']],
    ])
    expect(p.hosts[1]!.guests).toEqual([expect.objectContaining({ name: 'cache', action: 'migrate', destination: 'hv1' })])
    expect(changes(f.transport)).toEqual([])
  })

  it('without --json: the rolling plan, then the placement of each host as text', async () => {
    const f = fleet()
    const r = await drive(Drain, [...f.common, '--limit', 'hv1', '--evacuate', '--check'], f.deps, f.clock)
    expect(r.exitCode).toBe(0)
    expect(r.out).toMatch(/^drain --check: 1 host in 1 batch/)
    expect(r.out).toContain('\n\nhv1: 2 running guest(s)\n')
    expect(r.out).toContain('  web (2048 MiB, 2 vCPU, migrate-or-stop) → hv2\n')
  })

  it('an evacuation flag without --evacuate is a usage error (exit 64), not silently ignored', async () => {
    for (const [Cmd, args, message] of [
      [Drain, ['--memory-headroom', '20%'], '--memory-headroom: only with --evacuate'],
      [Reboot, ['--no-return', '--to', 'hv3'], '--to, --no-return: only with --evacuate'],
    ] as const) {
      const f = fleet()
      const r = await drive(Cmd, [...f.common, '--limit', 'hv1', '--check', '--json', ...args], f.deps, f.clock)
      expect(r.error?.oclif?.exit).toBe(64)
      expect(JSON.parse(r.out)).toMatchObject({ error: { kind: 'usage', exitCode: 64, message } })
      expect(f.transport.log).toEqual([])
    }
  })
})
