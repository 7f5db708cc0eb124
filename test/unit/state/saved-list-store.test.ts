// SavedListStore against the real scripts, run by a local shell (the same argv the SSH transport would send), so
// the lock and the digest check are exercised for real; and against scripted failures.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError, RemoteError } from '../../../src/core/errors.js'
import type { ExecOptions, ExecResult, HostSession } from '../../../src/ssh/transport.js'
import { mergeEntries, removeEntries, SavedListBusyError, SavedListStore, savedListPath, WRITE_SCRIPT, type SavedEntry } from '../../../src/state/saved-list.js'

/** A "host" that is this machine: each exec is a new process, as each SSH exec is. */
function localSession(host = 'local'): HostSession {
  return {
    host,
    exec: (argv: readonly string[], o: ExecOptions = {}) =>
      new Promise<ExecResult>((resolve, reject) => {
        const p = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        p.on('error', reject)
        p.stdin.on('error', () => {})
        p.on('close', (code) => resolve({ code, stdout, stderr }))
        p.stdin.end(o.stdin ?? '')
      }),
    stream: () => {
      throw new Error('not used')
    },
    onClose: () => {},
    close: async () => {},
  }
}

/** A session that answers WRITE_SCRIPT with `write` and runs everything else locally. */
function scriptedSession(write: (argv: readonly string[]) => ExecResult): HostSession & { writes: number } {
  const local = localSession('hv1')
  const s = {
    ...local,
    writes: 0,
    exec: async (argv: readonly string[], o?: ExecOptions) => {
      if (argv[2] !== WRITE_SCRIPT) return local.exec(argv, o)
      s.writes++
      return write(argv)
    },
  }
  return s
}

let n = 0
const entry = (name: string): SavedEntry => ({
  uri: 'qemu:///system',
  uuid: `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`,
  name,
  action: 'shutdown',
  savedAt: 't',
  runId: 'r',
})
const stateDir = () => join(mkdtempSync(join(tmpdir(), 'vf-store-')), 'state dir $(x)')
const names = (dir: string) => (JSON.parse(readFileSync(savedListPath(dir), 'utf8')) as { entries: SavedEntry[] }).entries.map((e) => e.name).sort()

