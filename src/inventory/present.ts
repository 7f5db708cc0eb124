// What `virtfleet inventory` shows: the group tree (like `ansible-inventory --graph`), per-host resolved
// connection and vars, and the JSON shape. Pure functions of the inventory, so they are testable without oclif.

import { stringify } from 'yaml'
import { plainGroupVars, type Inventory } from './model.js'
import type { HostSpec } from './types.js'

export interface InventoryJson {
  hosts: Record<string, HostSpec>
  groups: Record<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>
}

export function inventoryJson(inv: Inventory, hosts: HostSpec[]): InventoryJson {
  const selected = new Set(hosts.map((h) => h.name))
  const out: InventoryJson = { hosts: {}, groups: {} }
  for (const h of hosts) out.hosts[h.name] = h
  for (const g of inv.groups.values()) {
    out.groups[g.name] = { hosts: g.hosts.filter((h) => selected.has(h)), children: [...g.children], vars: plainGroupVars(g) }
  }
  return out
}

/** The largest tree `--graph` prints as a tree; beyond it (groups shared by many parents multiply the paths) it lists each group once. */
export const MAX_GRAPH_LINES = 100_000
export const MAX_GRAPH_DEPTH = 50

/** `@all:` / `  |--@group:` / `  |  |--host`: child groups then hosts, each sorted by name, as Ansible prints. */
export function renderGraph(inv: Inventory, selected?: Set<string>): string {
  const size = summarize(inv, selected)
  const hasSelected = (g: string): boolean => size.shown.get(g) === true
  if (size.lines > MAX_GRAPH_LINES || size.depth > MAX_GRAPH_DEPTH) return renderGroupList(inv, hasSelected, selected, size)
  const lines: string[] = []
  const walk = (name: string, depth: number): void => {
    const g = inv.groups.get(name)
    if (!g) return
    lines.push(`${depth === 0 ? '' : `${'  |'.repeat(depth - 1)}  |--`}@${name}:`)
    for (const c of [...g.children].sort()) if (hasSelected(c)) walk(c, depth + 1)
    if (name === 'all') return
    for (const h of [...g.hosts].sort()) if (!selected || selected.has(h)) lines.push(`${'  |'.repeat(depth)}  |--${h}`)
  }
  walk('all', 0)
  return lines.join('\n')
}

interface TreeSize {
  /** Groups that hold a selected host (themselves or below). */
  shown: Map<string, boolean>
  /** Lines the tree would print, saturating at MAX_GRAPH_LINES + 1. */
  lines: number
  depth: number
}

/**
 * Per group, bottom-up in one pass (memoized: finalize() rejected cycles, so nothing depends on the path to a group;
 * an explicit stack, so a chain of thousands of groups does not overflow): is anything selected below, how many
 * lines and levels the tree would print.
 */
function summarize(inv: Inventory, selected?: Set<string>): TreeSize {
  const shown = new Map<string, boolean>()
  const lines = new Map<string, number>()
  const depth = new Map<string, number>()
  const stack: Array<{ name: string; i: number }> = [{ name: 'all', i: 0 }]
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as { name: string; i: number }
    const g = inv.groups.get(f.name)
    const children = g?.children ?? []
    if (f.i < children.length) {
      const c = children[f.i++] as string
      if (!shown.has(c)) stack.push({ name: c, i: 0 })
      continue
    }
    stack.pop()
    const hosts = !g || f.name === 'all' ? [] : g.hosts.filter((h) => !selected || selected.has(h))
    let n = 1 + hosts.length
    let d = 0
    let any = !selected || hosts.length > 0
    for (const c of children) {
      if (shown.get(c) !== true) continue
      any = true
      n = Math.min(MAX_GRAPH_LINES + 1, n + (lines.get(c) as number))
      d = Math.max(d, (depth.get(c) as number) + 1)
    }
    shown.set(f.name, any)
    lines.set(f.name, n)
    depth.set(f.name, d)
  }
  return { shown, lines: lines.get('all') ?? 0, depth: depth.get('all') ?? 0 }
}

/** Each group once (in the order first met from 'all'), with its child groups and hosts: linear in the inventory. */
function renderGroupList(inv: Inventory, hasSelected: (g: string) => boolean, selected: Set<string> | undefined, size: TreeSize): string {
  const why = size.lines > MAX_GRAPH_LINES ? `more than ${MAX_GRAPH_LINES} lines` : `${size.depth} levels (more than ${MAX_GRAPH_DEPTH})`
  const lines = [`# the group tree would print ${why}: each group is listed once, with its child groups and hosts`]
  const order = ['all']
  const met = new Set(order)
  for (let i = 0; i < order.length; i++) {
    const g = inv.groups.get(order[i] as string)
    if (!g) continue
    lines.push(`@${g.name}:`)
    for (const c of [...g.children].sort()) {
      if (!hasSelected(c)) continue
      lines.push(`  |--@${c}`)
      if (!met.has(c)) {
        met.add(c)
        order.push(c)
      }
    }
    if (g.name === 'all') continue
    for (const h of [...g.hosts].sort()) if (!selected || selected.has(h)) lines.push(`  |--${h}`)
  }
  return lines.join('\n')
}

/** Per host: the connection line, then the other resolved settings and the merged vars as YAML. */
export function renderHostList(hosts: HostSpec[]): string {
  return hosts
    .map((h) => {
      const conn = `${h.user}@${h.address}:${h.port}${h.jump.length > 0 ? ` via ${h.jump.join(' -> ')}` : ''}`
      const details: Record<string, unknown> = {
        groups: h.groups,
        uris: h.uris,
        ...(h.identityFiles.length > 0 ? { identity_files: h.identityFiles } : {}),
        ...(h.become ? { become: true, ...(h.becomeUser ? { become_user: h.becomeUser } : {}) } : {}),
        ...(h.parallel !== undefined ? { parallel: h.parallel } : {}),
        ...(h.timeoutMs !== undefined ? { timeout_ms: h.timeoutMs } : {}),
        ...(h.hostTimeoutMs !== undefined ? { host_timeout_ms: h.hostTimeoutMs } : {}),
        ...(h.action ? { action: h.action } : {}),
        ...(h.fallback ? { fallback: h.fallback } : {}),
        ...(h.rebootCommand ? { reboot_command: h.rebootCommand } : {}),
        ...(h.stateDir ? { state_dir: h.stateDir } : {}),
        ...(h.knownHostsFiles ? { known_hosts_files: h.knownHostsFiles } : {}),
        ...(h.hostKeyChecking ? { host_key_checking: h.hostKeyChecking } : {}),
        ...(h.connectTimeoutMs !== undefined ? { connect_timeout_ms: h.connectTimeoutMs } : {}),
        ...(h.keepaliveIntervalMs !== undefined ? { keepalive_interval_ms: h.keepaliveIntervalMs } : {}),
        ...(h.keepaliveCountMax !== undefined ? { keepalive_count_max: h.keepaliveCountMax } : {}),
        ...(Object.keys(h.vars).length > 0 ? { vars: h.vars } : {}),
      }
      const body = stringify(details, { indent: 2 })
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')
      return `${h.name}  ${conn}\n${body}`
    })
    .join('\n\n')
}
