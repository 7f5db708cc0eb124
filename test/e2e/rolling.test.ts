// Rolling maintenance end to end on the lab: three hypervisor hosts with two real guests each.

import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { FleetEvent } from '../../src/core/events.js'
import type { RunReport } from '../../src/core/report.js'
import { buildOnce, expectExit } from './support/fleet.js'
import { threeHosts } from './support/labs.js'

// shared with the other three-host file: booted once per run (support/labs.ts)
const lab = threeHosts()
const HOSTS = ['h1', 'h2', 'h3'] as const

beforeAll(() => {
  buildOnce()
  lab.up()
})

/** Per host: from its first stop action to its last guest started: the window its guests were down. */
function downWindows(events: FleetEvent[]): Record<string, [number, number]> {
  const w: Record<string, [number, number]> = {}
  for (const e of events) {
    if (e.type !== 'guest-action' && e.type !== 'guest-done') continue
    const t = Date.parse(e.at)
    const cur = w[e.host] ?? [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
    w[e.host] = [Math.min(cur[0], t), Math.max(cur[1], t)]
  }
  return w
}

describe('rolling reboot', () => {
  it('--serial 1: never two hosts down at once; every guest that ran runs again; boot ids changed', () => {
    lab.up()
    const before = Object.fromEntries(HOSTS.map((h) => [h, lab.running(h)]))
    const boots = Object.fromEntries(HOSTS.map((h) => [h, lab.bootId(h)]))
    const r = lab.cli(['reboot', '--serial', '1', '--timeout', '20s', '--fallback', 'destroy', '--reboot-timeout', '2m', '--json'])
    expect(r.stderr).toBe('')
    expectExit(r, 0)
    const report = r.json<RunReport>()
    for (const h of HOSTS) {
      expect(lab.bootId(h)).not.toBe(boots[h])
      expect(lab.running(h)).toEqual(before[h])
      expect(lab.savedList(h)).toEqual([])
      expect(report.hosts.find((x) => x.host === h)?.steps?.map((s) => `${s.step}:${s.status}`)).toEqual([
        'preflight:ok',
        'lock:ok',
        'stop:ok',
        'reboot:ok',
        'start:ok',
        'assert:ok',
        'unlock:ok',
      ])
    }
    const w = Object.values(downWindows(lab.events(report.runId))).sort((a, b) => a[0] - b[0])
    expect(w).toHaveLength(3)
    for (let i = 1; i < w.length; i++) expect(w[i]![0]).toBeGreaterThan(w[i - 1]![1])
  })

  it('--max-fail-percentage 0: the second host fails its reboot, the third is never touched, exit 5', () => {
    lab.up()
    const h3boot = lab.bootId('h3')
    const override = lab.override({ h2: { reboot_command: 'echo cannot reboot >&2; exit 1' } })
    const r = lab.cli(['reboot', '--serial', '1', '--max-fail-percentage', '0', '--timeout', '20s', '--fallback', 'destroy', '--json'], { extra: [override] })
    expectExit(r, 5)
    const report = r.json<RunReport>()
    expect(report.hosts.map((h) => [h.host, h.status])).toEqual([
      ['h1', 'ok'],
      ['h2', 'failed'],
      ['h3', 'skipped'],
    ])
    expect(report.hosts[1]?.error).toMatch(/reboot command .* exited 1: cannot reboot/)
    expect(report.hosts[2]?.error).toMatch(/max-fail-percentage/)
    // h3 untouched: same boot, guests still running, no action in the journal
    expect(lab.bootId('h3')).toBe(h3boot)
    expect(lab.running('h3')).toEqual(['h3-g1', 'h3-g2'])
    const events = lab.events(report.runId)
    expect(events.some((e) => e.type === 'guest-action' && e.host === 'h3')).toBe(false)
    expect(events.some((e) => e.type === 'log' && /stopping the roll/.test(e.message))).toBe(true)
    // h2's guests were stopped before the failed reboot: they stay listed for a later restore
    expect(lab.savedNames('h2')).toEqual(['h2-g1', 'h2-g2'])
    expect(lab.cli(['restore', '--limit', 'h2', '--json']).code).toBe(0)
    expect(lab.running('h2')).toEqual(['h2-g1', 'h2-g2'])
  })
})

describe('drain killed mid-way, then resumed', () => {
  it('SIGKILL during a drain; `virtfleet resume` finishes it: no guest lost, no step repeated', async () => {
    lab.up()
    const child = lab.spawnCli(['drain', '--limit', 'h1', '--parallel', '1', '--timeout', '30s', '--output', 'plain'])
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && !/h1-g1 done: stopped/.test(out)) await new Promise((res) => setTimeout(res, 100))
    expect(out).toMatch(/h1-g1 done: stopped/)
    child.kill('SIGKILL')
    await new Promise((res) => child.once('exit', res))
    const runId = /run (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(out)?.[1] as string
    expect(runId).toBeTruthy()
    // the list on the host already holds both guests, though only one was stopped
    expect(lab.savedNames('h1')).toEqual(['h1-g1', 'h1-g2'])

    const resumed = lab.cli(['resume', runId])
    expectExit(resumed, 0)
    expect(lab.running('h1')).toEqual([])
    expect(lab.savedNames('h1')).toEqual(['h1-g1', 'h1-g2'])
    const events = lab.events(runId)
    const shutdowns = events.filter((e) => e.type === 'guest-action' && e.host === 'h1').map((e) => (e as { guest: { name: string } }).guest.name)
    // h1-g1 finished before the kill: never asked again. h1-g2 may have been asked (not finished) before the
    // kill; then it is asked again, which is the unfinished step, not a repeat.
    expect(shutdowns.filter((n) => n === 'h1-g1')).toHaveLength(1)
    expect(shutdowns.filter((n) => n === 'h1-g2').length).toBeGreaterThanOrEqual(1)
    // host steps done before the kill were not run again
    const text = readFileSync(join(lab.stateDir, 'runs', `${runId}.jsonl`), 'utf8')
    const preflights = text.split('\n').filter((l) => l.includes('"type":"step"') && l.includes('"step":"preflight#0"') && l.includes('"status":"ok"'))
    expect(preflights).toHaveLength(1)
    expect(lab.cli(['restore', '--limit', 'h1']).code).toBe(0)
  })
})

describe('tiers across hosts', () => {
  it('--tiers app,db stops tier app on every host before any db guest (journal timestamps)', () => {
    lab.up()
    const tiers = { guest_tiers: { '*-g1': 'app', '*-g2': 'db' } }
    const override = lab.override({ h1: tiers, h2: tiers })
    const r = lab.cli(['shutdown', '--limit', 'h1,h2', '--tiers', 'app,db', '--json'], { extra: [override] })
    expectExit(r, 0)
    const events = lab.events(r.json<RunReport>().runId)
    const at = (e: FleetEvent) => Date.parse(e.at)
    const appDone = events.filter((e) => e.type === 'guest-done' && e.guest.name.endsWith('-g1')).map(at)
    const dbStart = events.filter((e) => e.type === 'guest-action' && e.guest.name.endsWith('-g2')).map(at)
    expect(appDone).toHaveLength(2)
    expect(dbStart).toHaveLength(2)
    expect(Math.min(...dbStart)).toBeGreaterThanOrEqual(Math.max(...appDone))
    const s = lab.cli(['start', '--limit', 'h1,h2', '--tiers', 'app,db', '--json'], { extra: [override] })
    expectExit(s, 0)
    const ev2 = lab.events(s.json<RunReport>().runId)
    const dbUp = ev2.filter((e) => e.type === 'guest-done' && e.guest.name.endsWith('-g2')).map(at)
    const appUp = ev2.filter((e) => e.type === 'guest-action' && e.guest.name.endsWith('-g1')).map(at)
    expect(Math.min(...appUp)).toBeGreaterThanOrEqual(Math.max(...dbUp))
  })
})

describe('playbooks and reports', () => {
  it('runs a playbook on the lab and renders the run as an HTML timeline', () => {
    lab.up()
    const dir = mkdtempSync(join(tmpdir(), 'vf-pb-'))
    const pb = join(dir, 'window.yml')
    writeFileSync(
      pb,
      [
        '- name: Maintenance window on h3',
        '  hosts: lab:&h3',
        '  serial: 1',
        '  max_fail_percentage: 0',
        '  steps:',
        '    - shutdown: { timeout: 20s, fallback: [destroy] }',
        '    - command: { run: "test -s /var/lib/virtfleet/saved-guests.json && echo listed" }',
        '    - start: {}',
        '    - assert: { guests: running }',
        '',
      ].join('\n'),
    )
    const r = lab.cli(['run', pb, '--json'])
    expectExit(r, 0)
    const report = r.json<RunReport>()
    expect(report.hosts[0]?.steps?.find((s) => s.step === 'command')?.detail).toBe('listed')
    expect(lab.running('h3')).toEqual(['h3-g1', 'h3-g2'])
    const html = join(dir, 'report.html')
    const show = lab.cli(['runs', 'show', report.runId, '--html', html])
    expectExit(show, 0)
    expect(existsSync(html)).toBe(true)
    expect(readFileSync(html, 'utf8')).toContain('h3-g1')
  })
})
