// Regression tests for hostile inventories and patterns (issue 9): each case is the minimal input that once
// crashed, hung or blew up, and must now be a typed InputError (or a bounded result) quickly.

import { execFileSync } from 'node:child_process'
import { truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadInventory, resolveHosts, selectHosts } from '../../../src/inventory/index.js'
import { renderGraph } from '../../../src/inventory/present.js'
import { inputError, inputErrorAsync, parse, tree } from './helpers.js'

// Bounds are loose: the suite runs on shared, loaded machines; the failures they catch took tens of seconds or forever.
const quick = <T>(fn: () => T, ms = 5000): T => {
  const t = performance.now()
  const out = fn()
  expect(performance.now() - t).toBeLessThan(ms)
  return out
}

describe('YAML aliases and anchors', () => {
  it('an alias bomb is refused with a typed error, without expanding it', () => {
    const levels = ['b', 'c', 'd', 'e', 'f', 'g', 'h'].map(
      (k, i, a) =>
        `    ${k}: &${k} [${Array(10)
          .fill(`*${i === 0 ? 'a' : a[i - 1]}`)
          .join(',')}]`,
    )
    const text = `all:\n  vars:\n    a: &a [x,x,x,x,x,x,x,x,x,x]\n${levels.join('\n')}\n`
    expect(quick(() => inputError(() => parse(['a.yml', text])))).toMatch(/^a\.yml:8:\d+: YAML aliases copy more than 1000000 nodes/)
  })
  it('an unresolved alias names the missing anchor', () => {
    expect(inputError(() => parse(['a.yml', 'all:\n  vars:\n    x: *nope\n']))).toBe('a.yml:3:8: YAML alias *nope has no anchor &nope before it')
  })
  it('children that contain their own anchor are refused (stack overflow before)', () => {
    expect(inputError(() => parse(['a.yml', 'all:\n  children: &c\n    a:\n      children: *c\n']))).toMatch(
      /^a\.yml:4:17: YAML alias \*c refers to its own anchor/,
    )
  })
  it('a merge key naming its own mapping is refused', () => {
    expect(inputError(() => parse(['a.yml', 'all:\n  vars: &v\n    <<: *v\n']))).toMatch(/refers to its own anchor/)
  })
})

describe('YAML size and nesting', () => {
  it('a large malformed YAML file is refused at its first error quickly (110 s before)', () => {
    expect(quick(() => inputError(() => parse(['a.yml', ']'.repeat(582_000)])))).toMatch(/^a\.yml:1:1: YAML syntax error/)
  })
  it('duplicate keys are found in linear time', () => {
    expect(quick(() => inputError(() => parse(['a.yml', 'a:\n'.repeat(20_000)])), 10_000)).toBe('a.yml:2:1: YAML syntax error: Map keys must be unique')
  })
  it('deeply nested flow collections are refused before the parser recurses', () => {
    expect(quick(() => inputError(() => parse(['a.yml', `all:\n  vars:\n    x: ${'['.repeat(100_000)}\n`])))).toMatch(
      /^a\.yml:3:\d+: YAML nested deeper than 256 levels/,
    )
  })
  it('deeply indented blocks are refused', () => {
    const text = Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')
    expect(quick(() => inputError(() => parse(['a.yml', text])))).toMatch(/YAML indented more than 512 columns/)
  })
})

describe('groups', () => {
  it('a cycle of three groups is a typed error naming the cycle', () => {
    expect(inputError(() => parse(['r.ini', '[a:children]\nb\n[b:children]\nc\n[c:children]\na\n']))).toMatch(
      /is its own ancestor: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/,
    )
  })
  it('a chain of 20000 nested groups resolves without recursion (stack overflow before)', () => {
    let text = '[g0]\nh1\n'
    for (let i = 1; i < 20_000; i++) text += `[g${i}:children]\ng${i - 1}\n`
    const inv = quick(() => parse(['c.ini', text]), 8000)
    expect(inv.groups.get('g0')?.depth).toBe(20_000)
    const [h] = resolveHosts(inv, selectHosts(inv, 'g19999'))
    expect(h?.groups.length).toBe(20_001)
  })
  it('--graph of a DAG whose tree would explode lists each group once', () => {
    let text = '[g0]\nh1\n[g1]\nh2\n'
    for (let i = 2; i < 26; i++) text += `[g${i}:children]\ng${i - 1}\ng${i - 2}\n`
    const inv = parse(['d.ini', text])
    const out = quick(() => renderGraph(inv))
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^# the group tree would print more than 100000 lines/)
    expect(lines.length).toBeLessThan(200)
    expect(lines.filter((l) => l === '@g25:')).toHaveLength(1)
    expect(out).toContain('@g0:\n  |--h1')
  })
  it('--graph of a small tree is unchanged (a tree, not the list)', () => {
    const inv = parse(['s.ini', '[a]\nh1\n[b:children]\na\n'])
    expect(renderGraph(inv)).toBe(['@all:', '  |--@b:', '  |  |--@a:', '  |  |  |--h1', '  |--@ungrouped:'].join('\n'))
  })
})

