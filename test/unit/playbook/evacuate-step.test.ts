// The evacuate and return playbook steps: parsed with the flags' vocabulary and checks, in the generated schema,
// compiled to the engine's steps (a reboot after an evacuation asserts the host is empty first), and run through
// `virtfleet run` on the in-memory fleet: guests leave by live migration, the host reboots, they come home.

import fs, { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path, { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Config } from '@oclif/core'
import type { RunDeps } from '../../../src/cli/assemble-run.js'
import type { VirtfleetCommand } from '../../../src/cli/base.js'
import Run from '../../../src/commands/run.js'
import { FakeClock } from '../../../src/core/clock.js'
import { describeStep } from '../../../src/engine/steps/registry.js'
import { compilePlay } from '../../../src/playbook/compile.js'
import { PlaybookError, parsePlaybookText } from '../../../src/playbook/parse.js'
import { maintenancePath } from '../../../src/state/maintenance.js'
import { FakeTransport } from '../../support/fake-fleet.js'
import { validate } from './mini-json-schema.js'

const FILE = 'pb.yml'
const play = (steps: string) => `- name: t\n  hosts: hv1\n  steps:\n${steps}`
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas/playbook.schema.json'), 'utf8')) as Record<string, unknown>

function problems(text: string): string[] {
  try {
    parsePlaybookText(text, FILE)
  } catch (err) {
    expect(err).toBeInstanceOf(PlaybookError)
    return (err as PlaybookError).issues.map((i) => `${i.line}:${i.column}: ${i.message}`)
  }
  throw new Error('expected the playbook to be rejected')
}

const FULL = `    - evacuate:
        strategy: migrate
        to: rack2:!hv9
        memory_headroom: 15%
        vcpu_overcommit: 2
        migrations_per_host: 3
        incoming_per_host: 1
        bandwidth: 500
        migration_timeout: 5m
        on_timeout: suspend
        auto_converge: true
        copy_storage: true
        action: suspend
        fallback: [shutdown, destroy]
        timeout: 90s
        parallel: 2
    - reboot
    - return: { migrations_per_host: 1, postcopy: true }
    - start
`

describe('evacuate and return steps: parse', () => {
  it('reads every option to its typed field', () => {
    const steps = parsePlaybookText(play(FULL), FILE).plays[0]!.steps
    expect(steps[0]).toMatchObject({
      kind: 'evacuate',
      strategy: 'migrate',
      destinations: 'rack2:!hv9',
      headroom: 0.15,
      vcpuOvercommit: 2,
      migrationsPerHost: 3,
      incomingPerHost: 1,
      bandwidthMiBs: 500,
      timeoutMs: 300_000,
      onTimeout: 'suspend',
      autoConverge: true,
      copyStorage: true,
      action: 'suspend',
      fallback: ['shutdown', 'destroy'],
      stopTimeoutMs: 90_000,
      parallel: 2,
    })
    expect(steps[2]).toMatchObject({ kind: 'return', migrationsPerHost: 1, postcopy: true })
    expect(parsePlaybookText(play('    - evacuate\n    - return: { leave: true }\n'), FILE).plays[0]!.steps.map((s) => s.kind)).toEqual(['evacuate', 'return'])
  })

  it('bad values are reported at their position, with the same checks as the flags', () => {
    expect(problems(play('    - evacuate: { memory_headroom: 100% }\n'))).toEqual([
      '4:36: evacuate.memory_headroom: expected a percentage of memory to keep free, from 0% to below 100% (e.g. 10%), got "100%"',
    ])
    expect(problems(play('    - evacuate: { vcpu_overcommit: 0 }\n'))[0]).toMatch(/^4:36: evacuate.vcpu_overcommit: expected a number >= 0.1 and <= 64/)
    expect(problems(play('    - evacuate: { strategy: migrate-or-stp }\n'))[0]).toMatch(/did you mean "migrate-or-stop"/)
    expect(problems(play('    - return: { to: hv2 }\n'))[0]).toMatch(/^4:17: unknown key "to" in return options/)
  })
})

describe('evacuate and return steps: schema', () => {
  const pb = (steps: unknown[]) => [{ hosts: 'all', steps }]
  it('accepts what the parser accepts', () => {
    expect(validate(schema, pb(['evacuate', { evacuate: { memory_headroom: '15%', vcpu_overcommit: 1.5, strategy: 'stop' } }, 'return']))).toEqual([])
    expect(validate(schema, pb([{ evacuate: { memory_headroom: 20 } }, { return: { leave: true } }]))).toEqual([])
  })
  it('rejects what the parser rejects', () => {
    expect(validate(schema, pb([{ evacuate: { memory_headroom: '150%' } }]))).not.toEqual([])
    expect(validate(schema, pb([{ evacuate: { strategy: 'teleport' } }]))).not.toEqual([])
    expect(validate(schema, pb([{ evacuate: { vcpu_overcommit: 0 } }]))).not.toEqual([])
    expect(validate(schema, pb([{ return: { strategy: 'stop' } }]))).not.toEqual([])
  })
})

describe('evacuate and return steps: compile', () => {
  it('to the engine steps inside preflight + lock; a reboot after an evacuation asserts the host is empty first', () => {
    const c = compilePlay(parsePlaybookText(play(FULL), FILE).plays[0]!)
    expect(c.rolling.steps.map((s) => s.kind)).toEqual(['preflight', 'lock', 'evacuate', 'assert', 'reboot', 'return', 'start', 'unlock'])
    expect(c.rolling.steps[0]).toEqual({ kind: 'preflight', suspend: true })
    expect(c.rolling.steps[2]).toEqual({
      kind: 'evacuate',
      options: {
        strategy: 'migrate',
        destinations: 'rack2:!hv9',
        headroom: 0.15,
        vcpuOvercommit: 2,
        migrationsPerHost: 3,
        incomingPerHost: 1,
        bandwidthMiBs: 500,
        timeoutMs: 300_000,
        onTimeout: 'suspend',
        autoConverge: true,
        copyStorage: true,
        stop: { action: 'suspend', fallback: ['shutdown', 'destroy'], timeoutMs: 90_000, parallel: 2 },
      },
    })
    expect(c.rolling.steps[3]).toEqual({ kind: 'assert', guests: 'off', msg: 'host not empty, not rebooted' })
    expect(c.rolling.steps[5]).toEqual({ kind: 'return', options: { migrationsPerHost: 1, postcopy: true } })
    // --check prints the options as written.
    expect(describeStep(c.rolling.steps[2]!)).toBe(
      'strategy=migrate memory_headroom=15% vcpu_overcommit=2 migrations_per_host=3 incoming_per_host=1 bandwidth=500MiB/s migration_timeout=300s on_timeout=suspend auto_converge copy_storage fallback_action=suspend fallback_chain=shutdown,destroy fallback_timeout=90s',
    )
  })

  it('a reboot without an evacuation before it gets no extra assert', () => {
    const c = compilePlay(parsePlaybookText(play('    - shutdown\n    - reboot\n    - evacuate\n'), FILE).plays[0]!)
    expect(c.rolling.steps.map((s) => s.kind)).toEqual(['preflight', 'lock', 'stop', 'reboot', 'evacuate', 'unlock'])
  })
})

async function drive(argv: string[], deps: RunDeps, clock: FakeClock): Promise<{ out: string; exitCode: number | undefined; error?: unknown }> {
  const cmd = new Run(argv, await Config.load(import.meta.url)) as unknown as VirtfleetCommand
  cmd.runDeps = deps
  let out = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    await clock.runUntil((cmd as unknown as { _run(): Promise<unknown> })._run())
    return { out, exitCode: process.exitCode as number | undefined }
  } catch (error) {
    return { out, exitCode: process.exitCode as number | undefined, error }
  } finally {
    vi.restoreAllMocks()
  }
}

