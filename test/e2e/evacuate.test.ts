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
  lab.up()
}, 1_800_000)

/** The guest's last reported uptime (seconds), read from whichever host's console file it writes now. */
function lastUptime(guest: string): number | undefined {
  const home = guest.split('-')[0] as string
  const all = [...lab.consoleLog(home, guest).matchAll(/LAB-UPTIME (\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]))
  return all.at(-1)
}

describe('reboot --evacuate', () => {
  it('--serial 1: no guest restarts, every host got a new boot id, every guest ends on its home host, exit 0', async () => {
    const before = Object.fromEntries(HOSTS.map((h) => [h, lab.running(h)]))
    const boots = Object.fromEntries(HOSTS.map((h) => [h, lab.bootId(h)]))
    const guests = HOSTS.flatMap((h) => before[h] ?? [])
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