describe('SavedListStore, concurrent writers on one host', () => {
  it('8 stores that all read the same list and then add one entry each lose none', async () => {
    const dir = stateDir()
    const stores = Array.from({ length: 8 }, () => new SavedListStore(localSession(), dir, false))
    await Promise.all(stores.map((s) => s.read()))
    const added = stores.map((_, i) => entry(`g${i}`))
    await Promise.all(stores.map((s, i) => s.update((l) => mergeEntries(l, [added[i] as SavedEntry]))))
    expect(names(dir)).toEqual(added.map((e) => e.name).sort())
  }, 60_000)

  it('a removal computed from a stale list does not bring back what another run added', async () => {
    const dir = stateDir()
    const a = new SavedListStore(localSession(), dir, false)
    const b = new SavedListStore(localSession(), dir, false)
    const [x, y] = [entry('x'), entry('y')]
    await a.update((l) => mergeEntries(l, [x]))
    await b.read()
    await a.update((l) => mergeEntries(l, [y]))
    await b.update((l) => removeEntries(l, [x]))
    expect(names(dir)).toEqual(['y'])
  }, 30_000)

  it('the libvirt-guests mirror follows the list it was made from', async () => {
    const dir = stateDir()
    const store = new SavedListStore(localSession(), dir, true)
    const mirror: string[] = []
    const s = scriptedSession((argv) => {
      mirror.push(argv[5] as string)
      return { code: 0, stdout: '', stderr: '' }
    })
    await new SavedListStore(s, dir, true).update((l) => mergeEntries(l, [entry('m')]))
    expect(mirror).toEqual([savedListPath(dir), '/var/lib/libvirt/libvirt-guests'])
    expect(store.path).toBe(savedListPath(dir))
  })

  it('changes asked for while a write is in flight go together in the next write, each caller seeing its change written', async () => {
    const dir = stateDir()
    const local = localSession('hv1')
    const written: string[][] = []
    const s: HostSession = {
      ...local,
      exec: async (argv, o) => {
        if (argv[2] === WRITE_SCRIPT) written.push((JSON.parse(o?.stdin ?? '{"entries":[]}') as { entries: SavedEntry[] }).entries.map((e) => e.name))
        return local.exec(argv, o)
      },
    }
    const store = new SavedListStore(s, dir, false)
    const [a, b, c] = [entry('a'), entry('b'), entry('c')]
    const first = store.update((l) => mergeEntries(l, [a]))
    while (written.length === 0) await new Promise((r) => setImmediate(r))
    const later = [b, c].map((e) => store.update((l) => mergeEntries(l, [e])))
    const lists = await Promise.all([first, ...later])
    expect(written).toEqual([['a'], ['a', 'b', 'c']])
    expect(lists.map((l) => l.entries.map((e) => e.name))).toEqual([['a'], ['a', 'b', 'c'], ['a', 'b', 'c']])
    expect(names(dir)).toEqual(['a', 'b', 'c'])
  }, 30_000)

  it('when a write of several changes fails, each change is tried on its own and fails or succeeds by itself', async () => {
    const dir = stateDir()
    const local = localSession('hv1')
    let writes = 0
    const s: HostSession = {
      ...local,
      exec: async (argv, o) => {
        if (argv[2] === WRITE_SCRIPT && ++writes === 1) return { code: 1, stdout: '', stderr: 'No space left on device\n' }
        return local.exec(argv, o)
      },
    }
    const store = new SavedListStore(s, dir, false)
    const [a, b, c, d] = [entry('a'), entry('b'), entry('c'), entry('d')]
    // the disk refuses the write of a+b+c once: each is then written alone
    const together = await Promise.allSettled([a, b, c].map((e) => store.update((l) => mergeEntries(l, [e]))))
    expect(together.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    expect(writes).toBe(4)
    // a change that throws fails alone; the one that came with it is still written
    const bad = () => {
      throw new Error('this change cannot be applied')
    }
    const mixed = await Promise.allSettled([store.update((l) => mergeEntries(l, [d])), store.update(bad)])
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
    expect((mixed[1] as PromiseRejectedResult).reason).toEqual(new Error('this change cannot be applied'))
    expect(writes).toBe(5)
    expect(names(dir)).toEqual(['a', 'b', 'c', 'd'])
  }, 30_000)

  it('gives up with a typed error naming the list when other runs keep changing it', async () => {
    const s = scriptedSession(() => ({ code: 76, stdout: '', stderr: '' }))
    const store = new SavedListStore(s, '/srv/vf', false, { maxAttempts: 3 })
    const err = await store.update((l) => mergeEntries(l, [entry('z')])).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SavedListBusyError)
    expect((err as Error).message).toBe(
      'hv1:/srv/vf/saved-guests.json: saved-guest list not updated: other runs changed it 3 times in a row; nothing was changed, try again',
    )
    expect(s.writes).toBe(3)
  })

  it('a lock held too long is a typed error, not a hang', async () => {
    const s = scriptedSession(() => ({ code: 75, stdout: '', stderr: 'could not lock' }))
    const err = await new SavedListStore(s, '/srv/vf', false, { waitSeconds: 2 }).update((l) => l).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SavedListBusyError)
    expect((err as Error).message).toMatch(/the list stayed locked for 2s by another run/)
  })

  it('a failed write is a short message: host, file and the last words of stderr, never the script', async () => {
    const s = scriptedSession(() => ({
      code: 1,
      stdout: '',
      stderr: "mv: cannot move '/srv/vf/.virtfleet.Ab' to '/srv/vf/saved-guests.json': Read-only file system\n",
    }))
    const err = await new SavedListStore(s, '/srv/vf', false).update((l) => l).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as Error).message).toBe(
      "hv1: could not write /srv/vf/saved-guests.json: mv: cannot move '/srv/vf/.virtfleet.Ab' to '/srv/vf/saved-guests.json': Read-only file system (exit 1)",
    )
    expect((err as Error).message).not.toContain('set -eu')
  })

  it('a list that another run replaced with something unreadable is refused, not overwritten', async () => {
    const dir = stateDir()
    const store = new SavedListStore(localSession(), dir, false)
    await store.update((l) => mergeEntries(l, [entry('a')]))
    writeFileSync(savedListPath(dir), 'null\n')
    await expect(store.update((l) => mergeEntries(l, [entry('b')]))).rejects.toBeInstanceOf(InputError)
    expect(readFileSync(savedListPath(dir), 'utf8')).toBe('null\n')
  }, 30_000)
})
