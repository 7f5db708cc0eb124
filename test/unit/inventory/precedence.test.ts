import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultInventoryPaths, hostGroups, loadInventory, mergedHostVars } from '../../../src/inventory/index.js'
import { parse, tree } from './helpers.js'

const value = (inv: ReturnType<typeof parse>, host: string, key: string): unknown => mergedHostVars(inv, host).get(key)?.value

describe('vars precedence', () => {
  const inv = parse([
    'p.ini',
    `[parent]
h1
h2 v=host

[parent:children]
child

[child]
h1

[all:vars]
v=all
only_all=a

[parent:vars]
v=parent

[child:vars]
v=child
`,
  ])
  it('all < parent group < child group < host', () => {
    expect(value(inv, 'h1', 'v')).toBe('child')
    expect(value(inv, 'h2', 'v')).toBe('host')
    expect(value(inv, 'h1', 'only_all')).toBe('a')
  })
  it('a child group beats its parent even when the parent is declared later and sorts after it', () => {
    const i = parse(['q.ini', '[a_child]\nh\n\n[z_parent:children]\na_child\n\n[z_parent:vars]\nv=parent\n\n[a_child:vars]\nv=child\n'])
    expect(value(i, 'h', 'v')).toBe('child')
  })
  it('depth is the longest path from all', () => {
    const i = parse(['d.ini', '[a:children]\nb\nc\n[b:children]\nc\n[c]\nh\n[a]\n[b]\n'])
    expect(hostGroups(i, 'h').map((g) => `${g.name}:${g.depth}`)).toEqual(['all:0', 'a:1', 'b:2', 'c:3'])
  })
  it('groups of the same depth merge in name order (the last name wins)', () => {
    const i = parse(['n.ini', '[beta]\nh\n[alpha]\nh\n[alpha:vars]\nv=alpha\n[beta:vars]\nv=beta\n'])
    expect(value(i, 'h', 'v')).toBe('beta')
  })
  it('ansible_group_priority reorders groups of the same depth (higher wins)', () => {
    const i = parse(['n.ini', '[beta]\nh\n[alpha]\nh\n[alpha:vars]\nv=alpha\nansible_group_priority=10\n[beta:vars]\nv=beta\n'])
    expect(value(i, 'h', 'v')).toBe('alpha')
  })
  it('priority does not beat depth', () => {
    const i = parse(['n.ini', '[p:children]\nc\n[c]\nh\n[p:vars]\nv=p\nansible_group_priority=99\n[c:vars]\nv=c\n'])
    expect(value(i, 'h', 'v')).toBe('c')
  })
})

describe('several inventory sources', () => {
  it('later sources override vars at the same level and merge hosts and groups', () => {
    const inv = parse(
      ['one.yml', 'all:\n  vars: { v: one, keep: 1 }\n  children:\n    web:\n      hosts: { w1: { hv: one } }\n'],
      ['two.ini', '[web]\nw1 hv=two\nw2\n[db]\nd1\n[all:vars]\nv=two\n'],
    )
    expect([...inv.hosts.keys()]).toEqual(['w1', 'w2', 'd1'])
    expect(value(inv, 'w1', 'v')).toBe('two')
    expect(value(inv, 'w1', 'keep')).toBe(1)
    expect(value(inv, 'w1', 'hv')).toBe('two')
    expect(inv.groups.get('web')?.hosts).toEqual(['w1', 'w2'])
  })
  it('a later source does not beat a more specific level of an earlier one', () => {
    const inv = parse(['one.ini', '[web]\nw1 v=host\n'], ['two.ini', '[web:vars]\nv=group\n'])
    expect(value(inv, 'w1', 'v')).toBe('host')
  })
})

describe('group_vars and host_vars', () => {
  const root = tree({
    'inv/hosts.ini': '[web]\nw1 v=inline\nw2\n[web:vars]\ng=inventory\n[all:vars]\na=inventory\n',
    'inv/group_vars/all.yml': 'a: group_vars_all\nfrom_all: yes\n',
    'inv/group_vars/web/10-first.yml': 'g: first\nnested: { x: 1 }\n',
    'inv/group_vars/web/20-second.yaml': 'g: second\n',
    'inv/group_vars/unknown.yml': 'ignored: true\n',
    'inv/host_vars/w1': 'v: host_vars\n',
    'inv/host_vars/w2.yml': '',
  })
  it('are read beside an inventory file; files in a group folder merge in name order', async () => {
    const inv = await loadInventory([path.join(root, 'inv/hosts.ini')])
    expect(value(inv, 'w1', 'g')).toBe('second')
    expect(value(inv, 'w1', 'nested')).toEqual({ x: 1 })
    expect(value(inv, 'w1', 'a')).toBe('group_vars_all')
    expect(value(inv, 'w1', 'from_all')).toBe(true)
  })
  it('host_vars beat inventory host vars', async () => {
    const inv = await loadInventory([path.join(root, 'inv/hosts.ini')])
    expect(value(inv, 'w1', 'v')).toBe('host_vars')
    expect(mergedHostVars(inv, 'w1').get('v')?.origin).toEqual({ file: path.join(root, 'inv/host_vars/w1'), line: 1, column: 4 })
  })
  it('are read inside an inventory folder, which loads every inventory file in name order', async () => {
    const dir = tree({
      '10-base.yml': 'all:\n  children:\n    web:\n      hosts: { w1: , w2: }\n',
      '20-override': '[web:vars]\nv=override\n',
      'README.md': 'not an inventory',
      'group_vars/web.yml': 'gv: 1\n',
    })
    const inv = await loadInventory([dir])
    expect(inv.sources.map((s) => path.basename(s))).toEqual(['10-base.yml', '20-override'])
    expect(value(inv, 'w2', 'v')).toBe('override')
    expect(value(inv, 'w2', 'gv')).toBe(1)
  })
  it('apply to groups defined by any source, and a later folder overrides an earlier one', async () => {
    const a = tree({ 'hosts.ini': '[web]\nw1\n', 'group_vars/web.yml': 'v: a\nonly_a: 1\n' })
    const b = tree({ 'more.ini': '[db]\nd1\n', 'group_vars/web.yml': 'v: b\n' })
    const inv = await loadInventory([a, b])
    expect(value(inv, 'w1', 'v')).toBe('b')
    expect(value(inv, 'w1', 'only_a')).toBe(1)
  })
})

describe('defaultInventoryPaths', () => {
  it('uses VIRTFLEET_INVENTORY (comma-separated), else ./inventory', () => {
    expect(defaultInventoryPaths({ VIRTFLEET_INVENTORY: 'a.yml, b/ ,' })).toEqual(['a.yml', 'b/'])
    expect(defaultInventoryPaths({})).toEqual(['inventory'])
  })
})
