// Drives commands exactly as the CLI does (oclif parses argv, the command class maps flags, src/cli assembles the
// run, the base class maps errors) with the in-memory fleet as transport and a fake clock.

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Config } from '@oclif/core'
import type { RunDeps } from '../../../src/cli/assemble-run.js'
import type { VirtfleetCommand } from '../../../src/cli/base.js'
import Drain from '../../../src/commands/drain.js'
import Run from '../../../src/commands/run.js'
import Shutdown from '../../../src/commands/shutdown.js'
import Status from '../../../src/commands/status.js'
import { FakeClock } from '../../../src/core/clock.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { parseJournalText } from '../../../src/state/journal.js'
import { FakeTransport } from '../../support/fake-fleet.js'

interface Outcome {
  out: string
  err: string
  exitCode: number | undefined
  error?: Error & { oclif?: { exit?: number } }
}

function fleet() {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const hv1 = transport.addHost('hv1')
  hv1.addGuest({ name: 'web1', shutdownDelayMs: 1500 })
  hv1.addGuest({ name: 'web2', shutdownDelayMs: 800 })
  hv1.addGuest({ name: 'idle', state: 'shut off' })
  const hv2 = transport.addHost('hv2')
  hv2.addGuest({ name: 'db1', shutdownDelayMs: 2500 })
  const dir = mkdtempSync(join(tmpdir(), 'vf-cmd-'))
  const inventory = join(dir, 'hosts.ini')
  writeFileSync(inventory, '[rack1]\nhv1\nhv2\n')
  const sshConfig = join(dir, 'ssh_config')
  writeFileSync(sshConfig, '')
  const stateDir = join(dir, 'state')
  const deps: RunDeps = { createTransport: () => transport, clock, interactive: false, trapSignals: false }
  const common = ['-i', inventory, '--ssh-config', sshConfig, '--state-dir', stateDir]
  return { clock, transport, hv1, hv2, deps, common, stateDir }
}

/** Run a command class as `Command.run` does (oclif config, then `_run`: init, parse, run, catch), on the fake fleet. */
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

beforeEach(() => {
  process.exitCode = undefined
})
afterEach(() => {
  process.exitCode = undefined
})

describe('virtfleet shutdown, through the command class, on the in-memory fleet', { timeout: 30_000 }, () => {
  it('stops every running guest, leaves each host a saved list of exactly those guests, journals the run and exits 0', async () => {
    const f = fleet()
    const r = await drive(Shutdown, [...f.common, '--json'], f.deps, f.clock)
    expect(r.error).toBeUndefined()
    expect(r.exitCode).toBe(0)
    const saved = (host: typeof f.hv1) => JSON.parse(host.files.get(savedListPath()) ?? '{}') as { entries: Array<{ name: string }> }
    expect(
      saved(f.hv1)
        .entries.map((e) => e.name)
        .sort(),
    ).toEqual(['web1', 'web2'])
    expect(saved(f.hv2).entries.map((e) => e.name)).toEqual(['db1'])
    expect(f.transport.actions().sort()).toEqual(['hv1 shutdown web1', 'hv1 shutdown web2', 'hv2 shutdown db1'])
    const report = JSON.parse(r.out) as { command: string; exitCode: number; hosts: Array<{ host: string; status: string }> }
    expect(report.command).toBe('shutdown')
    expect(report.hosts.map((h) => [h.host, h.status])).toEqual([
      ['hv1', 'ok'],
      ['hv2', 'ok'],
    ])
    const [file] = readdirSync(join(f.stateDir, 'runs'))
    const { records } = parseJournalText(readFileSync(join(f.stateDir, 'runs', file as string), 'utf8'))
    expect(records[0]).toMatchObject({ type: 'run', command: 'shutdown', hosts: ['hv1', 'hv2'] })
    // The run's times come from the injected clock, not the machine's.
    expect(records.at(-1)).toMatchObject({ type: 'end', exitCode: 0, at: expect.stringMatching(/^2026-01-01T/) })
  })

  it('--limit narrows the run, and a guest that ignores ACPI with no fallback is a partial failure (exit 2)', async () => {
    const f = fleet()
    f.hv2.guest('db1').shutdownDelayMs = 'ignore'
    const r = await drive(Shutdown, [...f.common, '--limit', 'hv2', '--timeout', '3s'], f.deps, f.clock)
    expect(r.exitCode).toBe(2)
    expect(f.transport.actions()).toEqual(['hv2 shutdown db1'])
    expect(f.hv1.files.size).toBe(0)
    // The guest stays listed: a later start brings it back.
    expect(f.hv2.files.get(savedListPath())).toContain('db1')
  })

  it('--keepalive and --connect-timeout reach the SSH transport (default 2 s × 3, as documented)', async () => {
    const seen: unknown[] = []
    for (const extra of [[], ['--keepalive', '5s,1', '--connect-timeout', '20s'], ['--keepalive', '0']]) {
      const f = fleet()
      const deps: RunDeps = { ...f.deps, createTransport: (o) => (seen.push(o), f.transport) }
      const r = await drive(Status, [...f.common, '--json', ...extra], deps, f.clock)
      expect(r.exitCode ?? 0).toBe(0)
    }
    expect(seen.map((o) => o as Record<string, unknown>).map((o) => [o.readyTimeoutMs, o.keepaliveIntervalMs, o.keepaliveCountMax])).toEqual([
      [10_000, 2_000, 3],
      [20_000, 5_000, 1],
      [10_000, 0, 3],
    ])
  })

  it('--check changes nothing and writes no journal', async () => {
    const f = fleet()
    const r = await drive(Shutdown, [...f.common, '--check'], f.deps, f.clock)
    expect(r.exitCode).toBe(0)
    expect(f.transport.actions()).toEqual([])
    expect(f.hv1.files.size).toBe(0)
    expect(existsSync(join(f.stateDir, 'runs'))).toBe(false)
  })

  it('a bad flag value is an input error (exit 4) before any host is contacted, as one JSON object under --json', async () => {
    const f = fleet()
    const r = await drive(Shutdown, [...f.common, '--timeout', 'soon', '--json'], f.deps, f.clock)
    expect(r.error?.oclif?.exit).toBe(4)
    expect(JSON.parse(r.out)).toEqual({
      error: { message: '--timeout: expected seconds or a duration like 90s, 5m, 1h30m; got "soon"', kind: 'input', exitCode: 4 },
    })
    expect(f.transport.log).toEqual([])
  })
})