describe('evacuate and return steps: a run on the in-memory fleet', { timeout: 30_000 }, () => {
  beforeEach(() => {
    process.exitCode = undefined
  })
  afterEach(() => {
    process.exitCode = undefined
  })

  it('the play’s host is emptied by migration to a host outside the play (within to:), rebooted, and its guests come home', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    const [hv1, hv2, hv3] = ['hv1', 'hv2', 'hv3'].map((n) => transport.addHost(n))
    hv1!.addGuest({ name: 'web' })
    hv1!.addGuest({ name: 'api' })
    hv3!.availableKiB = 7 * 1024 * 1024 // most memory: would be picked if to: did not leave it out
    const dir = mkdtempSync(join(tmpdir(), 'vf-pb-evac-'))
    const inventory = join(dir, 'hosts.ini')
    writeFileSync(inventory, '[rack1]\nhv1\nhv2\nhv3\n[all:vars]\nansible_user=root\n')
    writeFileSync(join(dir, 'ssh_config'), '')
    const playbook = join(dir, 'evacuate.yml')
    writeFileSync(
      playbook,
      `- name: roll\n  hosts: hv1\n  steps:\n    - evacuate: { to: "rack1:!hv3", memory_headroom: 10% }\n    - reboot: { command: reboot }\n    - return\n    - start\n`,
    )
    const deps: RunDeps = { createTransport: () => transport, clock, interactive: false, trapSignals: false }
    const r = await drive([playbook, '-i', inventory, '--ssh-config', join(dir, 'ssh_config'), '--state-dir', join(dir, 'state'), '--json'], deps, clock)
    expect(r.error).toBeUndefined()
    expect(r.exitCode, r.out.slice(0, 3000)).toBe(0)
    expect(hv1!.reboots).toBe(1)
    const moves = transport.log.filter((x) => x.argv[3] === 'migrate').map((x) => `${x.host}→${x.argv.find((a) => a.startsWith('qemu+ssh://'))}`)
    expect(moves).toEqual([
      'hv1→qemu+ssh://root@hv2/system',
      'hv1→qemu+ssh://root@hv2/system',
      'hv2→qemu+ssh://root@hv1/system',
      'hv2→qemu+ssh://root@hv1/system',
    ])
    expect(transport.actions()).toEqual([])
    expect(hv1!.guests.map((g) => `${g.name} ${g.state}`).sort()).toEqual(['api running', 'web running'])
    expect(hv1!.files.has(maintenancePath())).toBe(false)
  })
})
