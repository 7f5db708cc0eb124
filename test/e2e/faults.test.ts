// Faults on the lab (issue: robust under concurrent runs and lost peers): two plain runs on one host at once,
// an sshd frozen mid-run, a saved list corrupted on the host, libvirtd down, a host that does not answer,
// managedsave failing, the host lock held by another machine's run, a full state directory on the host. Each
// asserts that no saved-list entry is lost and the exit code (and a time bound where time is the fault).
// One host, two real guests: g1 answers ACPI after 2 s, g2 ignores it.

import { execFileSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../src/core/report.js'
import { buildOnce, expectExit, Lab } from './support/fleet.js'

const lab = new Lab({ name: 'faults', hosts: 1, guests: 2, delays: '2,x', basePort: 2331, transient: false, golden: true })

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

/** Send sig to each pid; a session process that ended since sshdTree listed it (its command finished) is skipped. */
function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }
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
    signalAll(frozen, 'SIGSTOP')
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
      signalAll(frozen, 'SIGCONT')
    }
    expect(lab.savedNames('h1')).toEqual(['h1-g2'])
  })

  it('sshd killed mid-run: the host is reported unreachable (exit 3) at once, no entry lost', async () => {
    lab.up()
    const run = finished(lab.spawnCli(['shutdown', '--guests', 'h1-g2', '--timeout', '120s', '--json']))
    await lab.waitFor('h1', 'cat /var/lib/virtfleet/saved-guests.json 2>/dev/null || true', (r) => r.stdout.includes('h1-g2'), 60_000)
    await new Promise((r) => setTimeout(r, 1500))
    const t0 = Date.now()
    signalAll(sshdTree('h1'), 'SIGKILL')
    const r = await run
    const afterKillMs = Date.now() - t0
    lab.reconcile() // restarts the host's sshd, keeps the saved list
    expect(r.code, r.stderr).toBe(3)
    const report = JSON.parse(r.stdout) as RunReport
    expect(report.hosts[0]?.status).toBe('unreachable')
    expect(afterKillMs).toBeLessThan(15_000)
    expect(lab.savedNames('h1')).toEqual(['h1-g2'])
  })

  it('sshd frozen before the run: the connection attempt gives up at --connect-timeout, exit 3, nothing touched', () => {
    lab.up()
    const frozen = sshdTree('h1')
    signalAll(frozen, 'SIGSTOP')
    try {
      const t0 = Date.now()
      const r = lab.cli(['shutdown', '--connect-timeout', '3s', '--json'])
      const ms = Date.now() - t0
      expectExit(r, 3)
      expect(r.json().hosts[0]?.status).toBe('unreachable')
      // one attempt and its retries, each bounded by 3 s: far below any default
      expect(ms).toBeLessThan(30_000)
    } finally {
      signalAll(frozen, 'SIGCONT')
    }
    expect(lab.running('h1')).toEqual(['h1-g1', 'h1-g2'])
    expect(lab.savedNames('h1')).toEqual([])
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

  it('libvirtd down: the start fails with the reason, exit 2, and the saved list keeps every entry', () => {
    lab.up()
    expectExit(lab.cli(['shutdown', '--guests', 'h1-g1', '--json']), 0)
    expect(lab.savedNames('h1')).toEqual(['h1-g1'])
    const pid = Number(readFileSync(join(lab.dir, 'hosts', 'h1', 'pids', 'libvirtd.pid'), 'utf8').trim())
    process.kill(pid, 'SIGTERM')
    try {
      const t0 = Date.now()
      const r = lab.cli(['start', '--json'])
      expect(r.code).not.toBe(0)
      expect([2, 3]).toContain(r.code)
      expect(r.stdout + r.stderr).toMatch(/libvirt|socket|connect/i)
      expect(Date.now() - t0).toBeLessThan(60_000)
      expect(lab.savedNames('h1')).toEqual(['h1-g1'])
    } finally {
      lab.up() // restarts the host's libvirtd (its guests kept running under QEMU) and empties the list
    }
  })

  it('a host that does not answer: exit 3 within the connect timeout, nothing else touched', () => {
    lab.up()
    // nothing listens on the port after the lab's range
    const dead = lab.override({ h1: { port: lab.port('h1') + 9 } })
    const t0 = Date.now()
    const r = lab.cli(['shutdown', '--connect-timeout', '3s', '--json'], { extra: [dead] })
    expectExit(r, 3)
    expect(r.json().hosts[0]?.status).toBe('unreachable')
    expect(Date.now() - t0).toBeLessThan(30_000)
    expect(lab.running('h1')).toEqual(['h1-g1', 'h1-g2'])
  })

  it('managedsave failing: the guest keeps running and stays listed (exit 2); with a fallback it is shut down (exit 0)', () => {
    lab.up()
    // the QEMU driver's save directory replaced by a file: every managedsave on this host fails
    const save = '/var/lib/libvirt/qemu/save'
    lab.ssh('h1', `mv ${save} ${save}.away && touch ${save}`)
    try {
      const r = lab.cli(['shutdown', '--guests', 'h1-g1', '--action', 'suspend', '--json'])
      expectExit(r, 2)
      const g = r.json().hosts[0]!.guests[0]!
      expect(g).toMatchObject({ name: 'h1-g1', ok: false, inSavedList: true })
      expect(g.attempts.map((a) => [a.action, a.result])).toEqual([['suspend', 'failed']])
      expect(lab.states('h1')['h1-g1']).toBe('running')
      expect(lab.savedNames('h1')).toEqual(['h1-g1'])
      const f = lab.cli(['shutdown', '--guests', 'h1-g1', '--action', 'suspend', '--fallback', 'shutdown', '--json'])
      expectExit(f, 0)
      expect(f.json().hosts[0]!.guests[0]!.attempts.map((a) => [a.action, a.result])).toEqual([
        ['suspend', 'failed'],
        ['shutdown', 'ok'],
      ])
      expect(lab.states('h1')['h1-g1']).toBe('shut off')
      expect(lab.savedNames('h1')).toEqual(['h1-g1'])
    } finally {
      lab.ssh('h1', `rm -f ${save} && mv ${save}.away ${save}`)
    }
  })

  it("the host lock held by another machine's run: the drain refuses the host untouched; --break-lock goes on", () => {
    lab.up()
    const owner = JSON.stringify({ runId: 'r-other', controlHost: 'other-control-machine', pid: 1, since: new Date().toISOString() })
    lab.ssh('h1', `mkdir -p /var/lib/virtfleet/lock && printf '%s\n' '${owner}' > /var/lib/virtfleet/lock/owner`)
    try {
      const r = lab.cli(['drain', '--limit', 'h1', '--guests', 'h1-g1', '--yes', '--json'])
      expect(r.code, r.stdout + r.stderr).not.toBe(0)
      expect([2, 5]).toContain(r.code)
      expect(r.stdout + r.stderr).toMatch(/other-control-machine/)
      expect(lab.running('h1')).toEqual(['h1-g1', 'h1-g2'])
      expect(lab.savedNames('h1')).toEqual([])
      expect(lab.ssh('h1', 'cat /var/lib/virtfleet/lock/owner')).toContain('r-other')
      const b = lab.cli(['drain', '--limit', 'h1', '--guests', 'h1-g1', '--yes', '--break-lock', '--json'])
      expectExit(b, 0)
      expect(lab.states('h1')['h1-g1']).toBe('shut off')
      expect(lab.savedNames('h1')).toEqual(['h1-g1'])
    } finally {
      lab.ssh('h1', 'rm -rf /var/lib/virtfleet/lock')
    }
  })

  it('a full state directory on the host: no guest is touched (the list could not be written), old entries kept', () => {
    lab.up()
    expectExit(lab.cli(['shutdown', '--guests', 'h1-g1', '--json']), 0)
    const kept = lab.ssh('h1', 'cat /var/lib/virtfleet/saved-guests.json')
    // a 64 KiB tmpfs over the host's state directory, holding the same list, then filled to the last byte
    lab.ssh(
      'h1',
      'cp /var/lib/virtfleet/saved-guests.json /tmp/vf-e2e-kept.json && mount -t tmpfs -o size=64k vf-full /var/lib/virtfleet && ' +
        'cp /tmp/vf-e2e-kept.json /var/lib/virtfleet/saved-guests.json && (dd if=/dev/zero of=/var/lib/virtfleet/filler bs=1k count=1000 2>/dev/null || true)',
    )
    try {
      const r = lab.cli(['shutdown', '--guests', 'h1-g2', '--json'])
      expect(r.code, r.stdout + r.stderr).not.toBe(0)
      expect(r.stdout + r.stderr).toMatch(/space|ENOSPC|write/i)
      expect(lab.states('h1')['h1-g2']).toBe('running')
      expect(lab.ssh('h1', 'cat /var/lib/virtfleet/saved-guests.json')).toBe(kept)
    } finally {
      lab.ssh('h1', 'umount /var/lib/virtfleet; rm -f /tmp/vf-e2e-kept.json')
    }
    // the real directory under the tmpfs still holds the list of the first run
    expect(lab.savedNames('h1')).toEqual(['h1-g1'])
  })
})
