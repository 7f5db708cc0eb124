import { describe, expect, it } from 'vitest'
import { keepaliveFlag } from '../../../src/cli/flags.js'
import { UsageError } from '../../../src/core/errors.js'

describe('--keepalive INTERVAL[,COUNT]', () => {
  it('reads an interval (any duration form) and an optional count (3 when left out); 0 disables', () => {
    expect(keepaliveFlag(undefined)).toBeUndefined()
    expect(keepaliveFlag('2s,3')).toEqual({ keepaliveIntervalMs: 2000, keepaliveCountMax: 3 })
    expect(keepaliveFlag('10s')).toEqual({ keepaliveIntervalMs: 10_000, keepaliveCountMax: 3 })
    expect(keepaliveFlag('1m,0')).toEqual({ keepaliveIntervalMs: 60_000, keepaliveCountMax: 0 })
    expect(keepaliveFlag(' 15 ,5 ')).toEqual({ keepaliveIntervalMs: 15_000, keepaliveCountMax: 5 })
    expect(keepaliveFlag('0')).toEqual({ keepaliveIntervalMs: 0, keepaliveCountMax: 3 })
  })

  it('refuses what it cannot mean, naming the flag', () => {
    for (const bad of ['', ',3', '2s,', '2s,x', '2s,3,4', '2s,-1', '2s,1001', 'soon', '-2s', '0.05']) {
      expect(() => keepaliveFlag(bad), bad).toThrow(/--keepalive/)
    }
    expect(() => keepaliveFlag('2s,x')).toThrow(UsageError)
  })
})
