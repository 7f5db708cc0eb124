import { describe, expect, it } from 'vitest'
import { detectFormat, groupHosts, loadInventory, resolveHost, selectHosts } from '../../../src/inventory/index.js'
import { expandHostPattern } from '../../../src/inventory/hostnames.js'
import { iniHostValue } from '../../../src/inventory/ini-values.js'
import { parse } from './helpers.js'

const at = { file: 't' }

describe('host ranges', () => {
  it('expands zero-padded numeric ranges keeping the width', () => {
    expect(expandHostPattern('hv[01:03]', at).hosts).toEqual(['hv01', 'hv02', 'hv03'])
  })
  it('expands a numeric range with a step', () => {
    expect(expandHostPattern('hv[01:07:3]', at).hosts).toEqual(['hv01', 'hv04', 'hv07'])
  })
  it('expands letter ranges and several ranges in one name', () => {
    expect(expandHostPattern('db-[a:c]', at).hosts).toEqual(['db-a', 'db-b', 'db-c'])
    expect(expandHostPattern('r[1:2]-[a:b]', at).hosts).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b'])
  })
  it('splits a port off, also after a range, and leaves bare IPv6 addresses alone', () => {
    expect(expandHostPattern('hv[1:2]:2222', at)).toEqual({ hosts: ['hv1', 'hv2'], port: 2222 })
    expect(expandHostPattern('[2001:db8::1]:2200', at)).toEqual({ hosts: ['2001:db8::1'], port: 2200 })
    expect(expandHostPattern('fe80::1', at)).toEqual({ hosts: ['fe80::1'], port: undefined })
  })
})

describe('Ansible YAML inventory', () => {
  const inv = parse([
    'a.yml',
    `all:
  hosts:
    solo:
  vars: { x: 1 }
  children:
    web:
      hosts:
        web[1:2]:2222:
          role: front
      children:
        canary:
          hosts:
            web2:
other:
  hosts:
    hv9:
`,
  ])
  it('reads hosts, ports from host:port, ranges, nested children and extra top-level groups', () => {
    expect([...inv.hosts.keys()]).toEqual(['solo', 'web1', 'web2', 'hv9'])
    expect(inv.hosts.get('web1')?.vars.get('ansible_port')?.value).toBe(2222)
    expect(inv.groups.get('web')?.children).toEqual(['canary'])
    expect(groupHosts(inv, 'web')).toEqual(['web1', 'web2'])
    expect(groupHosts(inv, 'other')).toEqual(['hv9'])
  })
  it('puts hosts listed only under all: in ungrouped', () => {
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['solo'])
  })
  it('reads yes/no as booleans, like Ansible (YAML 1.1)', () => {
    const i = parse(['b.yml', 'all:\n  hosts:\n    h:\n      ansible_become: yes\n'])
    expect(i.hosts.get('h')?.vars.get('ansible_become')?.value).toBe(true)
  })
  it('accepts an empty file and empty groups', () => {
    expect(parse(['e.yml', '']).hosts.size).toBe(0)
    expect(parse(['e.yml', 'all:\n  children:\n    empty:\n']).groups.has('empty')).toBe(true)
  })
})

