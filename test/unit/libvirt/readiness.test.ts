// Readiness probes: the spec parser, and each probe's remote snippet run by a real shell against a stand-in
// `virsh` (the snippets' awk/sed must read what virsh 9 prints; the lab e2e runs them against the real one).
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.js'
import { parseDescriptionTags } from '../../../src/libvirt/describe.js'
import { parseReadyPoll, parseReadyProbe, readyPollArgv, readyProbeArgv } from '../../../src/libvirt/readiness.js'
import { quoteCommand } from '../../../src/ssh/quote.js'

const UUID = '0a1b2c3d-0000-4000-8000-000000000001'

describe('parseReadyProbe', () => {
  it.each([
    ['none', { kind: 'none' }],
    ['agent', { kind: 'agent' }],
    ['tcp:22', { kind: 'tcp', port: 22 }],
    ['tcp:8080@lease', { kind: 'tcp', port: 8080, source: 'lease' }],
    ['console:login:', { kind: 'console', text: 'login:' }],
    ['command:test -e /run/ok', { kind: 'command', command: 'test -e /run/ok' }],
  ])('reads %j', (text, probe) => {
    expect(parseReadyProbe(text, '--ready')).toEqual(probe)
  })
  it.each(['tcp:', 'tcp:0', 'tcp:70000', 'tcp:22@dhcp', 'console:', 'command: ', 'ping', 'agent:1'])(
    'refuses %j with a typed error naming its origin',
    (text) => {
      expect(() => parseReadyProbe(text, '--ready')).toThrow(InputError)
      expect(() => parseReadyProbe(text, '--ready')).toThrow(/--ready/)
    },
  )
  it('reads a probe from a guest description tag', () => {
    expect(parseDescriptionTags('db primary virtfleet:order=1 virtfleet:ready=tcp:5432').ready).toBe('tcp:5432')
  })
})