describe('host ranges', () => {
  it('an 18-byte range line expanding to 10^8 hosts is refused before expanding', () => {
    expect(quick(() => inputError(() => parse(['r.ini', 'hv[0:99999999]\n'])))).toBe(
      'r.ini:1:1: host range "hv[0:99999999]" expands to more than 100000 hosts (the most one inventory may hold)',
    )
  })
  it('ranges that multiply out are counted together', () => {
    expect(quick(() => inputError(() => parse(['r.ini', 'hv[0:999][0:999]\n'])))).toMatch(/expands to more than 100000 hosts/)
  })
  it('an inventory of more than 100000 hosts is refused', () => {
    expect(quick(() => inputError(() => parse(['r.ini', 'a[0:60000]\nb[0:60000]\n'])), 20_000)).toMatch(/^r\.ini:2:1: more than 100000 hosts in the inventory/)
  })
})

describe('inventory files', () => {
  it('-i /dev/zero is refused as a device, not read', async () => {
    expect(await inputErrorAsync(() => loadInventory(['/dev/zero']))).toBe('/dev/zero: inventory file must be a regular file, this is a device')
  })
  it('a FIFO as inventory is refused at once (hung before)', async () => {
    const dir = tree({})
    const fifo = path.join(dir, 'inv')
    execFileSync('mkfifo', [fifo])
    expect(await inputErrorAsync(() => loadInventory([fifo]))).toBe(`${fifo}: inventory file must be a regular file, this is a FIFO`)
  })
  it('a FIFO as a group_vars file is refused at once', async () => {
    const dir = tree({ 'hosts.ini': '[web]\nh1\n', 'group_vars/.keep': '' })
    execFileSync('mkfifo', [path.join(dir, 'group_vars/web.yml')])
    expect(await inputErrorAsync(() => loadInventory([dir]))).toMatch(/group_vars\/web\.yml: group_vars file must be a regular file, this is a FIFO$/)
  })
  it('a file over 16 MiB is refused with the limit in the message', async () => {
    const dir = tree({})
    const big = path.join(dir, 'big.ini')
    writeFileSync(big, '')
    truncateSync(big, 16 * 1024 * 1024 + 1)
    expect(await inputErrorAsync(() => loadInventory([big]))).toMatch(/inventory file is too large \(16777217 bytes; at most 16777216 bytes are read\)/)
  })
})

describe('host patterns', () => {
  const inv = parse(['p.ini', `[web]\n${'a'.repeat(40)}\nweb1\n`])
  it('an invalid glob class like [z-a] is a typed error (SyntaxError before)', () => {
    expect(inputError(() => selectHosts(inv, '[z-a]'))).toMatch(/^invalid host pattern "\[z-a\]": bad glob: .*invalid character class range/)
  })
  it('~(a*)*b does not backtrack', () => {
    expect(quick(() => selectHosts(inv, '~(a*)*b'), 1000)).toEqual([])
  })
  it('a glob with many stars does not backtrack', () => {
    expect(quick(() => selectHosts(inv, `${'*a'.repeat(20)}*b`), 1000)).toEqual([])
  })
  it('unsupported regex syntax is a typed error naming the pattern', () => {
    expect(inputError(() => selectHosts(inv, '~(?<=a)b'))).toMatch(
      /^invalid host pattern "~\(\?<=a\)b": bad regular expression \(\?<=a\)b: .*lookaround and backreferences are not supported/,
    )
    expect(inputError(() => selectHosts(inv, '~(a)\\1'))).toMatch(/bad regular expression/)
  })
  it('regexes keep matching at the start only', () => {
    expect(selectHosts(inv, '~web1')).toEqual(['web1'])
    expect(selectHosts(inv, '~eb1')).toEqual([])
  })
  it('@file with 100000 lines works (stack overflow before) and more terms are refused', () => {
    const dir = tree({ ok: 'web1\n'.repeat(100_000), big: 'web1\n'.repeat(100_001) })
    expect(quick(() => selectHosts(inv, `@${path.join(dir, 'ok')}`))).toEqual(['web1'])
    expect(inputError(() => selectHosts(inv, `@${path.join(dir, 'big')}`))).toMatch(/has more than 100000 terms/)
  })
  it('@/dev/zero is refused as a device', () => {
    expect(inputError(() => selectHosts(inv, '@/dev/zero'))).toBe('/dev/zero: host pattern file must be a regular file, this is a device')
  })
})
