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

/** `@all:` / `  |--@group:` / `  |  |--host`: child groups then hosts, each sorted by name, as Ansible prints. */
export function renderGraph(inv: Inventory, selected?: Set<string>): string {
  const lines: string[] = []
  const hasSelected = (group: string, seen = new Set<string>()): boolean => {
    if (!selected) return true
    if (seen.has(group)) return false
    seen.add(group)
    const g = inv.groups.get(group)
    if (!g) return false
    return g.hosts.some((h) => selected.has(h)) || g.children.some((c) => hasSelected(c, seen))
  }
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
