import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.js'
import { loadInventory, resolveHost } from '../../../src/inventory/index.js'
import { inputError, inputErrorAsync, parse, tree } from './helpers.js'

describe('inventory errors name the file, line and column', () => {
  it('YAML syntax error', () => {
    expect(inputError(() => parse(['a.yml', 'all:\n  hosts:\n    hv1:\n  vars:\n    x: [1, 2\n']))).toBe(
      'c.yml:6:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'.replace('c.yml', 'a.yml'),
    )
  })
  it('YAML syntax error in an extension-less file that looks like YAML', () => {
    expect(inputError(() => parse(['hosts', 'all:\n  hosts\n    h:\n']))).toBe('hosts:2:3: YAML syntax error: Implicit keys need to be on a single line')
  })
  it('hosts: given as a list instead of a mapping', () => {
    expect(inputError(() => parse(['b.yml', 'all:\n  hosts:\n    - hv1\n    - hv2\n']))).toBe(
      'b.yml:3:5: "hosts" of group "all" (host name → vars) must be a mapping, got a list',
    )
  })
  it('the error carries file, line and column as fields', () => {
    try {
      parse(['b.yml', 'all:\n  hosts:\n    - hv1\n'])
    } catch (err) {
      expect(err).toBeInstanceOf(InputError)
      expect(err).toMatchObject({ file: 'b.yml', line: 3, column: 5 })
    }
  })
  it('unknown key in an Ansible YAML group', () => {
    expect(inputError(() => parse(['e.yml', 'all:\n  hots:\n    h:\n']))).toBe('e.yml:2:3: unknown key "hots" in group "all": expected hosts, vars or children')
  })
  it('unknown top-level key in the virtfleet format', () => {
    expect(inputError(() => parse(['g.yml', 'virtfleet: 1\nhost:\n  h:\n']))).toBe(
      'g.yml:2:1: unknown top-level key "host": expected one of virtfleet, vars, hosts, groups',
    )
  })
  it('wrong format version in the virtfleet format', () => {
    expect(inputError(() => parse(['v.yml', 'virtfleet: 2\n']))).toBe('v.yml:1:12: unsupported inventory format version 2: expected "virtfleet: 1"')
  })
  it('a child group that does not exist (virtfleet format)', () => {
    expect(inputError(() => parse(['f.yml', 'virtfleet: 1\nhosts:\n  h:\ngroups:\n  g:\n    hosts: [h]\n    children: [nope]\n']))).toBe(
      'f.yml:7:16: group "g" has child "nope", which is not a group defined under "groups:"',
    )
  })
  it('a group host that was not declared (virtfleet format)', () => {
    expect(inputError(() => parse(['u.yml', 'virtfleet: 1\nhosts:\n  h1:\ngroups:\n  g:\n    hosts: [h1, h2]\n']))).toBe(
      'u.yml:6:17: group "g" lists host "h2", which is not declared under the top-level "hosts:"',
    )
  })
  it('a child group that does not exist (INI)', () => {
    expect(inputError(() => parse(['c.ini', '[g]\nh\n\n[g:children]\n  nope\n']))).toBe('c.ini:5:3: section [g:children] includes undefined group "nope"')
  })
  it('a group that is its own ancestor', () => {
    expect(inputError(() => parse(['r.ini', '[a:children]\nb\n[b:children]\na\n']))).toMatch(/is its own ancestor: (a -> b -> a|b -> a -> b)/)
  })
  it('bad ranges', () => {
    expect(inputError(() => parse(['h.ini', '[g]\n  h[1:x]\n']))).toMatch(
      /^h\.ini:2:3: bad host range in "h\[1:x\]": bounds must be two numbers or two single letters/,
    )
    expect(inputError(() => parse(['h.yml', 'all:\n  hosts:\n    h[01:3]:\n']))).toMatch(/^h\.yml:3:5: bad host range .*same number of digits/)
    expect(inputError(() => parse(['h.ini', 'h[5:1]\n']))).toMatch(/^h\.ini:1:1: .*begin must be <= end/)
  })
  it('INI: bad section header and a host var without =', () => {
    expect(inputError(() => parse(['i.ini', '[g\nh\n']))).toMatch(/^i\.ini:1:1: invalid section header/)
    expect(inputError(() => parse(['i.ini', '[g]\nh1 a=1 oops\n']))).toBe('i.ini:2:8: expected key=value host variable after host "h1", got "oops"')
    expect(inputError(() => parse(['i.ini', '[g:vars]\njust words\n']))).toMatch(/^i\.ini:2:1: expected key=value in \[g:vars\]/)
    expect(inputError(() => parse(['i.ini', '[g:weird]\n']))).toMatch(/^i\.ini:1:1: section \[g:weird\] has unknown type/)
  })
  it('bad var value in INI, reported when the host is resolved', () => {
    const inv = parse(['x.ini', '[g]\nh1   ansible_port=abc\n'])
    expect(inputError(() => resolveHost(inv, 'h1'))).toBe('x.ini:2:6: host h1: ansible_port: expected a port number (1-65535), got "abc"')
  })
  it('bad var value in an INI [group:vars] section points at the line', () => {
    const inv = parse(['x.ini', '[g]\nh1\n[g:vars]\nparallel=0\n'])
    // [group:vars] values are Python literals, as in Ansible: `parallel=0` is the number 0.
    expect(inputError(() => resolveHost(inv, 'h1'))).toBe('x.ini:4:1: host h1: parallel: expected an integer >= 1, got 0')
  })
  it('bad var value in YAML points at the value', () => {
    const inv = parse(['y.yml', 'all:\n  vars:\n    action: reboot\n  hosts:\n    h1:\n'])
    expect(inputError(() => resolveHost(inv, 'h1'))).toBe('y.yml:3:13: host h1: action: expected one of shutdown, suspend, destroy, got "reboot"')
  })
  it('YAML errors in group_vars files and missing inventory paths', async () => {
    const dir = tree({ 'hosts.ini': '[web]\nw1\n', 'group_vars/web.yml': 'a: 1\n b: 2\n' })
    expect(await inputErrorAsync(() => loadInventory([dir]))).toMatch(new RegExp(`^${path.join(dir, 'group_vars/web.yml')}:1:4: YAML syntax error`))
    const dir2 = tree({ 'hosts.ini': '[web]\nw1\n', 'group_vars/web.yml': '- a\n' })
    expect(await inputErrorAsync(() => loadInventory([dir2]))).toBe(
      `${path.join(dir2, 'group_vars/web.yml')}:1:1: a group_vars file must be a mapping of var names to values, got a list`,
    )
    expect(await inputErrorAsync(() => loadInventory(['/nonexistent/inventory']))).toMatch(/^inventory not found: \/nonexistent\/inventory/)
  })
})
