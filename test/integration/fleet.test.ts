// virtfleet's CLI against a real OpenSSH sshd and a real libvirtd (built-in test driver) on 127.0.0.1.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunReport } from '../../src/core/report.js'
import { RemoteError } from '../../src/core/errors.js'
import { VirshDriver } from '../../src/libvirt/driver.js'
import { createSshTransport } from '../../src/ssh/ssh-transport.js'
import { labUpTestHost, REPO, TEST_URI, type TestHost } from './support/test-host.js'

let host: TestHost
let stateDir: string
const HOSTILE = ['$(reboot)', 'it\'s "quoted"', 'spa ced', 'ünïcødé-🚀', '`id`;x']

function cli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/run.js'), ...args, '--state-dir', stateDir], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...opts.env },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const savedList = () => {
  const text = host.ssh('cat /var/lib/virtfleet/saved-guests.json 2>/dev/null || true')
  return text.trim() === '' ? [] : (JSON.parse(text).entries as Array<{ uuid: string; name: string; uri: string; action: string }>)
}
const states = () =>
  Object.fromEntries(
    host
      .ssh(`for u in $(virsh -c ${TEST_URI} list --all --uuid); do printf '%s %s\\n' "$u" "$(virsh -c ${TEST_URI} domstate $u | head -1)"; done`)
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, 36), l.slice(37)]),
  )

beforeAll(() => {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO, stdio: 'inherit' })
  host = labUpTestHost()
  stateDir = mkdtempSync(join(tmpdir(), 'vf-state-'))
})
afterAll(() => host?.down())

