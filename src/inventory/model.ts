// The parsed inventory before host resolution: hosts, groups, their vars with the position each came from.
// Every parser (Ansible YAML, Ansible INI, virtfleet YAML) writes into one InventoryBuilder, the way Ansible's
// parsers write into InventoryData; later sources overwrite earlier ones key by key. `finalize()` adds the
// implicit structure (all, ungrouped, depths) and rejects cycles.

import { InputError } from '../core/errors.js'
import { MAX_INVENTORY_HOSTS } from './hostnames.js'

/** Where something was written: file and, when known, 1-based line and column. */
export interface Origin {
  file: string
  line?: number
  column?: number
}

export interface VarValue {
  value: unknown
  origin: Origin
}

/** Vars in definition order; a later set of the same key replaces the value and the origin. */
export type Vars = Map<string, VarValue>

export interface InventoryHost {
  name: string
  /** Vars from inventory sources (host lines, hosts: mappings). */
  vars: Vars
  /** Vars from host_vars/ files (they beat inventory host vars, as in Ansible). */
  fileVars: Vars
  /** Groups the host was put in directly (no ancestors, never 'all'). */
  directGroups: Set<string>
  /** First place the host was declared. */
  origin: Origin
}

export interface InventoryGroup {
  name: string
  /** Hosts put directly in the group, in declaration order. */
  hosts: string[]
  children: string[]
  parents: string[]
  vars: Vars
  /** Vars from group_vars/ files. */
  fileVars: Vars
  /** ansible_group_priority (default 1): among groups of the same depth, higher priority merges later (wins). */
  priority: number
  /** Longest distance from 'all' (all = 0, top-level groups = 1). Set by finalize(). */
  depth: number
  origin?: Origin
}

export interface Inventory {
  /** Inventory files read, in order. */
  sources: string[]
  /** Hosts in inventory order (first declaration). */
  hosts: Map<string, InventoryHost>
  groups: Map<string, InventoryGroup>
  /** Hosts declared directly under `all` (YAML `all: hosts:`): Ansible's own members of the all group. */
  rootHosts?: string[]
}

export const RESERVED_GROUPS = ['all', 'ungrouped'] as const

function newGroup(name: string, origin?: Origin): InventoryGroup {
  return { name, hosts: [], children: [], parents: [], vars: new Map(), fileVars: new Map(), priority: 1, depth: 0, origin }
}

/** Group and host names are also pattern terms: keep out the characters patterns use as operators. */
export function checkName(kind: 'group' | 'host', name: string, origin: Origin): void {
  if (name === '' || /[\s,]/.test(name) || (kind === 'group' && /[:[\]&!]/.test(name))) {
    throw new InputError(
      `invalid ${kind} name "${name}": it must not be empty or contain spaces, commas${kind === 'group' ? ", ':', '[', ']', '&' or '!'" : ''}`,
      origin,
    )
  }
}

function checkHostCount(count: number, origin: Origin): void {
  if (count >= MAX_INVENTORY_HOSTS) throw new InputError(`more than ${MAX_INVENTORY_HOSTS} hosts in the inventory (the most one inventory may hold)`, origin)
}

export class InventoryBuilder {
  readonly inv: Inventory = { sources: [], hosts: new Map(), groups: new Map(), rootHosts: [] }

  constructor() {
    this.inv.groups.set('all', newGroup('all'))
    this.inv.groups.set('ungrouped', newGroup('ungrouped'))
  }

  hasGroup(name: string): boolean {
    return this.inv.groups.has(name)
  }

  hasHost(name: string): boolean {
    return this.inv.hosts.has(name)
  }

  addSource(file: string): void {
    this.inv.sources.push(file)
  }

  addGroup(name: string, origin: Origin): InventoryGroup {
    let g = this.inv.groups.get(name)
    if (!g) {
      checkName('group', name, origin)
      g = newGroup(name, origin)
      this.inv.groups.set(name, g)
    } else if (!g.origin) {
      g.origin = origin
    }
    return g
  }

  /** Declare a host, optionally as a direct member of `group` (which must exist; 'all' adds no membership). */
  addHost(name: string, group: string | undefined, origin: Origin): InventoryHost {
    let h = this.inv.hosts.get(name)
    if (!h) {
      checkName('host', name, origin)
      checkHostCount(this.inv.hosts.size, origin)
      h = { name, vars: new Map(), fileVars: new Map(), directGroups: new Set(), origin }
      this.inv.hosts.set(name, h)
    }
    if (group === 'all' && !this.inv.rootHosts?.includes(name)) this.inv.rootHosts?.push(name)
    if (group !== undefined && group !== 'all') {
      const g = this.inv.groups.get(group)
      if (!g) throw new InputError(`internal: group ${group} used before it was added`, origin)
      if (!h.directGroups.has(group)) {
        h.directGroups.add(group)
        g.hosts.push(name)
      }
    }
    return h
  }

