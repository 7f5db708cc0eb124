import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyList, formatLibvirtGuests, mergeEntries, parseSavedList, READ_SCRIPT, removeEntries, WRITE_SCRIPT } from '../../../src/state/saved-list.js'

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
