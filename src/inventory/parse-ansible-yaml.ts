// Ansible's YAML inventory: top-level keys are groups (usually just `all:`), each a mapping of `hosts:` (host
// pattern → vars), `vars:` and `children:` (group name → group, recursively). Host patterns may carry a port
// (`hv1:2222`) and ranges (`hv[01:20]`). Unlike Ansible, an unknown key in a group is an error, not a warning.

import { isMap } from 'yaml'
import { InputError } from '../core/errors.js'
import { expandHostPattern } from './hostnames.js'
import type { InventoryBuilder } from './model.js'
import { describeNode, deref, expectMap, keyText, originAt, readVars, type YamlSource } from './yaml-util.js'

const GROUP_KEYS = ['hosts', 'vars', 'children']

export function parseAnsibleYaml(src: YamlSource, b: InventoryBuilder): void {
  const top = deref(src, src.doc.contents)
  if (!isMap(top)) throw new InputError(`an inventory must be a mapping of groups (e.g. "all:"), got ${describeNode(top)}`, originAt(src, top ?? undefined))
  for (const pair of top.items) {
    const name = keyText(src, pair)
    if (name === 'plugin') throw new InputError('inventory plugins ("plugin:") are not supported; list hosts and groups instead', originAt(src, pair.key))
    parseGroup(src, b, name, pair.value, pair.key, undefined)
  }
}

function parseGroup(src: YamlSource, b: InventoryBuilder, name: string, node: unknown, keyNode: unknown, parent: string | undefined): void {
  const at = originAt(src, keyNode)
  b.addGroup(name, at)
  if (parent !== undefined) b.addChild(parent, name, at)
  const map = expectMap(src, node, `group "${name}"`, keyNode)
  if (!map) return
  for (const pair of map.items) {
    const key = keyText(src, pair)
    if (!GROUP_KEYS.includes(key)) {
      throw new InputError(`unknown key "${key}" in group "${name}": expected hosts, vars or children`, originAt(src, pair.key))
    }
  }
  // vars first so that a group's vars exist before its hosts and children are walked (order does not matter for
  // precedence, only for error order).
  const varsMap = expectMap(src, map.get('vars', true), `"vars" of group "${name}"`)
  for (const v of readVars(src, varsMap)) b.setGroupVar(name, v.key, v.value, v.origin)

  const hostsMap = expectMap(src, map.get('hosts', true), `"hosts" of group "${name}" (host name → vars)`)
  for (const pair of hostsMap?.items ?? []) {
    const pattern = keyText(src, pair)
    const hostAt = originAt(src, pair.key)
    const { hosts, port } = expandHostPattern(pattern, hostAt)
    const hostVars = readVars(src, expectMap(src, pair.value, `vars of host "${pattern}"`, pair.key))
    for (const h of hosts) {
      b.addHost(h, name, hostAt)
      if (port !== undefined) b.setHostVar(h, 'ansible_port', port, hostAt)
      for (const v of hostVars) b.setHostVar(h, v.key, v.value, v.origin)
    }
  }

  const childrenMap = expectMap(src, map.get('children', true), `"children" of group "${name}" (group name → group)`)
  for (const pair of childrenMap?.items ?? []) {
    parseGroup(src, b, keyText(src, pair), pair.value, pair.key, name)
  }
}
