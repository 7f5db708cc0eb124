// Ansible's INI inventory, as its ini plugin reads it: `[group]` host lines (`hv1:2222 k=v …`, ranges
// allowed), `[group:vars]` (`k=v`, the rest of the line; values of both are Python literals when they parse as
// one: `n=5` is 5, `s="a b"` is a b, else the text), `[group:children]`
// (group names, each defined somewhere in the inventory). Lines before any section are ungrouped hosts;
// comment lines start with # or ;, and # also ends a host line.

import { InputError } from '../core/errors.js'
import { expandHostPattern } from './hostnames.js'
import { iniHostValue, shellSplit } from './ini-values.js'
import type { InventoryBuilder, Origin } from './model.js'

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/
const IPV6_HOST = /^\[[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\](?::\d+)?(?:\s|$)/
const GROUP_NAME = /^([^:\]\s]+)\s*(?:[#;].*)?$/

type State = 'hosts' | 'vars' | 'children'

export function parseIni(file: string, text: string, b: InventoryBuilder): void {
  let state: State = 'hosts'
  let group = 'ungrouped'
  // Children and [g:vars] may name a group defined further down (or in a later section): check at the end.
  const pending = new Map<string, { at: Origin; state: State; parent?: string }>()
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1
    const indent = raw.length - raw.trimStart().length
    const line = raw.trim()
    const at: Origin = { file, line: lineNo, column: indent + 1 }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return

    // A line is a section when it matches the header syntax; a bracketed IPv6 host (`[2001:db8::1]:2222`) is a
    // host line, as in Ansible; any other line starting with '[' is a bad header (Ansible: a bad host name).
    const m = SECTION.exec(line)
    if (!m && line.startsWith('[') && !IPV6_HOST.test(line)) {
      throw new InputError(`invalid section header ${JSON.stringify(line)}: expected [group], [group:vars] or [group:children] (no spaces)`, at)
    }
    if (m) {
      group = m[1] as string
      const kind = m[2]
      if (kind === undefined || kind === 'hosts') state = 'hosts'
      else if (kind === 'vars' || kind === 'children') state = kind
      else throw new InputError(`section [${group}:${kind}] has unknown type "${kind}": expected vars or children`, at)
      if (state === 'vars' && !b.hasGroup(group)) {
        if (!pending.has(group)) pending.set(group, { at, state })
      } else {
        b.addGroup(group, { ...at, column: indent + 2 })
        pending.delete(group)
      }
      return
    }

    if (state === 'hosts') {
      let tokens
      try {
        tokens = shellSplit(raw)
      } catch (err) {
        throw new InputError(`cannot split host line: ${(err as Error).message}`, at)
      }
      const [first, ...rest] = tokens
      if (!first) return
      const hostAt: Origin = { file, line: lineNo, column: first.offset + 1 }
      const { hosts, port } = expandHostPattern(first.text, hostAt)
      const vars: Array<[string, unknown, Origin]> = []
      for (const t of rest) {
        const tAt: Origin = { file, line: lineNo, column: t.offset + 1 }
        const eq = t.text.indexOf('=')
        if (eq <= 0) throw new InputError(`expected key=value host variable after host "${first.text}", got ${JSON.stringify(t.text)}`, tAt)
        vars.push([t.text.slice(0, eq), iniHostValue(t.text.slice(eq + 1)), tAt])
      }
      for (const h of hosts) {
        b.addHost(h, group, hostAt)
        if (port !== undefined) b.setHostVar(h, 'ansible_port', port, hostAt)
        for (const [k, v, vAt] of vars) b.setHostVar(h, k, v, vAt)
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=')
      if (eq <= 0) throw new InputError(`expected key=value in [${group}:vars], got ${JSON.stringify(line)}`, at)
      if (!b.hasGroup(group)) b.addGroup(group, pending.get(group)?.at ?? at)
      b.setGroupVar(group, line.slice(0, eq).trim(), iniHostValue(line.slice(eq + 1).trim()), at)
    } else {
      const m = GROUP_NAME.exec(line)
      if (!m) throw new InputError(`expected a group name in [${group}:children], got ${JSON.stringify(line)}`, at)
      const child = m[1] as string
      if (b.hasGroup(child) && !pending.has(child)) b.addChild(group, child, at)
      else {
        const key = `${group}\u0000${child}`
        if (!pending.has(key)) pending.set(key, { at, state: 'children', parent: group })
      }
    }
  })
  // Resolve forward references now that the whole file was read.
  for (const [key, p] of pending) {
    if (p.state === 'children') {
      const child = key.split('\u0000')[1] as string
      if (!b.hasGroup(child) || child === 'all') throw new InputError(`section [${p.parent}:children] includes undefined group "${child}"`, p.at)
      b.addChild(p.parent as string, child, p.at)
    }
  }
}
