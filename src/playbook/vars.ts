// A play's `vars:`: the vars the engine reads are type-checked (KNOWN_VARS), inventory-only ones are refused, and
// every value is kept as plain data. User keys land in prototype-less objects (a var named `__proto__` or
// `toString` is just a name), aliases are expanded within a budget and cycles are refused, so an alias bomb or
// `&a [*a]` cannot blow up memory here or a JSON report later.

import { isMap, isScalar, isSeq, type Node } from 'yaml'

import { convertParam } from './convert.js'
import { INVENTORY_ONLY_VARS, knownVarSpec } from './spec.js'
import type { Source } from './yaml-source.js'

/** Values (scalars, lists, mappings) one play's vars may hold once aliases are expanded. */
export const MAX_VARS_VALUES = 10_000
const MAX_VARS_DEPTH = 32

interface Walk {
  src: Source
  left: number
  /** Lists and mappings being converted, to refuse an alias to one of them (a cycle). */
  open: Node[]
}

export function parseVars(src: Source, node: Node | null, keyAt: number): Record<string, unknown> {
  const vars = Object.create(null) as Record<string, unknown>
  if (!isMap(node)) {
    if (!(node === null || (isScalar(node) && node.value === null))) src.issue(src.at(node, keyAt), `vars: expected a mapping, got ${src.describe(node)}`)
    return vars
  }
  const walk: Walk = { src, left: MAX_VARS_VALUES, open: [node] }
  for (const pair of node.items) {
    const name = src.keyName(pair)
    const at = src.keyAt(pair, keyAt)
    if (name === undefined) {
      src.issue(at, 'vars: keys must be names')
      continue
    }
    if (INVENTORY_ONLY_VARS.includes(name)) {
      src.issue(at, `vars.${name}: a connection setting; hosts are resolved from the inventory before a play's vars apply, so set it there`)
      continue
    }
    const value = pair.value as Node | null
    const known = knownVarSpec(name)
    if (known) convertParam(src, `vars.${name}`, known, src.deref(value), at)
    // Vars keep their written form (as in the inventory); the engine converts them after merging.
    vars[name] = toData(walk, value, `vars.${name}`, at)
  }
  return vars
}

/** A YAML node as plain data (prototype-less mappings), or null after recording why it cannot be. */
function toData(walk: Walk, written: Node | null, what: string, fallbackAt: number): unknown {
  const { src } = walk
  const node = src.deref(written)
  const at = src.at(written, fallbackAt)
  if (node !== null && walk.open.includes(node)) {
    src.issue(at, `${what}: the alias refers to a value that contains it`)
    return null
  }
  if (--walk.left === 0) src.issue(at, `${what}: more than ${MAX_VARS_VALUES} values once aliases are expanded`)
  if (walk.left <= 0) return null
  if (walk.open.length > MAX_VARS_DEPTH) {
    src.issue(at, `${what}: nested more than ${MAX_VARS_DEPTH} levels deep`)
    return null
  }
  if (isScalar(node)) return node.value ?? null
  if (!isMap(node) && !isSeq(node)) return null
  walk.open.push(node)
  try {
    if (isSeq(node)) return node.items.map((item, i) => toData(walk, item as Node | null, `${what}[${i}]`, at))
    const out = Object.create(null) as Record<string, unknown>
    for (const pair of node.items) {
      const key = src.keyName(pair)
      if (key === undefined) src.issue(src.keyAt(pair, at), `${what}: keys must be names`)
      else out[key] = toData(walk, pair.value as Node | null, `${what}.${key}`, src.keyAt(pair, at))
    }
    return out
  } finally {
    walk.open.pop()
  }
}