// A stand-in virsh on PATH: dumpxml prints a serial console to a file; domifaddr prints one address per source.
const dir = mkdtempSync(join(tmpdir(), 'vf-ready-'))
const consoleLog = join(dir, 'console.log')
writeFileSync(
  join(dir, 'virsh'),
  `#!/bin/sh
case "$*" in
  *dumpxml*) printf "<domain>\\n  <devices>\\n    <serial type='file'>\\n      <source path='${consoleLog}' append='off'/>\\n    </serial>\\n  </devices>\\n</domain>\\n" ;;
  *"domifaddr"*"--source lease"*) printf ' Name       MAC address          Protocol     Address\\n-------------------------------------------------------------------------------\\n vnet0      52:54:00:aa:bb:cc    ipv4         127.0.0.1/8\\n' ;;
  *domifaddr*) echo "error: Guest agent is not responding" >&2; exit 1 ;;
  *) exit 1 ;;
esac
`,
)
chmodSync(join(dir, 'virsh'), 0o755)
const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` }
const runProbe = (argv: string[]) => spawnSync('sh', ['-c', quoteCommand(argv)], { env, encoding: 'utf8', timeout: 10_000 }).status

describe('probe snippets, run by a real shell', () => {
  const servers: net.Server[] = []
  afterAll(() => servers.forEach((s) => s.close()))

  it('console: ready once the serial log holds the text, and a hostile text is data', () => {
    const probe = parseReadyProbe('console:LAB-AGENT-READY', '--ready')
    writeFileSync(consoleLog, 'booting\n')
    expect(runProbe(readyProbeArgv(probe, 'qemu:///system', UUID, 'g1') as string[])).toBe(1)
    writeFileSync(consoleLog, 'booting\nLAB-AGENT-READY uptime=3.2\n')
    expect(runProbe(readyProbeArgv(probe, 'qemu:///system', UUID, 'g1') as string[])).toBe(0)
    const hostile = parseReadyProbe("console:$(touch pwned)'", '--ready')
    expect(runProbe(readyProbeArgv(hostile, 'qemu:///system', UUID, 'g1') as string[])).toBe(1)
    expect(execFileSync('ls', [process.cwd()], { encoding: 'utf8' })).not.toMatch(/pwned/)
  })

  it('tcp: ready when an address virsh reports accepts a connection; not ready when nothing listens', async () => {
    const server = net.createServer((s) => s.end())
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    expect(runProbe(readyProbeArgv(parseReadyProbe(`tcp:${port}`, '--ready'), 'qemu:///system', UUID, 'g1') as string[])).toBe(0)
    await new Promise<void>((r) => server.close(() => r()))
    expect(runProbe(readyProbeArgv(parseReadyProbe(`tcp:${port}`, '--ready'), 'qemu:///system', UUID, 'g1') as string[])).toBe(1)
    // only the agent source asked: the stand-in has no address there
    expect(runProbe(readyProbeArgv(parseReadyProbe(`tcp:${port}@agent`, '--ready'), 'qemu:///system', UUID, 'g1') as string[])).toBe(1)
  })

  it('command: runs on the host with the guest passed as data in the environment', () => {
    const probe = parseReadyProbe(`command:test "$VIRTFLEET_GUEST" = '$(x)'`, '--ready')
    expect(runProbe(readyProbeArgv(probe, 'qemu:///system', UUID, '$(x)') as string[])).toBe(0)
  })

  it('agent: asks virsh for a guest-ping with a short agent timeout', () => {
    expect(readyProbeArgv({ kind: 'agent' }, 'qemu:///system', UUID, 'g1')).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'qemu-agent-command',
      UUID,
      '--timeout',
      '2',
      '{"execute":"guest-ping"}',
    ])
  })

  it('refuses a guest that is not addressed by UUID', () => {
    expect(() => readyProbeArgv({ kind: 'agent' }, 'qemu:///system', 'g1', 'g1')).toThrow(/UUID/)
  })
})

describe('the host-side poll, run by a real shell', () => {
  const poll = (passes: number, intervalMs: number, probes: Array<{ id: number; argv: string[] }>) => {
    const t0 = Date.now()
    const r = spawnSync('sh', ['-c', quoteCommand(readyPollArgv(passes, intervalMs, probes))], { env, encoding: 'utf8', timeout: 20_000 })
    return { code: r.status, ...parseReadyPoll(r.stdout), ms: Date.now() - t0, stdout: r.stdout }
  }

  it('reports the probes that pass on the first pass, and stops there', () => {
    const r = poll(10, 100, [
      { id: 0, argv: ['true'] },
      { id: 1, argv: ['sh', '-c', 'echo "not yet" >&2; exit 1'] },
    ])
    expect(r.code).toBe(0)
    expect([...r.ready]).toEqual([0])
    expect(r.passes).toBe(1)
  })

  it('passes again every interval on the host until one succeeds', () => {
    const flag = join(dir, 'flag-late')
    // the probe succeeds once a background job, started by the first pass, has created the flag 0.35 s later
    const r = poll(50, 100, [{ id: 7, argv: ['sh', '-c', `[ -e ${flag} ] || { (sleep 0.35; touch ${flag}) & exit 1; }`] }])
    expect(r.code).toBe(0)
    expect([...r.ready]).toEqual([7])
    expect(r.passes).toBeGreaterThanOrEqual(3)
    expect(r.passes).toBeLessThanOrEqual(8)
  })

  it("gives up after its passes with each probe's last stderr line; hostile values stay data", () => {
    const marker = join(dir, 'pwned')
    const r = poll(3, 50, [
      { id: 2, argv: ['sh', '-c', 'echo first >&2; echo "$1 is down" >&2; exit 1', 'x', `$(touch ${marker})`] },
      { id: 3, argv: ['false'] },
    ])
    expect(r.code).toBe(1)
    expect(r.ready.size).toBe(0)
    expect(r.passes).toBe(3)
    expect(r.errors.get(2)).toBe(`$(touch ${marker}) is down`)
    expect(r.errors.get(3)).toBe('')
    expect(spawnSync('test', ['-e', marker]).status).toBe(1)
  })

  it('runs the probes of one pass side by side, not one after another', () => {
    const probes = [0, 1, 2, 3].map((id) => ({ id, argv: ['sh', '-c', 'sleep 0.4; exit 1'] }))
    const r = poll(1, 100, probes)
    expect(r.code).toBe(1)
    expect(r.ms).toBeLessThan(1500)
  })
})
