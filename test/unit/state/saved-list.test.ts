import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.js'
import {
  contentDigest,
  emptyList,
  formatLibvirtGuests,
  mergeEntries,
  parseSavedList,
  READ_SCRIPT,
  removeEntries,
  WRITE_CHANGED,
  WRITE_LOCK_BUSY,
  WRITE_SCRIPT,
} from '../../../src/state/saved-list.js'

const e = (uuid: string, uri = 'qemu:///system') => ({ uri, uuid, name: uuid, action: 'shutdown' as const, savedAt: 't', runId: 'r' })

describe('saved-guest list', () => {
  it('merge is a union that keeps the first entry', () => {
    const l = mergeEntries(mergeEntries(emptyList(), [e('a')]), [{ ...e('a'), runId: 'second' }, e('b')])
    expect(l.entries.map((x) => [x.uuid, x.runId])).toEqual([
      ['a', 'r'],
      ['b', 'r'],
    ])
  })
  it('removes by uri and uuid only', () => {
    const l = mergeEntries(emptyList(), [e('a'), e('a', 'qemu:///session')])
    expect(removeEntries(l, [{ uri: 'qemu:///system', uuid: 'a' }]).entries.map((x) => x.uri)).toEqual(['qemu:///session'])
  })
  it('refuses to overwrite a list it cannot read', () => {
    expect(() => parseSavedList('{oops', 'hv1:/var/lib/virtfleet/saved-guests.json')).toThrow(/refusing to overwrite/)
  })
  it("formats libvirt-guests' list file", () => {
    const l = mergeEntries(emptyList(), [e('a'), e('b'), e('c', 'qemu:///session')])
    expect(formatLibvirtGuests(l)).toBe('qemu:///system a b\nqemu:///session c\n')
  })
  it('the write script replaces atomically through a temp file in the same directory, and reads back', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vf-')), 'state dir $(x)')
    const file = join(dir, 'saved-guests.json')
    execFileSync('sh', ['-c', WRITE_SCRIPT, 'sh', dir, file], { input: 'one\n' })
    expect(readFileSync(file, 'utf8')).toBe('one\n')
    execFileSync('sh', ['-c', WRITE_SCRIPT, 'sh', dir, file], { input: 'two\n' })
    expect(execFileSync('sh', ['-c', READ_SCRIPT, 'sh', file], { encoding: 'utf8' })).toBe('two\n')
    expect(readdirSync(dir)).toEqual(['saved-guests.json'])
    execFileSync('sh', ['-c', WRITE_SCRIPT, 'sh', dir, file], { input: '' })
    expect(readdirSync(dir)).toEqual([])
    expect(execFileSync('sh', ['-c', READ_SCRIPT, 'sh', file], { encoding: 'utf8' })).toBe('')
    writeFileSync(file, 'keep')
  })
})

describe('saved-guest list validation', () => {
  const where = 'hv1:/var/lib/virtfleet/saved-guests.json'
  const uuid = '6695eb01-f6a4-8304-79aa-97f2502e193f'
  it.each([
    ['null', /saved-guest list is null, not an object/],
    ['[null]', /saved-guest list is an array, not an object/],
    ['{"version":1,"entries":[null]}', /entry 1 is null/],
    ['{"version":1,"entries":null}', /unknown format/],
    ['{"version":1,"entries":[{"uri":"qemu:///system","uuid":"x"}]}', /entry 1 has uuid "x", not a UUID/],
    ['{"version":1,"entries":[{"uri":"qemu:///system"}]}', /entry 1 has uuid undefined, not a UUID/],
    [`{"version":1,"entries":[{"uri":"","uuid":"${uuid}"}]}`, /entry 1 has no uri/],
    [`{"version":1,"entries":[{"uri":"qemu:///system","uuid":"${uuid}","action":"reboot"}]}`, /unknown action "reboot"/],
  ])('refuses %s with a typed error naming the file on the host', (text, why) => {
    let err: unknown
    try {
      parseSavedList(text, where)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputError)
    expect((err as InputError).file).toBe(where)
    expect((err as Error).message).toMatch(why)
    expect((err as Error).message).toMatch(/^hv1:\/var\/lib\/virtfleet\/saved-guests\.json: .*refusing to overwrite/)
  })
  it('accepts libvirt UUIDs in either case, and fills in optional fields', () => {
    expect(parseSavedList(`{"version":1,"entries":[{"uri":"test:///default","uuid":"${uuid.toUpperCase()}"}]}`, where).entries).toEqual([
      { uri: 'test:///default', uuid: uuid.toUpperCase(), name: uuid.toUpperCase(), action: 'shutdown', savedAt: '', runId: '' },
    ])
  })
})

describe('write script: lock and digest check', () => {
  const dir = () => join(mkdtempSync(join(tmpdir(), 'vf-')), 'd $(x)')
  const run = (args: string[], input: string) => spawnSync('sh', ['-c', WRITE_SCRIPT, 'sh', ...args], { input, encoding: 'utf8' })
  it('writes only while the file still has the digest it was read with, else prints what it is now', () => {
    const d = dir()
    const f = join(d, 'saved-guests.json')
    expect(run([d, f, d, '5', f, contentDigest('')], 'one\n').status).toBe(0)
    expect(readFileSync(f, 'utf8')).toBe('one\n')
    const stale = run([d, f, d, '5', f, contentDigest('')], 'two\n')
    expect(stale.status).toBe(WRITE_CHANGED)
    expect(stale.stdout).toBe('one\n')
    expect(readFileSync(f, 'utf8')).toBe('one\n')
    expect(run([d, f, d, '5', f, contentDigest('one\n')], 'two\n').status).toBe(0)
    expect(readFileSync(f, 'utf8')).toBe('two\n')
    expect(readdirSync(d)).toEqual(['saved-guests.json'])
  })
  it('waits a bounded time for the lock on the directory, then exits 75 with a message', () => {
    const d = dir()
    const f = join(d, 'saved-guests.json')
    mkdirSync(d, { recursive: true })
    const holder = spawn('flock', [d, 'sleep', '5'])
    try {
      execFileSync('sleep', ['0.3'])
      const t0 = Date.now()
      const r = run([d, f, d, '1', f, contentDigest('')], 'x\n')
      expect(r.status).toBe(WRITE_LOCK_BUSY)
      expect(r.stderr).toMatch(/could not lock .* within 1s \(another run is updating it\)/)
      expect(Date.now() - t0).toBeLessThan(4000)
      expect(readdirSync(d)).toEqual([])
    } finally {
      holder.kill()
    }
  })
})
