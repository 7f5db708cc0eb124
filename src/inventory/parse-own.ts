// virtfleet's own inventory format: flat, explicit, and strict (every key is checked, every reference must
// exist), so a typo fails loudly instead of silently dropping a host or a var. Read as YAML 1.1.
//
//   virtfleet: 1              # required marker and format version
//   vars:                     # level 'all': vars for every host
//     user: ops
//   hosts:                    # every host, declared once: name (ranges like hv[01:20] allowed) → vars or nothing
//     hv01: { address: 10.0.0.11 }
//     hv[02:03]:
//   groups:                   # name → { hosts: [host names], children: [group names], vars: {} }, all optional
//     rack1:
//       hosts: [hv01, 'hv[02:03]']
//       children: [gpu]
//       vars: { parallel: 4 }
//     gpu:
//       hosts: [hv03]
//
// Rules: top-level keys are only virtfleet/vars/hosts/groups; group keys only hosts/children/vars; a group's
// hosts must be declared under `hosts:` (in this file or an earlier inventory source); children must be groups
// defined in this file or an earlier source; `all` and `ungrouped` are implicit (use top-level `vars:` for
// all). Hosts listed in no group land in `ungrouped`. Vars precedence is Ansible's: all < parent group < child
// group < host. Ports go in the `port` var (no `name:port` syntax here).

import { isMap, isSeq, type Node } from 'yaml'
import { InputError } from '../core/errors.js'
import { expandHostRange } from './hostnames.js'
import { RESERVED_GROUPS, type InventoryBuilder, type Origin } from './model.js'
import { describeNode, deref, expectMap, keyText, originAt, readVars, type YamlSource } from './yaml-util.js'

export const OWN_FORMAT_VERSION = 1
const TOP_KEYS = ['virtfleet', 'vars', 'hosts', 'groups']
const GROUP_KEYS = ['hosts', 'children', 'vars']

export function isOwnFormat(src: YamlSource): boolean {
  const top = deref(src, src.doc.contents)
  return isMap(top) && top.has('virtfleet')
}

export function parseOwnInventory(src: YamlSource, b: InventoryBuilder): void {
  const top = deref(src, src.doc.contents)
  if (!isMap(top)) throw new InputError(`expected a mapping with virtfleet/vars/hosts/groups, got ${describeNode(top)}`, originAt(src, top))
  for (const pair of top.items) {
    const key = keyText(src, pair)
    if (!TOP_KEYS.includes(key)) {
      throw new InputError(`unknown top-level key "${key}": expected one of ${TOP_KEYS.join(', ')}`, originAt(src, pair.key))
    }
  }
  const version = deref(src, top.get('virtfleet', true))
  const versionValue = version ? (version as Node).toJS(src.doc) : null
  if (versionValue !== OWN_FORMAT_VERSION) {
    throw new InputError(
      `unsupported inventory format version ${JSON.stringify(versionValue)}: expected "virtfleet: ${OWN_FORMAT_VERSION}"`,
      originAt(src, version ?? top),
    )
  }

  for (const v of readVars(src, expectMap(src, top.get('vars', true), '"vars" (vars for all hosts)'))) {
    b.setGroupVar('all', v.key, v.value, v.origin)
  }

  const hosts = expectMap(src, top.get('hosts', true), '"hosts" (host name → vars)')
  for (const pair of hosts?.items ?? []) {
    const pattern = keyText(src, pair)
    const at = originAt(src, pair.key)
    const hostVars = readVars(src, expectMap(src, pair.value, `vars of host "${pattern}"`, pair.key))
    for (const h of expandHostRange(pattern, at)) {
      b.addHost(h, undefined, at)
      for (const v of hostVars) b.setHostVar(h, v.key, v.value, v.origin)
    }
  }

  const groups = expectMap(src, top.get('groups', true), '"groups" (group name → {hosts, children, vars})')
  const pendingChildren: Array<{ parent: string; child: string; at: Origin }> = []
  for (const pair of groups?.items ?? []) {
    const name = keyText(src, pair)
    const at = originAt(src, pair.key)
    if ((RESERVED_GROUPS as readonly string[]).includes(name)) {
      throw new InputError(`group "${name}" is implicit and cannot be defined here; put vars for every host in the top-level "vars:"`, at)
    }
    b.addGroup(name, at)
    const g = expectMap(src, pair.value, `group "${name}"`, pair.key)
    if (!g) continue
    for (const gp of g.items) {
      const key = keyText(src, gp)
      if (!GROUP_KEYS.includes(key)) {
        throw new InputError(`unknown key "${key}" in group "${name}": expected hosts, children or vars`, originAt(src, gp.key))
      }
    }
    for (const v of readVars(src, expectMap(src, g.get('vars', true), `"vars" of group "${name}"`))) b.setGroupVar(name, v.key, v.value, v.origin)
    for (const item of nameList(src, g.get('hosts', true), `"hosts" of group "${name}"`)) {
      for (const h of expandHostRange(item.name, item.at)) {
        if (!b.hasHost(h)) throw new InputError(`group "${name}" lists host "${h}", which is not declared under the top-level "hosts:"`, item.at)
        b.addHost(h, name, item.at)
      }
    }
    for (const item of nameList(src, g.get('children', true), `"children" of group "${name}"`)) {
      pendingChildren.push({ parent: name, child: item.name, at: item.at })
    }
  }
  for (const { parent, child, at } of pendingChildren) {
    if (!b.hasGroup(child) || (RESERVED_GROUPS as readonly string[]).includes(child)) {
      throw new InputError(`group "${parent}" has child "${child}", which is not a group defined under "groups:"`, at)
    }
    b.addChild(parent, child, at)
  }
}

function nameList(src: YamlSource, node: unknown, what: string): Array<{ name: string; at: Origin }> {
  const n = deref(src, node)
  if (n === null) return []
  if (!isSeq(n)) throw new InputError(`${what} must be a list of names, got ${describeNode(n)}`, originAt(src, n))
  return n.items.map((item) => {
    const v = deref(src, item)
    const value = v ? (v as Node).toJS(src.doc) : null
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new InputError(`${what}: expected a name, got ${describeNode(v)}`, originAt(src, item))
    }
    return { name: String(value), at: originAt(src, item) }
  })
}
