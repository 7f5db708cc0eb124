// Usage errors through the command classes (oclif's parser, then the shared catch): exit 64 whatever the mistake,
// and a fleet command's bad flag value under --json is one JSON error object with the same exit code as without.

import { run } from '@oclif/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { handleTopLevelError } from '../../../src/cli/base.js'
import Inventory from '../../../src/commands/inventory.js'
import Resume from '../../../src/commands/resume.js'
import Retry from '../../../src/commands/retry.js'
import Status from '../../../src/commands/status.js'

async function exitOf(run: Promise<unknown>): Promise<{ exit: number | undefined; out: string; err: string }> {
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true))
  try {
    await run
    return { exit: undefined, out, err }
  } catch (error) {
    return { exit: (error as { oclif?: { exit?: number } }).oclif?.exit, out, err }
  } finally {
    vi.restoreAllMocks()
  }
}

afterEach(() => {
  process.exitCode = undefined
})

describe('usage errors exit 64', { timeout: 30_000 }, () => {
  it('an unknown flag', async () => {
    const r = await exitOf(Inventory.run(['--nosuchflag'], import.meta.url))
    expect(r.exit).toBe(64)
    expect(r.err).toMatch(/^virtfleet: usage: Nonexistent flag: --nosuchflag\n/)
  })

  it('an extra argument', async () => {
    expect((await exitOf(Inventory.run(['-i', 'inventories/example.ini', 'extra'], import.meta.url))).exit).toBe(64)
  })

  it('a missing required argument', async () => {
    expect((await exitOf(Resume.run([], import.meta.url))).exit).toBe(64)
  })

  it('resume and retry accept --json and --output (they get as far as the journal) and check --output like the run commands', async () => {
    const state = ['--state-dir', '/nonexistent/virtfleet-state']
    for (const Cmd of [Resume, Retry]) {
      const plain = await exitOf(Cmd.run(['20261101T000000Z-abcdef', '--output', 'plain', ...state], import.meta.url))
      expect(plain.exit).toBe(64)
      expect(plain.err).toMatch(/no such run: 20261101T000000Z-abcdef/)
      const json = await exitOf(Cmd.run(['20261101T000000Z-abcdef', '--json', '--output', 'tree', ...state], import.meta.url))
      expect(JSON.parse(json.out)).toMatchObject({ error: { message: expect.stringMatching(/^no such run/), exitCode: 64 } })
      const bad = await exitOf(Cmd.run(['20261101T000000Z-abcdef', '--output', 'fancy', ...state], import.meta.url))
      expect(bad.exit).toBe(64)
      expect(bad.err).toMatch(/--output/)
    }
  })

  it('--forks 99999999999999999999 (not an internal error from deep in the engine)', async () => {
    const r = await exitOf(Status.run(['-i', 'inventories/example.ini', '--forks', '99999999999999999999'], import.meta.url))
    expect(r.exit).toBe(64)
    expect(r.err).toMatch(/--forks: Expected an integer less than or equal to 10000/)
  })

  it('an option value outside the allowed set, also under --json', async () => {
    const r = await exitOf(Status.run(['-i', 'inventories/example.ini', '--output', 'fancy', '--json'], import.meta.url))
    expect(r.exit).toBe(64)
    expect(JSON.parse(r.out)).toMatchObject({ error: { kind: 'usage', exitCode: 64 } })
  })
})

describe('input errors exit 4 in both output modes', { timeout: 30_000 }, () => {
  it('a bad --connect-timeout', async () => {
    const plain = await exitOf(Status.run(['-i', 'inventories/example.ini', '--connect-timeout', 'soon'], import.meta.url))
    const json = await exitOf(Status.run(['-i', 'inventories/example.ini', '--connect-timeout', 'soon', '--json'], import.meta.url))
    expect(plain.exit).toBe(4)
    expect(plain.out).toBe('')
    expect(json.exit).toBe(4)
    expect(JSON.parse(json.out)).toEqual({
      error: { message: '--connect-timeout: expected seconds or a duration like 90s, 5m, 1h30m; got "soon"', kind: 'input', exitCode: 4 },
    })
  })

  it('an unreadable --ssh-config', async () => {
    const r = await exitOf(Status.run(['-i', 'inventories/example.ini', '--ssh-config', '/nonexistent/ssh_config', '--json'], import.meta.url))
    expect(r.exit).toBe(4)
    expect(JSON.parse(r.out)).toMatchObject({ error: { kind: 'input', exitCode: 4, message: expect.stringMatching(/^--ssh-config: cannot read ssh config/) } })
  })
})

describe("errors raised before any command runs (oclif's command lookup)", { timeout: 30_000 }, () => {
  async function topLevel(argv: string[]): Promise<{ exit: number | undefined; out: string; err: string }> {
    let exit: number | undefined
    const r = await exitOf(
      run(argv, import.meta.url).catch(async (error: unknown) => {
        vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
          exit = code
          throw new Error('exited')
        }) as typeof process.exit)
        await handleTopLevelError(error, argv).catch(() => undefined)
      }),
    )
    return { ...r, exit }
  }

  it('an unknown command is a usage error (64), as JSON under --json', async () => {
    const plain = await topLevel(['nosuch'])
    expect(plain.exit).toBe(64)
    expect(plain.err).toBe('virtfleet: usage: unknown command: nosuch\nSee: virtfleet --help\n')
    const json = await topLevel(['nosuch', '--json'])
    expect(json.exit).toBe(64)
    expect(JSON.parse(json.out)).toEqual({ error: { message: 'unknown command: nosuch', kind: 'usage', exitCode: 64 } })
  })
})
