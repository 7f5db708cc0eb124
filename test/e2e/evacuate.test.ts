// Evacuation end to end on the lab: real QEMU guests live-migrated between real libvirtd hosts (qemu+ssh between
// the hosts' sshd, data over TCP on 127.0.0.1). A rolling reboot with --evacuate keeps every guest running.

import { beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../src/core/report.js'
import { buildOnce, expectExit } from './support/fleet.js'
import { threeHosts } from './support/labs.js'

// shared with the other three-host file: booted once per run (support/labs.ts)
const lab = threeHosts()
const HOSTS = ['h1', 'h2', 'h3'] as const

beforeAll(() => {
  buildOnce()
  lab.o.guests = 3 // 3 hosts x 3 guests for the rolling reboot; the tests below go back to the shared 3 x 2
  lab.up()
}, 1_800_000)

/** The guest's last reported uptime (seconds), read from whichever host's console file it writes now. */
function lastUptime(guest: string): number | undefined {
  const home = guest.split('-')[0] as string
  const all = [...lab.consoleLog(home, guest).matchAll(/LAB-UPTIME (\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]))
  return all.at(-1)
}

describe('reboot --evacuate', () => {
  it('--serial 1 on 3 hosts x 3 guests: no guest restarts, every host got a new boot id, every guest ends on its home host, exit 0', async () => {
    const before = Object.fromEntries(HOSTS.map((h) => [h, lab.running(h)]))
    const boots = Object.fromEntries(HOSTS.map((h) => [h, lab.bootId(h)]))
    const guests = HOSTS.flatMap((h) => before[h] ?? [])
    expect(guests).toHaveLength(9)
    const up0 = Object.fromEntries(guests.map((g) => [g, lastUptime(g) ?? 0]))
    const t0 = Date.now()
    const r = lab.cli(['reboot', '--evacuate', '--serial', '1', '--timeout', '20s', '--reboot-timeout', '3m', '--migration-timeout', '2m', '--json'])
    const elapsedS = (Date.now() - t0) / 1000
    if (r.code !== 0) console.error(r.stderr, r.stdout.slice(0, 4000))
    expectExit(r, 0)
    const report = r.json<RunReport>()
    for (const h of HOSTS) {
      expect(lab.bootId(h)).not.toBe(boots[h])
      expect(lab.running(h)).toEqual(before[h])
      expect(lab.savedList(h)).toEqual([])
      expect(report.hosts.find((x) => x.host === h)?.steps?.map((s) => `${s.step}:${s.status}`)).toEqual([
        'preflight:ok',
        'lock:ok',
        'evacuate:ok',
        'assert:ok',
        'reboot:ok',
        'return:ok',
        'start:ok',
        'assert:ok',
        'unlock:ok',
      ])
      // Nothing stopped: every guest of the host left and came back by migration.
      const rows = report.hosts.find((x) => x.host === h)?.guests ?? []
      expect(rows.filter((g) => g.outcome !== 'migrated')).toEqual([])
    }
    // Uptime never reset: each guest's counter after the run is at least its counter before plus most of the run.
    await new Promise((res) => setTimeout(res, 5000))
    const figures: string[] = []
    for (const g of guests) {
      const u1 = lastUptime(g) ?? 0
      figures.push(`${g}: uptime ${up0[g]}s → ${u1}s over a ${elapsedS.toFixed(0)}s run`)
      expect(u1).toBeGreaterThan((up0[g] ?? 0) + elapsedS * 0.8)
    }
    const moves = report.hosts.flatMap((h) =>
      h.guests
        .filter((g) => g.migration)
        .map((g) => `${g.name} ${g.migration?.from}→${g.migration?.to} ${g.migration?.durationMs}ms downtime ${g.migration?.downtimeMs ?? '?'}ms`),
    )
    console.log(['reboot --evacuate --serial 1:', ...figures, ...moves].join('\n'))
  }, 1_800_000)
})

// The same lab, now with a guest that cannot move (h1-g2 has a disk on h1's own storage) and a small destination
// (h3's libvirtd sees 240 MiB: with the 10 % headroom, room for one 96 MiB guest). Kept for the files after this one.
describe('what cannot move, where nothing fits, and Ctrl-C', () => {
  beforeAll(() => {
    lab.o.guests = 2
    lab.o.localDisk = 'h1-g2'
    lab.o.hostMemory = 'h3=240'
    lab.up()
  }, 900_000)

  it('strategy stop (a guest tag) and a guest with a local disk: both stopped with the saved list and started after the reboot; the report says why', () => {
    lab.ssh('h1', 'virsh -c qemu:///system desc h1-g1 --live --config "web virtfleet:evacuate=stop"')
    try {
      const boot = lab.bootId('h1')
      const others = { h2: lab.running('h2'), h3: lab.running('h3') }
      const r = lab.cli(['reboot', '--evacuate', '--limit', 'h1', '--timeout', '20s', '--reboot-timeout', '3m', '--migration-timeout', '2m', '--json'])
      expectExit(r, 0)
      const report = r.json<RunReport>()
      const h1 = report.hosts.find((h) => h.host === 'h1')
      expect(lab.bootId('h1')).not.toBe(boot)
      expect(lab.running('h1')).toEqual(['h1-g1', 'h1-g2'])
      expect(lab.savedList('h1')).toEqual([])
      expect(lab.running('h2')).toEqual(others.h2)
      expect(lab.running('h3')).toEqual(others.h3)
      const stopped = (name: string) => h1?.guests.find((g) => g.name === name && g.outcome === 'stopped')
      expect(stopped('h1-g1')?.note).toMatch(/not migrated: .*strategy stop/)
      expect(stopped('h1-g2')?.note).toMatch(/not migrated: disks not on shared storage \(.*\/h1\/disks\/h1-g2\.img\): give --copy-storage/)
      expect(h1?.guests.filter((g) => g.outcome === 'migrated')).toEqual([])
      // both went through the saved list: listed before the stop, gone once started again
      const events = lab.events(report.runId)
      const written = events.findIndex((e) => e.type === 'saved-list-written' && e.host === 'h1' && e.entries === 2)
      const firstStop = events.findIndex((e) => e.type === 'guest-action' && e.host === 'h1')
      expect(written).toBeGreaterThanOrEqual(0)
      expect(written).toBeLessThan(firstStop)
    } finally {
      lab.ssh('h1', 'virsh -c qemu:///system desc h1-g1 --live --config ""')
    }
  }, 900_000)

  it('a destination too small: the plan places what fits and blocks the rest with the reason; nothing more moves onto it; restore brings the moved guest home', () => {
    const h2 = lab.running('h2')
    const h3 = lab.running('h3')
    const check = lab.cli(['evacuate', '--limit', 'h2', '--to', 'h3', '--strategy', 'migrate', '--check', '--json'])
    expectExit(check, 2)
    const plan = check.json<{
      placement: { ok: boolean; hosts: Array<{ guests: Array<{ name: string; action: string; destination?: string; reason?: string }> }> }
    }>()
    const placed = plan.placement.hosts[0]?.guests ?? []
    expect(plan.placement.ok).toBe(false)
    expect(placed.map((g) => g.action).sort()).toEqual(['blocked', 'migrate'])
    expect(placed.find((g) => g.action === 'migrate')?.destination).toBe('h3')
    expect(placed.find((g) => g.action === 'blocked')?.reason).toMatch(/^no destination fits 96 MiB, 1 vCPU \(h3: \d+ MiB free above the 10 % headroom\)$/)
    expect(lab.running('h2')).toEqual(h2) // a check moves nothing

    const r = lab.cli(['evacuate', '--limit', 'h2', '--to', 'h3', '--strategy', 'migrate', '--migration-timeout', '2m', '--json'])
    expectExit(r, 2)
    const moved = placed.find((g) => g.action === 'migrate')?.name as string
    const stuck = placed.find((g) => g.action === 'blocked')?.name as string
    const rows = r.json<RunReport>().hosts[0]?.guests ?? []
    expect(rows.map((g) => [g.name, g.outcome, g.migration?.to])).toEqual([[moved, 'migrated', 'h3']])
    expect(r.json<RunReport>().hosts[0]?.error).toMatch(new RegExp(`could not move and stay running: ${stuck} \\(no destination fits`))
    expect(lab.running('h2')).toEqual([stuck])
    expect(lab.running('h3')).toEqual([...h3, moved].sort())

    const back = lab.cli(['restore', '--limit', 'h2', '--json'])
    expectExit(back, 0)
    expect(back.json<RunReport>().hosts[0]?.guests.map((g) => [g.name, g.outcome, g.migration?.from, g.migration?.to])).toEqual([
      [moved, 'migrated', 'h3', 'h2'],
    ])
    expect(lab.running('h2')).toEqual(h2)
    expect(lab.running('h3')).toEqual(h3)
  }, 900_000)

  it('Ctrl-C during a migration: the guests still run on their source, the report says so; resume finishes the reboot', async () => {
    const h2 = lab.running('h2')
    const boot = lab.bootId('h2')
    const child = lab.spawnCli([
      'reboot',
      '--evacuate',
      '--limit',
      'h2',
      '--timeout',
      '20s',
      '--reboot-timeout',
      '3m',
      '--migration-timeout',
      '2m',
      // held to 16 MiB/s, a 96 MiB guest's copy takes about 6 s: unthrottled, a fast machine finished both migrations
      // 1.5 s after the Ctrl-C, before an abort could land
      '--bandwidth',
      '16',
      '--output',
      'plain',
    ])
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 120_000
    while (Date.now() < deadline && !/migrate h2 → h\d: started/.test(out)) await new Promise((res) => setTimeout(res, 100))
    expect(out).toMatch(/migrate h2 → h1: started/) // h3 is too small for h2's guests
    await new Promise((res) => setTimeout(res, 800)) // well inside a migration of about 7 s
    child.kill('SIGINT')
    const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)))
    expect(code, out).toBe(130)
    expect(out).toMatch(/migrate h2 → h1: failed \(in [\d.]+s\): interrupted: migration aborted \(error: operation aborted/)
    expect(out).toMatch(new RegExp(`interrupted: ${h2.map((g) => `${g} \\(still on h2\\)`).join(', ')}`))
    expect(lab.running('h2')).toEqual(h2)
    expect(lab.running('h1')).toEqual(['h1-g1', 'h1-g2'])
    expect(lab.bootId('h2')).toBe(boot)

    const runId = /run (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(out)?.[1] as string
    const resumed = lab.cli(['resume', runId])
    expectExit(resumed, 0)
    expect(resumed.stdout).toMatch(/h2 return#\d+: ok .*\(2 migrated back home\)/)
    expect(lab.bootId('h2')).not.toBe(boot)
    expect(lab.running('h2')).toEqual(h2)
    expect(lab.running('h1')).toEqual(['h1-g1', 'h1-g2'])
    expect(lab.savedList('h2')).toEqual([])
  }, 900_000)
})
