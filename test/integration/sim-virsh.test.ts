// The scale lab's virsh simulator (lab/sim/virsh) against the real virsh 9.0 on libvirt's test driver
// (test:///default, in-process, no daemon): the same commands, byte-compared outputs. Only what legitimately differs
// is normalized: dominfo's driver-specific fields and the not-running error text (QEMU's, which the simulator prints).

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { domstatesArgv, LIST_SCRIPT, parseDomstates, parseEventLine, parseGuestList, parseShutdowns, shutdownsArgv } from '../../src/libvirt/virsh.js'

const REPO = resolve(import.meta.dirname, '../..')
const SIM = join(REPO, 'lab/sim/virsh')
const URI = 'test:///default'
const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f'

let host: string

/** A simulated host holding exactly the test driver's initial guest: "test", running, id 1. */
function freshHost(): void {
  rmSync(host, { recursive: true, force: true })
  mkdirSync(join(host, 'u0', 'g'), { recursive: true })
  writeFileSync(join(host, 'uris'), `u0 ${URI}\n`)
  writeFileSync(join(host, 'u0', 'g', TEST_UUID), 'test running unknown 1 0 0 1 0 0 0 -\n')
  writeFileSync(join(host, 'u0', 'nextid'), '2\n')
}

const run = (bin: string, args: string[]) => {
  const r = spawnSync(bin, ['-c', URI, ...args], { encoding: 'utf8', env: { ...process.env, VSIM_HOST: host } })
  return { stdout: r.stdout, stderr: r.stderr, code: r.status }
}
const real = (...args: string[]) => run('virsh', args)
const sim = (...args: string[]) => run(SIM, args)

/** Driver-specific dominfo values (OS type, CPUs, memory, security) and the test driver's not-running wording. */
function normalize(text: string): string {
  return text
    .replace(/^CPU time: .*\n/gm, '')
    .replace(/^(OS Type|CPU\(s\)|Max memory|Used memory|Security model|Security DOI): *.*$/gm, '$1: X')
    .replace(/^Security label: .*\n/gm, '')
    .replace(/^error: internal error: domain '.*' not running$/gm, 'error: Requested operation is not valid: domain is not running')
}

beforeAll(() => {
  execFileSync('virsh', ['--version'])
  host = mkdtempSync(join(tmpdir(), 'vf-sim-virsh-'))
})
afterAll(() => rmSync(host, { recursive: true, force: true }))

