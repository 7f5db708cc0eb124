import { describe, expect, it } from 'vitest'
import { perHost } from '../../../src/inventory/per-host.js'
import type { HostSpec } from '../../../src/inventory/types.js'

describe('perHost', () => {
  it('parses a host once and keeps the result with that host object', () => {
    const calls: string[] = []
    const get = perHost((name, vars) => {
      calls.push(name)
      return { n: vars.n }
    })
    const a = { name: 'a', vars: { n: 1 } } as unknown as HostSpec
    const b = { name: 'b', vars: { n: 2 } } as unknown as HostSpec
    expect(get(a)).toEqual({ n: 1 })
    expect(get(a)).toBe(get(a))
    expect(get(b)).toEqual({ n: 2 })
    expect(calls).toEqual(['a', 'b'])
  })
  it('remembers a parse that returned undefined', () => {
    let n = 0
    const get = perHost(() => {
      n++
      return undefined
    })
    const a = { name: 'a', vars: {} } as unknown as HostSpec
    get(a)
    get(a)
    expect(n).toBe(1)
  })
})
