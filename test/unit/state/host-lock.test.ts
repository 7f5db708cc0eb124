import { describe, expect, it } from 'vitest'
import { isStale, parseOwner } from '../../../src/state/host-lock.js'

describe('host lock owner', () => {
  it('reads the owner file written by a run', () => {
    const owner = { runId: 'r1', controlHost: 'ctl', pid: 42, since: '2026-11-25T00:00:00Z' }
    expect(parseOwner(JSON.stringify(owner))).toEqual(owner)
  })
  it.each([
    '',
    'null',
    '[]',
    '"x"',
    '{"runId":"r"}',
    '{"runId":"r","controlHost":"c","pid":0,"since":"s"}',
    '{"runId":"r","controlHost":"c","pid":-1,"since":"s"}',
  ])('an owner file %j is unreadable (never taken for a dead run of ours: pid 0 or -1 would signal process groups)', (text) => {
    expect(parseOwner(text)).toBeUndefined()
  })
  it('a lock of a gone process on this machine is stale; one from another machine is not', () => {
    const owner = { runId: 'r1', controlHost: 'ctl', pid: 42, since: 's' }
    expect(isStale(owner, 'ctl', () => false)).toBe(true)
    expect(isStale(owner, 'other', () => false)).toBe(false)
  })
})