describe('virtfleet status, through the command class', { timeout: 30_000 }, () => {
  it('lists the guests of exactly the hosts named by --only-host (exact names, never a pattern)', async () => {
    const f = fleet()
    const r = await drive(Status, [...f.common, '--only-host', 'hv2'], f.deps, f.clock)
    expect(r.exitCode).toBe(0)
    expect(r.out).toMatch(/hv2 +db1 +running/)
    expect(r.out).not.toMatch(/hv1/)
  })

  it('a host name that is a pattern matches no inventory host: usage error 64, nothing contacted', async () => {
    const f = fleet()
    const r = await drive(Status, [...f.common, '--only-host', 'hv2,all'], f.deps, f.clock)
    expect(r.error?.oclif?.exit).toBe(64)
    expect(r.err).toMatch(/no hosts matched hosts "hv2,all"/)
    expect(f.transport.log).toEqual([])
  })
})

describe('virtfleet drain (a rolling run), through the command class', { timeout: 30_000 }, () => {
  it('stops the guests host by host, journals each host step durably, and exits 0', async () => {
    const f = fleet()
    const r = await drive(Drain, [...f.common, '--serial', '1'], f.deps, f.clock)
    expect(r.error).toBeUndefined()
    expect(r.exitCode).toBe(0)
    expect(f.transport.actions().sort()).toEqual(['hv1 shutdown web1', 'hv1 shutdown web2', 'hv2 shutdown db1'])
    const [file] = readdirSync(join(f.stateDir, 'runs'))
    const { records } = parseJournalText(readFileSync(join(f.stateDir, 'runs', file as string), 'utf8'))
    const steps = records.flatMap((x) => (x.type === 'step' && x.status === 'ok' ? [`${x.host}/${x.step}`] : []))
    // (Step names are the rolling engine's; what matters here is that each host's stop step is on record.)
    expect(steps.filter((x) => /^hv[12]\/stop/.test(x)).map((x) => x.split('/')[0])).toEqual(['hv1', 'hv2'])
    expect(records.at(-1)).toMatchObject({ type: 'end', exitCode: 0 })
  })
})

describe('virtfleet run PLAYBOOK, through the command class', { timeout: 30_000 }, () => {
  it('--limit a,b narrows the play to both hosts (a subset of the play, not "pattern:&a,b")', async () => {
    const f = fleet()
    f.transport.addHost('hv3').addGuest({ name: 'other' })
    const dir = mkdtempSync(join(tmpdir(), 'vf-pb-'))
    const inventory = join(dir, 'hosts.ini')
    writeFileSync(inventory, '[rack1]\nhv1\nhv2\nhv3\n')
    const playbook = join(dir, 'stop.yml')
    writeFileSync(playbook, '- name: stop\n  hosts: rack1\n  steps:\n    - shutdown: {}\n')
    const argv = [playbook, ...f.common, '-i', inventory, '--limit', 'hv1,hv2', '--yes']
    const r = await drive(Run, argv, f.deps, f.clock)
    expect(r.error).toBeUndefined()
    expect(r.exitCode).toBe(0)
    expect(f.transport.actions().sort()).toEqual(['hv1 shutdown web1', 'hv1 shutdown web2', 'hv2 shutdown db1'])
  })
})