describe('Ansible INI inventory', () => {
  const inv = parse([
    'hosts.ini',
    `# comment
; another comment
lonely ansible_port=2200

[web]
web[01:02]:2222 role=front weight=3 ratio=0.5 on=True off=False name="two words"
db-[a:b] list="[1, 'x']"   # comment after vars

[web:vars]
port_str=2222
flag=True

[all:children]
web
`,
  ])
  it('reads hosts before any section as ungrouped, and ranges with ports', () => {
    expect([...inv.hosts.keys()]).toEqual(['lonely', 'web01', 'web02', 'db-a', 'db-b'])
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['lonely'])
    expect(inv.hosts.get('web02')?.vars.get('ansible_port')?.value).toBe(2222)
  })
  it('parses host-line values as Python literals', () => {
    const v = (h: string, k: string): unknown => inv.hosts.get(h)?.vars.get(k)?.value
    expect(v('web01', 'weight')).toBe(3)
    expect(v('web01', 'ratio')).toBe(0.5)
    expect(v('web01', 'on')).toBe(true)
    expect(v('web01', 'off')).toBe(false)
    expect(v('web01', 'role')).toBe('front')
    expect(v('web01', 'name')).toBe('two words')
    expect(v('db-a', 'list')).toEqual([1, 'x'])
  })
  it('parses [group:vars] values as Python literals too, as ansible-core 2.14 does (was: kept as strings)', () => {
    expect(inv.groups.get('web')?.vars.get('port_str')?.value).toBe(2222)
    expect(inv.groups.get('web')?.vars.get('flag')?.value).toBe(true)
  })
  it('unquotes [group:vars] values and keeps non-literals as written', () => {
    const g = parse(['v.ini', '[g]\nh\n[g:vars]\nfoo="bar baz"\nn=5\nargs=-o UserKnownHostsFile=/k\ncmt=5 # note\n']).groups.get('g')?.vars
    expect(g?.get('foo')?.value).toBe('bar baz')
    expect(g?.get('n')?.value).toBe(5)
    expect(g?.get('args')?.value).toBe('-o UserKnownHostsFile=/k')
    expect(g?.get('cmt')?.value).toBe(5)
  })
  it('a bracketed IPv6 host line is a host, not a section header', () => {
    const i = parse(['v6.ini', '[v6]\n[2001:db8::1]:2206\n'])
    expect(i.groups.get('v6')?.hosts).toEqual(['2001:db8::1'])
    expect(i.hosts.get('2001:db8::1')?.vars.get('ansible_port')?.value).toBe(2206)
  })
  it('treats ; after a host line as a literal, not a comment, but # as a comment', () => {
    // Ansible splits host lines with shlex(comments=True): only # starts a comment there.
    expect(() => parse(['x.ini', '[g]\nh a=1 ; b\n'])).toThrow(/expected key=value/)
    expect(inv.hosts.get('db-a')?.vars.has('comment')).toBe(false)
  })
  it('python literal values: leading zeros stay strings, true (lower case) stays a string', () => {
    expect(iniHostValue('0022')).toBe('0022')
    expect(iniHostValue('true')).toBe('true')
    expect(iniHostValue('-5')).toBe(-5)
    expect(iniHostValue("{'a': 1}")).toEqual({ a: 1 })
  })
  it('resolves children declared before the child group section', () => {
    const i = parse(['c.ini', '[parent:children]\nchild\n\n[child]\nh1\n'])
    expect(groupHosts(i, 'parent')).toEqual(['h1'])
  })
  it('reads a plain list of host names (extension-less file) as INI', () => {
    const i = parse(['hosts', 'hv1\nhv2\n'])
    expect([...i.hosts.keys()]).toEqual(['hv1', 'hv2'])
  })
})

describe('virtfleet inventory format', () => {
  it('reads vars, hosts (with ranges) and groups with children', () => {
    const inv = parse([
      'own.yml',
      `virtfleet: 1
vars: { user: ops }
hosts:
  hv[01:03]:
  lone: { port: 2200 }
groups:
  rack:
    hosts: ['hv[01:02]']
    children: [gpu]
    vars: { parallel: 3 }
  gpu:
    hosts: [hv03]
`,
    ])
    expect([...inv.hosts.keys()]).toEqual(['hv01', 'hv02', 'hv03', 'lone'])
    expect(groupHosts(inv, 'rack')).toEqual(['hv01', 'hv02', 'hv03'])
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['lone'])
    expect(resolveHost(inv, 'hv03').parallel).toBe(3)
    expect(resolveHost(inv, 'lone').port).toBe(2200)
  })
})

describe('format detection', () => {
  it('detects by content, not by name', () => {
    expect(detectFormat('x', '[g]\nh1\n').format).toBe('ini')
    expect(detectFormat('x', 'all:\n  hosts:\n    h1:\n').format).toBe('ansible-yaml')
    expect(detectFormat('x', 'virtfleet: 1\n').format).toBe('virtfleet')
    expect(detectFormat('x.yml', '[g]\nh1\n').format).toBe('ini')
    expect(detectFormat('x', 'h1\nh2 a=1\n').format).toBe('ini')
  })
})

describe('the three example inventories', () => {
  it('resolve to the same hosts', async () => {
    const strip = (path: string) =>
      loadInventory([path]).then((inv) =>
        selectHosts(inv).map((n) => {
          const { vars: _vars, explicit: _explicit, ...spec } = resolveHost(inv, n, { user: 'nobody' })
          return spec
        }),
      )
    const own = await strip('inventories/example.yml')
    expect(own).toHaveLength(3)
    expect(await strip('inventories/example.ini')).toEqual(own)
    expect(await strip('inventories/example-ansible.yml')).toEqual(own)
    expect(own[2]).toMatchObject({ name: 'hv03', action: 'suspend', parallel: 2, jump: ['ops@bastion.example.net:22'], groups: ['all', 'rack1', 'gpu'] })
  })
})