  addChild(parent: string, child: string, origin: Origin): void {
    if (child === 'all') throw new InputError(`group "all" cannot be a child of "${parent}"`, origin)
    if (parent === child) throw new InputError(`group "${parent}" cannot be its own child`, origin)
    const p = this.inv.groups.get(parent)
    const c = this.inv.groups.get(child)
    if (!p || !c) throw new InputError(`group "${parent}" has an undefined child group "${child}"`, origin)
    if (!p.children.includes(child)) p.children.push(child)
    if (!c.parents.includes(parent)) c.parents.push(parent)
  }

  setGroupVar(group: string, key: string, value: unknown, origin: Origin): void {
    const g = this.inv.groups.get(group)
    if (!g) throw new InputError(`internal: group ${group} used before it was added`, origin)
    // Ansible keeps a group's priority out of its vars (a group_vars/ file's one is a plain var, not a priority).
    if (key === 'ansible_group_priority') g.priority = parsePriority(value, group, origin)
    else g.vars.set(key, { value, origin })
  }

  setHostVar(host: string, key: string, value: unknown, origin: Origin): void {
    const h = this.inv.hosts.get(host)
    if (!h) throw new InputError(`internal: host ${host} used before it was added`, origin)
    h.vars.set(key, { value, origin })
  }

  setGroupFileVar(group: string, key: string, value: unknown, origin: Origin): void {
    this.inv.groups.get(group)?.fileVars.set(key, { value, origin })
  }

  setHostFileVar(host: string, key: string, value: unknown, origin: Origin): void {
    this.inv.hosts.get(host)?.fileVars.set(key, { value, origin })
  }

  /** Add the implicit structure: ungrouped membership, top-level groups under 'all', depths; reject cycles. */
  finalize(): Inventory {
    const { groups, hosts } = this.inv
    const all = groups.get('all') as InventoryGroup
    const ungrouped = groups.get('ungrouped') as InventoryGroup
    // Ansible: a host whose only group is 'all' is in 'ungrouped'; a host in any real group is not.
    ungrouped.hosts = []
    for (const h of hosts.values()) {
      const real = [...h.directGroups].filter((g) => g !== 'ungrouped')
      if (real.length === 0) {
        h.directGroups.add('ungrouped')
        ungrouped.hosts.push(h.name)
      } else {
        h.directGroups.delete('ungrouped')
      }
    }
    for (const g of groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) {
        g.parents.push('all')
        all.children.push(g.name)
      }
    }
    // Ansible makes 'ungrouped' the first child of 'all' when the inventory is created (it orders host lists).
    if (all.children.includes('ungrouped')) all.children = ['ungrouped', ...all.children.filter((c) => c !== 'ungrouped')]
    all.hosts = [...hosts.keys()]
    assignDepths(groups)
    return this.inv
  }
}

/**
 * Depth = longest path from 'all', in one pass over groups in topological order (linear, no recursion, so a chain of
 * thousands of groups costs nothing); a cycle is an error naming the cycle, reported at a group of the cycle.
 */
function assignDepths(groups: Map<string, InventoryGroup>): void {
  const waiting = new Map<string, number>()
  for (const g of groups.values()) waiting.set(g.name, g.name === 'all' ? 0 : g.parents.filter((p) => groups.has(p)).length)
  for (const g of groups.values()) g.depth = 0
  const ready = [...groups.values()].filter((g) => waiting.get(g.name) === 0)
  for (let i = 0; i < ready.length; i++) {
    const g = ready[i] as InventoryGroup
    for (const c of g.children) {
      const cg = groups.get(c)
      if (!cg) continue
      cg.depth = Math.max(cg.depth, g.depth + 1)
      const left = (waiting.get(c) as number) - 1
      waiting.set(c, left)
      if (left === 0) ready.push(cg)
    }
  }
  if (ready.length === groups.size) return
  // Every group left waits on a parent that is also left: walking parents from one of them must close a cycle.
  const left = (name: string): boolean => (waiting.get(name) ?? 0) > 0
  let name = [...groups.keys()].find(left) as string
  const path: string[] = []
  const at = new Map<string, number>()
  while (!at.has(name)) {
    at.set(name, path.length)
    path.push(name)
    name = (groups.get(name) as InventoryGroup).parents.find(left) as string
  }
  const cycle = [...path.slice(at.get(name)), name].reverse()
  const g = groups.get(name) as InventoryGroup
  throw new InputError(`group "${g.name}" is its own ancestor: ${cycle.join(' -> ')}`, g.origin)
}

