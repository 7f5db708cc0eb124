// Faults on the lab (issue: robust under concurrent runs and lost peers): two plain runs on one host at once,
// an sshd frozen mid-run, a saved list corrupted on the host. Each asserts that no saved-list entry is lost, the
// exit code, and a time bound. One host, two real guests: g1 answers ACPI after 2 s, g2 ignores it.

import { execFileSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../src/core/report.js'
import { buildOnce, Lab } from './support/fleet.js'

const lab = new Lab({ name: 'faults', hosts: 1, guests: 2, delays: '2,x', basePort: 2331, transient: false })

beforeAll(() => {
  buildOnce()
  lab.up(true)
})
afterAll(() => lab.down())

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now()
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })))
}

/** The host's sshd listener and every session process under it. */
function sshdTree(host: string): number[] {
  const root = Number(readFileSync(join(lab.dir, 'hosts', host, 'pids', 'sshd.pid'), 'utf8').trim())
  const all = [root]
  for (let i = 0; i < all.length; i++) {
    const kids = execFileSync('sh', ['-c', `pgrep -P ${all[i]} || true`], { encoding: 'utf8' })
    all.push(...kids.split('\n').filter(Boolean).map(Number))
  }
  return all
}

describe('faults on a real host', () => {
  it('two plain shutdown runs on one host at once (two CI jobs): both entries stay in the saved list, every time', async () => {
    for (let round = 0; round < 2; round++) {
      lab.up()
      lab.ssh('h1', 'rm -f /var/lib/virtfleet/saved-guests.json')
      const a = finished(lab.spawnCli(['shutdown', '--guests', 'h1-g1', '--action', 'destroy', '--output', 'plain']))
      const b = finished(lab.spawnCli(['shutdown', '--guests', 'h1-g2', '--action', 'destroy', '--output', 'plain']))
      const [ra, rb] = await Promise.all([a, b])
      expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0])
      expect(lab.savedNames('h1')).toEqual(['h1-g1', 'h1-g2'])
    }
  })

  it('sshd frozen mid-run: the host is reported unreachable (exit 3) within seconds, the process exits, no entry lost', async () => {
    lab.up()
    lab.ssh('h1', 'rm -f /var/lib/virtfleet/saved-guests.json')
    // g2 ignores ACPI: the run is still waiting on it when the peer freezes.
    const run = finished(lab.spawnCli(['shutdown', '--guests', 'h1-g2', '--timeout', '120s', '--json']))
    await lab.waitFor('h1', 'cat /var/lib/virtfleet/saved-guests.json 2>/dev/null || true', (r) => r.stdout.includes('h1-g2'), 60_000)
    await new Promise((r) => setTimeout(r, 1500))
    const frozen = sshdTree('h1')
    const t0 = Date.now()
    for (const pid of frozen) process.kill(pid, 'SIGSTOP')
    try {
      const r = await run
      const afterFreezeMs = Date.now() - t0
      expect(r.code, r.stderr).toBe(3)
      const report = JSON.parse(r.stdout) as RunReport
      expect(report.hosts[0]?.status).toBe('unreachable')
      expect(report.hosts[0]?.error ?? '').toMatch(/lost/)
      // keepalive 2 s x 3, plus closing with a bounded grace: far below the 120 s step timeout
      expect(afterFreezeMs).toBeLessThan(30_000)
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT')
    }
    expect(lab.savedNames('h1')).toEqual(['h1-g2'])
  })

  it('a saved list corrupted on the host is refused with its file named, and left as it was', () => {
    lab.up()
    lab.ssh('h1', "printf '[null]' > /var/lib/virtfleet/saved-guests.json")
    const r = lab.cli(['start', '--output', 'plain'])
    expect(r.code).not.toBe(0)
    expect(r.stdout + r.stderr).toMatch(/saved-guests\.json/)
    expect(lab.ssh('h1', 'cat /var/lib/virtfleet/saved-guests.json')).toBe('[null]')
    lab.ssh('h1', 'rm -f /var/lib/virtfleet/saved-guests.json')
  })
})
