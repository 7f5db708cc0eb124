// Longest-first scheduling end to end on the in-memory fleet and the fake clock: a first shutdown records each guest's
// time in the journal, and the next one (same guests, fewer slots than guests) asks the longest first and ends sooner.
// `--check` prints the predicted window from the same records.

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Config } from '@oclif/core'
import type { RunDeps } from '../../../src/cli/assemble-run.js'
import type { VirtfleetCommand } from '../../../src/cli/base.js'
import Drain from '../../../src/commands/drain.js'
import Shutdown from '../../../src/commands/shutdown.js'
import { FakeClock } from '../../../src/core/clock.js'
import type { RunReport } from '../../../src/core/report.js'
import { FakeTransport } from '../../support/fake-fleet.js'

// libvirt-guests' verification delays on hv1; hv2 has one quick guest.
const DELAYS: Record<string, number> = { g1: 1500, g2: 3000, g3: 6000, g4: 2000 }

function fleet() {
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  const hv1 = transport.addHost('hv1')
  for (const [name, ms] of Object.entries(DELAYS)) hv1.addGuest({ name, shutdownDelayMs: ms })
  const hv2 = transport.addHost('hv2')
  hv2.addGuest({ name: 'db1', shutdownDelayMs: 1000 })
  const dir = mkdtempSync(join(tmpdir(), 'vf-lpt-'))
  const inventory = join(dir, 'hosts.ini')
  writeFileSync(inventory, '[rack1]\nhv1\nhv2\n')
  const sshConfig = join(dir, 'ssh_config')
  writeFileSync(sshConfig, '')
  const deps: RunDeps = { createTransport: () => transport, clock, interactive: false, trapSignals: false }
  const common = ['-i', inventory, '--ssh-config', sshConfig, '--state-dir', join(dir, 'state'), '--parallel', '2']
  /** Every guest running again, as after a start. */
  const restart = () => {
    for (const name of Object.keys(DELAYS)) hv1.guest(name).state = 'running'
    hv2.guest('db1').state = 'running'
    transport.log.length = 0
  }
  return { clock, transport, deps, common, restart }
}

type CommandClass = new (argv: string[], config: Config) => VirtfleetCommand

async function drive(
  argv: string[],
  f: ReturnType<typeof fleet>,
  Cmd: CommandClass = Shutdown,
): Promise<{ out: string; err: string; exitCode: number | undefined }> {
  const cmd = new Cmd(argv, await Config.load(import.meta.url))
  cmd.runDeps = f.deps
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true))
  try {
    await f.clock.runUntil((cmd as unknown as { _run(): Promise<unknown> })._run())
    return { out, err, exitCode: process.exitCode as number | undefined }
  } finally {
    vi.restoreAllMocks()
  }
}

const hv1Actions = (f: ReturnType<typeof fleet>) => f.transport.actions().filter((a) => a.startsWith('hv1 '))
const host = (r: RunReport, name: string) => r.hosts.find((h) => h.host === name)

beforeEach(() => {
  process.exitCode = undefined
})
afterEach(() => {
  process.exitCode = undefined
})

describe('shutdown --parallel 2 with a run history', { timeout: 30_000 }, () => {
  it('the second run asks the longest guest first and finishes hv1 in 6.5 s instead of 7.5 s, as predicted', async () => {
    const f = fleet()
    const first = JSON.parse((await drive([...f.common, '--json'], f)).out) as RunReport
    expect(hv1Actions(f)).toEqual(['hv1 shutdown g1', 'hv1 shutdown g2', 'hv1 shutdown g3', 'hv1 shutdown g4'])
    // No record yet: name order, g3 (6 s) waits for g1 (1.5 s): 7.5 s.
    expect(host(first, 'hv1')?.durationMs).toBe(7500)
    expect(host(first, 'hv1')?.predicted).toEqual({ durationMs: 60_000, withoutHistory: 4 })

    f.restart()
    const second = JSON.parse((await drive([...f.common, '--json'], f)).out) as RunReport
    expect(hv1Actions(f)).toEqual(['hv1 shutdown g3', 'hv1 shutdown g2', 'hv1 shutdown g4', 'hv1 shutdown g1'])
    expect(host(second, 'hv1')?.durationMs).toBe(6500)
    expect(host(second, 'hv1')?.predicted).toEqual({ durationMs: 6500, withoutHistory: 0 })
    expect(host(second, 'hv2')?.predicted).toEqual({ durationMs: 1000, withoutHistory: 0 })
    expect(second.predicted).toEqual({ durationMs: 6500 })
    expect(second.durationMs).toBeLessThan(first.durationMs)
  })

  it('--check prints each host and the fleet predicted, in the plain summary and in --json, with the queue in its order', async () => {
    const f = fleet()
    await drive(f.common, f)
    f.restart()
    const plain = await drive([...f.common, '--check'], f)
    expect(plain.exitCode).toBe(0)
    expect(plain.out).toContain('predicted: hv1 6.5s, hv2 1.0s; fleet 6.5s')
    expect(plain.out).not.toContain('without a recorded duration')
    const json = JSON.parse((await drive([...f.common, '--check', '--json'], f)).out) as RunReport
    expect(json.predicted).toEqual({ durationMs: 6500 })
    expect(host(json, 'hv1')?.predicted).toEqual({ durationMs: 6500, withoutHistory: 0 })
    expect(host(json, 'hv1')?.guests.map((g) => g.name)).toEqual(['g3', 'g2', 'g4', 'g1'])
    expect(f.transport.actions()).toEqual([])
  })

  it('--check without any earlier run counts every guest at the stated default and says so', async () => {
    const f = fleet()
    const r = await drive([...f.common, '--check'], f)
    expect(r.out).toContain('predicted: hv1 1m00s, hv2 30.0s; fleet 1m00s (5 guests without a recorded duration, counted as 30.0s each)')
  })

  it('an unreadable run file costs one warning, not the run', async () => {
    const f = fleet()
    await drive(f.common, f)
    const stateDir = f.common[f.common.indexOf('--state-dir') + 1] as string
    writeFileSync(join(stateDir, 'runs', '20991231T000000Z-ffffff.jsonl'), 'not json\n{}\n')
    f.restart()
    const r = await drive(f.common, f)
    expect(r.exitCode).toBe(0)
    expect(r.err).toMatch(/warning: run history: 1 unreadable run file\(s\) left out \(.*20991231T000000Z-ffffff\.jsonl:1:1: corrupt journal record/)
    expect(hv1Actions(f)[0]).toBe('hv1 shutdown g3')
  })

  it('a rolling run’s stop step (drain) orders its queue from the same records', async () => {
    const f = fleet()
    await drive(f.common, f)
    f.restart()
    const r = await drive(f.common, f, Drain)
    expect(r.exitCode).toBe(0)
    expect(hv1Actions(f)).toEqual(['hv1 shutdown g3', 'hv1 shutdown g2', 'hv1 shutdown g4', 'hv1 shutdown g1'])
  })
})