describe('shutdown → saved list on the host → start → list empty (real sshd + libvirtd)', () => {
  let uuids: Record<string, string> = {}
  let offBefore = ''

  it('defines guests with hostile names', () => {
    for (const n of HOSTILE) uuids[n] = host.defineGuest(n)
    offBefore = host.defineGuest('off-before', { running: false })
    expect(Object.keys(uuids)).toHaveLength(HOSTILE.length)
  })

  it('--check changes nothing', () => {
    const r = cli(['shutdown', '-i', host.inventory, '--check', '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as RunReport
    expect(report.check).toBe(true)
    expect(
      report.hosts[0]?.guests
        .filter((g) => g.outcome === 'planned')
        .map((g) => g.name)
        .sort(),
    ).toEqual([...HOSTILE, 'test'].sort())
    expect(savedList()).toEqual([])
    expect(states()[uuids['$(reboot)'] as string]).toBe('running')
  })

  it('shutdown stops every running guest, lists them on the host, and reports each field', () => {
    const r = cli(['shutdown', '-i', host.inventory, '--json', '--fallback', 'destroy', '--timeout', '20s'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as RunReport
    expect(report.command).toBe('shutdown')
    expect(report.exitCode).toBe(0)
    expect(report.check).toBe(false)
    expect(report.interrupted).toBe(false)
    expect(report.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/)
    expect(report.summary).toMatchObject({ hosts: 1, hostsOk: 1, hostsUnreachable: 0, guestsFailed: 0 })
    const h = report.hosts[0]!
    expect(h.host).toBe('it1')
    expect(h.status).toBe('ok')
    expect(h.savedList).toEqual({ path: '/var/lib/virtfleet/saved-guests.json', entries: HOSTILE.length + 1 })
    const g = h.guests.find((x) => x.name === '$(reboot)')!
    expect(g).toMatchObject({
      uri: TEST_URI,
      uuid: uuids['$(reboot)'],
      initialState: 'running',
      persistent: true,
      outcome: 'stopped',
      ok: true,
      inSavedList: true,
    })
    expect(g.attempts).toHaveLength(1)
    expect(g.attempts[0]).toMatchObject({ action: 'shutdown', result: 'ok', reason: 'primary' })
    expect(Date.parse(g.attempts[0]!.endedAt)).toBeGreaterThanOrEqual(Date.parse(g.attempts[0]!.startedAt))
    expect(h.guests.find((x) => x.name === 'off-before')).toMatchObject({ outcome: 'already-off', ok: true, inSavedList: false })
    // on the host: exactly the guests that ran, by UUID
    expect(
      savedList()
        .map((e) => e.uuid)
        .sort(),
    ).toEqual([...Object.values(uuids), '6695eb01-f6a4-8304-79aa-97f2502e193f'].sort())
    for (const u of Object.values(uuids)) expect(states()[u]).toBe('shut off')
    // nothing was executed by a hostile name
    expect(host.ssh('ls /tmp | grep -c pwned || true').trim()).toBe('0')
  })

  it('a second shutdown keeps the list (guests already off stay listed)', () => {
    const r = cli(['shutdown', '-i', host.inventory, '--json'])
    expect(r.code).toBe(0)
    expect(savedList()).toHaveLength(HOSTILE.length + 1)
  })

  it('status shows saved-list membership', () => {
    const r = cli(['status', '-i', host.inventory, '--json'])
    expect(r.code).toBe(0)
    const view = JSON.parse(r.stdout).hosts[0]
    expect(view.guests.find((g: { name: string }) => g.name === '$(reboot)')).toMatchObject({ state: 'shut off', inSavedList: true })
    expect(view.guests.find((g: { name: string }) => g.name === 'off-before')).toMatchObject({ inSavedList: false })
  })

  it('start --guests selects by hostile name exactly, and only that entry leaves the list', () => {
    const r = cli(['start', '-i', host.inventory, '--guests', '$(reboot)', '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as RunReport
    expect(report.hosts[0]?.guests.map((g) => [g.name, g.outcome])).toEqual([['$(reboot)', 'started']])
    expect(savedList().map((e) => e.name)).not.toContain('$(reboot)')
    expect(savedList()).toHaveLength(HOSTILE.length)
  })

  it('start restores the rest, the list is gone, the guest that was off stays off', () => {
    const r = cli(['start', '-i', host.inventory, '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as RunReport
    expect(report.hosts[0]?.guests.every((g) => g.outcome === 'started')).toBe(true)
    expect(savedList()).toEqual([])
    expect(host.ssh('test -e /var/lib/virtfleet/saved-guests.json && echo yes || echo no').trim()).toBe('no')
    for (const u of Object.values(uuids)) expect(states()[u]).toBe('running')
    expect(states()[offBefore]).toBe('shut off')
  })

  it('resume and retry of a run recorded with plain output print JSON when asked (a CI job resuming a run)', () => {
    // every guest runs and the list is empty: this start is a no-op run, journaled like any other
    const plain = cli(['start', '-i', host.inventory, '--output', 'plain'])
    expect(plain.code).toBe(0)
    expect(() => JSON.parse(plain.stdout)).toThrow()
    const runId = /run (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(plain.stdout)?.[1] as string
    expect(runId).toBeTruthy()
    const runs = JSON.parse(cli(['runs', '--json']).stdout) as Array<{ id: string; command: string }>
    expect(runs[0]).toMatchObject({ id: runId, command: 'start' })
    const resumed = cli(['resume', runId, '--json'])
    expect(resumed.code).toBe(0)
    const report = JSON.parse(resumed.stdout) as RunReport
    expect(report.command).toBe('start')
    expect(report.hosts[0]?.guests.every((g) => g.outcome === 'already-running' || g.outcome === 'already-off')).toBe(true)
    const retried = cli(['retry', runId, '--json'])
    expect(retried.code).toBe(0)
    expect(retried.stderr).toMatch(/has no failed hosts: nothing to retry/)
  })

  it('the same host through an Ansible INI inventory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-ini-'))
    const ini = join(dir, 'hosts.ini')
    writeFileSync(
      ini,
      `[hv]\nit1 ansible_host=127.0.0.1 ansible_port=${host.port} ansible_user=root ansible_ssh_private_key_file=${host.clientKey}\n\n[hv:vars]\nansible_ssh_common_args=-o UserKnownHostsFile=${host.knownHosts}\nuris=${TEST_URI}\n`,
    )
    const r = cli(['status', '-i', ini, '--json', '--limit', 'hv'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).hosts[0].reachable).toBe(true)
  })
})

describe('host key checking (real known_hosts)', () => {
  function inventoryWithKnownHosts(content: string, extra = ''): string {
    const dir = mkdtempSync(join(tmpdir(), 'vf-kh-'))
    const kh = join(dir, 'known_hosts')
    writeFileSync(kh, content)
    const inv = join(dir, 'inv.yml')
    writeFileSync(
      inv,
      `virtfleet: 1\nhosts:\n  it1:\n    address: 127.0.0.1\n    port: ${host.port}\n    user: root\n    identity_file: ${host.clientKey}\n    uris: [${TEST_URI}]\n    ansible_ssh_common_args: "-o UserKnownHostsFile=${kh}${extra}"\n`,
    )
    return inv
  }

  it('a wrong key is refused: exit 3, the fingerprint is shown, no command ran', () => {
    const wrong = execFileSync('sh', ['-c', `d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f "$d/k" && cut -d' ' -f1,2 "$d/k.pub"`], {
      encoding: 'utf8',
    }).trim()
    const inv = inventoryWithKnownHosts(`[127.0.0.1]:${host.port} ${wrong}\n`)
    host.defineGuest('keycheck')
    const r = cli(['shutdown', '-i', inv, '--json'])
    expect(r.code).toBe(3)
    const report = JSON.parse(r.stdout) as RunReport
    expect(report.hosts[0]?.status).toBe('unreachable')
    expect(report.hosts[0]?.error).toMatch(/SHA256:/)
    expect(report.hosts[0]?.error).toMatch(/changed|mismatch|does not match|differs/i)
    expect(savedList()).toEqual([])
  })

  it('an unknown key is refused by default and accepted (and recorded) with --host-key-checking accept-new', () => {
    const inv = inventoryWithKnownHosts('')
    const refused = cli(['status', '-i', inv, '--json'])
    expect(refused.code).toBe(3)
    const accepted = cli(['status', '-i', inv, '--json', '--host-key-checking', 'accept-new'])
    expect(accepted.code).toBe(0)
    const again = cli(['status', '-i', inv, '--json'])
    expect(again.code).toBe(0)
  })
})

describe('a wave of starts over the real sshd and libvirtd (one shell, every virsh start at once)', () => {
  it("starts the guests that are off; the one already running fails with virsh's own error and exit code", async () => {
    const off = ['wave-a', 'wave-b', 'wave-c'].map((n) => host.defineGuest(n, { running: false }))
    const on = host.defineGuest('wave-on')
    const t = createSshTransport({ agent: false, onWarning: () => {} })
    try {
      const session = await t.connect(host.spec())
      const d = new VirshDriver(session)
      const results = await Promise.allSettled([...off, on].map((u) => d.start(TEST_URI, u)))
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected'])
      const err = (results[3] as PromiseRejectedResult).reason as RemoteError
      expect(err).toBeInstanceOf(RemoteError)
      expect(err.command).toBe(`virsh -c ${TEST_URI} start ${on}`)
      expect(err.exitCode).toBe(1)
      expect(err.message).toMatch(/already active|already running/)
      for (const u of [...off, on]) expect(states()[u]).toBe('running')
    } finally {
      await t.closeAll()
    }
  })
})