describe('virsh simulator matches virsh 9.0 on the test driver', () => {
  it('prints the LIST_SCRIPT listing byte for byte, and virtfleet parses it', () => {
    freshHost()
    const a = real(LIST_SCRIPT)
    const b = sim(LIST_SCRIPT)
    expect(b).toEqual(a)
    expect(parseGuestList(URI, b.stdout).guests).toMatchObject([{ uuid: TEST_UUID, name: 'test', state: 'running', persistent: true }])
  })

  it('walks shutdown, start, managedsave, destroy with the same output at every step (one virsh script)', () => {
    freshHost()
    const script = [
      'list --all',
      'domstate test',
      'domstate test --reason',
      `shutdown ${TEST_UUID}`,
      'domstate test',
      'domstate test --reason',
      'list --all',
      'list --all --uuid --name',
      'list --uuid --state-shutoff',
      'list --uuid --state-running',
      'start test',
      'list --all',
      'domstate test --reason',
      `managedsave ${TEST_UUID}`,
      'list --all --uuid --with-managed-save',
      'domstate test --reason',
      `start ${TEST_UUID}`,
      'domstate test --reason',
      'dominfo test',
      `destroy ${TEST_UUID}`,
      'domstate test',
      'domstate test --reason',
      'dominfo test',
      'list --all --name',
      'list --name --state-running',
      'list --uuid --transient',
      'list --all --uuid --autostart',
      'shutdown test',
      'destroy test',
      // (not `managedsave` of a shut-off guest: the test driver hangs after refusing it)
      LIST_SCRIPT,
    ].join('; ')
    const a = real(script)
    const b = sim(script)
    expect(normalize(b.stdout)).toEqual(normalize(a.stdout))
    expect(normalize(b.stderr)).toEqual(normalize(a.stderr))
    expect(b.code).toEqual(a.code)
  })

  it("prints the watcher's batched domstate script alike, a missing guest's section empty, and virtfleet parses it", () => {
    freshHost()
    const missing = '00000000-0000-4000-8000-000000000000'
    const script = domstatesArgv(URI, [TEST_UUID, missing, TEST_UUID]).slice(3)
    const a = real(...script)
    const b = sim(...script)
    expect(b).toEqual(a)
    expect(parseDomstates(b.stdout, [TEST_UUID, missing])).toEqual(
      new Map([
        [TEST_UUID, 'running'],
        [missing, 'failed'],
      ]),
    )
  })

  it("prints a wave of shutdown requests alike (one script), a failed request's section without the confirmation, and virtfleet parses it", () => {
    freshHost()
    const missing = '00000000-0000-4000-8000-000000000000'
    const script = shutdownsArgv(URI, [TEST_UUID, missing]).slice(3)
    const a = real(...script)
    const b = sim(...script)
    expect(b).toEqual(a)
    expect(a.code).toBe(0)
    expect(parseShutdowns(a.stdout, [TEST_UUID, missing])).toEqual(
      new Map([
        [TEST_UUID, 'ok'],
        [missing, 'failed'],
      ]),
    )
    // the same guest asked twice in one script: the second request fails (it is off: the test driver's shutdowns are
    // instant), and only one confirmation is printed
    freshHost()
    const twice = shutdownsArgv(URI, [TEST_UUID, TEST_UUID]).slice(3)
    const c = real(...twice)
    const d = sim(...twice)
    expect({ ...d, stderr: normalize(d.stderr) }).toEqual({ ...c, stderr: normalize(c.stderr) })
    expect(c.stdout.match(/is being shutdown/g)).toHaveLength(1)
  })

  it.each([
    ['domstate', 'nosuch'],
    ['shutdown', 'nosuch'],
    ['destroy', 'nosuch'],
    ['start', 'test'],
    ['domstate', TEST_UUID],
    ['list', '--uuid', '--state-running'],
    ['list', '--all', '--uuid', '--name'],
  ])('single command `virsh %s %s`: same stdout, stderr and exit code', (...args) => {
    freshHost()
    expect(sim(...args)).toEqual(real(...args))
  })
})

describe('virsh simulator alone (no test-driver counterpart)', () => {
  it('shuts a delayed guest down later and prints libvirt 9 event lines that virtfleet parses', () => {
    freshHost()
    writeFileSync(join(host, 'u0', 'g', TEST_UUID), 'test running unknown 1 0 0 1 1 0 1 -\n')
    expect(sim('shutdown', 'test').stdout).toBe("Domain 'test' is being shutdown\n\n")
    expect(sim('domstate', 'test').stdout).toBe('running\n\n')
    execFileSync('sleep', ['1.6'])
    expect(sim('domstate', 'test', '--reason').stdout).toBe('shut off (shutdown)\n\n')
    const log = execFileSync('cat', [join(host, 'u0', 'events.log')], { encoding: 'utf8' })
      .trim()
      .split('\n')
    expect(log).toHaveLength(2)
    for (const line of log) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event 'lifecycle' for domain 'test': /)
    expect(log.map(parseEventLine)).toEqual([
      { name: 'test', event: 'Shutdown', detail: 'Finished after guest request' },
      { name: 'test', event: 'Stopped', detail: 'Shutdown' },
    ])
  })

  it('a guest that ignores ACPI stays running; the agent answers guest-ping while it runs', () => {
    freshHost()
    writeFileSync(join(host, 'u0', 'g', TEST_UUID), 'test running unknown 1 0 0 1 0 1 1 -\n')
    expect(sim('qemu-agent-command', 'test', '{"execute":"guest-ping"}')).toMatchObject({ code: 0, stdout: '{"return":{}}\n\n' })
    expect(sim('shutdown', 'test').code).toBe(0)
    expect(sim('domstate', 'test').stdout).toBe('running\n\n')
  })

  it('refuses a URI the host does not serve, as virsh does', () => {
    freshHost()
    const r = spawnSync(SIM, ['-c', 'qemu:///nowhere', 'list'], { encoding: 'utf8', env: { ...process.env, VSIM_HOST: host } })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^error: failed to connect to the hypervisor/)
  })
})