function parsePriority(value: unknown, group: string, origin: Origin): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isInteger(n)) {
    throw new InputError(`group ${group}: ansible_group_priority must be an integer, got ${JSON.stringify(value)}`, origin)
  }
  return n
}

/** Ansible's group ordering for vars merging: depth, then priority, then name. */
export function sortGroups(groups: InventoryGroup[]): InventoryGroup[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

// Hosts in the same direct groups share their ancestor list: computed once per set of direct groups, so resolving
// every host costs one walk per distinct set (hosts of a finalized inventory; the builder never changes it after).
const ancestorCache = new WeakMap<Inventory, Map<string, InventoryGroup[]>>()

/** Every group a host belongs to (direct groups, their ancestors, 'all'), in vars-merge order. */
export function hostGroups(inv: Inventory, host: string): InventoryGroup[] {
  const h = inv.hosts.get(host)
  if (!h) return []
  let cache = ancestorCache.get(inv)
  if (!cache) ancestorCache.set(inv, (cache = new Map()))
  const key = [...h.directGroups].join('\n')
  const known = cache.get(key)
  if (known) return [...known]
  const seen = new Map<string, InventoryGroup>()
  // An explicit stack: a chain of thousands of groups must not overflow the JS stack.
  const stack = [...h.directGroups, 'all']
  while (stack.length > 0) {
    const name = stack.pop() as string
    const g = inv.groups.get(name)
    if (!g || seen.has(name)) continue
    seen.set(name, g)
    stack.push(...g.parents)
  }
  const sorted = sortGroups([...seen.values()])
  cache.set(key, sorted)
  return [...sorted]
}

/**
 * Hosts of a group and of all its descendants, in Ansible's order (Group.get_hosts): the group's own first, then
 * level by level below it. 'all' owns only the hosts declared directly under it. Ansible walks a level of two or
 * more groups as a Python set (its order varies between runs); here they keep declaration order.
 */
export function groupHosts(inv: Inventory, group: string): string[] {
  const out: string[] = []
  const seenHosts = new Set<string>()
  const seenGroups = new Set<string>()
  const queue = [group]
  // An index, not shift(): shift is linear per call on large arrays.
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i] as string
    if (seenGroups.has(name)) continue
    seenGroups.add(name)
    const g = inv.groups.get(name)
    if (!g) continue
    for (const h of name === 'all' ? (inv.rootHosts ?? []) : g.hosts) {
      if (!seenHosts.has(h)) {
        seenHosts.add(h)
        out.push(h)
      }
    }
    queue.push(...g.children)
  }
  return out
}

export interface MergedVar extends VarValue {
  /** Merge layer that set the value: a higher rank is more specific. Used to choose between alias keys. */
  rank: number
}

/**
 * A host's vars after Ansible's precedence: 'all' inventory vars < other groups' inventory vars (sorted by
 * depth, priority, name) < group_vars/all < group_vars/<group> (same order) < inventory host vars < host_vars/.
 */
export function mergedHostVars(inv: Inventory, host: string): Map<string, MergedVar> {
  const h = inv.hosts.get(host)
  const out = new Map<string, MergedVar>()
  if (!h) return out
  const groups = hostGroups(inv, host)
  const all = groups.filter((g) => g.name === 'all')
  const rest = groups.filter((g) => g.name !== 'all')
  const layers: Vars[] = [
    ...all.map((g) => g.vars),
    ...rest.map((g) => g.vars),
    ...all.map((g) => g.fileVars),
    ...rest.map((g) => g.fileVars),
    h.vars,
    h.fileVars,
  ]
  layers.forEach((layer, rank) => {
    for (const [k, v] of layer) {
      out.delete(k) // keep Map order = order of the winning definition's layer
      out.set(k, { ...v, rank })
    }
  })
  return out
}

/** A group's own vars (inventory then group_vars files), as plain values. */
export function plainGroupVars(g: InventoryGroup): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of g.vars) out[k] = v.value
  for (const [k, v] of g.fileVars) out[k] = v.value
  return out
}
