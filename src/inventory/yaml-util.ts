// Shared YAML plumbing for the inventory parsers: parse with positions, turn YAML errors into InputError with
// file:line:column, and read mappings pair by pair so every key and value keeps its place in the file.
// Inventories are read as Ansible's loader reads them (YAML 1.1 scalars as PyYAML resolves them: yaml-schema.ts).

import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, type YAMLMap } from 'yaml'
import { InputError } from '../core/errors.js'
import type { Origin } from './model.js'
import { failedDocument, parseDocumentBounded, toJsBounded, yamlNestingError, yamlStructureError } from './yaml-limits.js'
import { ansibleTags } from './yaml-schema.js'

export interface YamlSource {
  file: string
  doc: Document.Parsed
  lc: LineCounter
  /** A duplicate key or an alias problem found after parsing (see yaml-limits). */
  problem?: InputError
}

export function parseYaml(file: string, text: string): YamlSource {
  const lc = new LineCounter()
  const nesting = yamlNestingError(file, text)
  if (nesting) return { file, doc: failedDocument(nesting.message), lc, problem: nesting }
  const doc = parseDocumentBounded(text, lc, { version: '1.1', customTags: ansibleTags, merge: true })
  const problem = doc.errors.length === 0 ? yamlStructureError(file, doc, lc) : undefined
  return { file, doc, lc, problem }
}

/** The first YAML syntax error (or duplicate key, or alias problem) as an InputError at its position, or undefined. */
export function yamlSyntaxError(src: YamlSource): InputError | undefined {
  if (src.problem) return src.problem
  const err = src.doc.errors[0]
  if (!err) return undefined
  const start = err.linePos?.[0] ?? src.lc.linePos(err.pos[0])
  const message = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '')
  return new InputError(`YAML syntax error: ${message}`, { file: src.file, line: start.line, column: start.col })
}

export function originAt(src: YamlSource, node: unknown): Origin {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range
  if (!range) return { file: src.file }
  const p = src.lc.linePos(range[0])
  return { file: src.file, line: p.line, column: p.col }
}

export function describeNode(node: unknown): string {
  if (node === null || node === undefined) return 'nothing'
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isAlias(node)) return 'an alias'
  if (isScalar(node)) {
    if (node.value === null) return 'null'
    if (typeof node.value === 'string') return `the string "${node.value}"`
    return `the ${typeof node.value} ${String(node.value)}`
  }
  return 'an unknown node'
}

/** Resolve aliases; a null scalar (`key:` with nothing after) becomes null. */
export function deref(src: YamlSource, node: unknown): Node | null {
  let n = node
  for (let i = 0; i < 100 && isAlias(n); i++) n = (n as { resolve(doc: Document): unknown }).resolve(src.doc)
  if (n === null || n === undefined) return null
  if (isScalar(n) && n.value === null) return null
  return n as Node
}

/** A node that must be a mapping or empty (null → undefined). */
export function expectMap(src: YamlSource, node: unknown, what: string, atIfMissing?: unknown): YAMLMap | undefined {
  const n = deref(src, node)
  if (n === null) return undefined
  if (!isMap(n)) throw new InputError(`${what} must be a mapping, got ${describeNode(n)}`, originAt(src, n ?? atIfMissing))
  return n
}

export function keyText(src: YamlSource, pair: Pair): string {
  const k = deref(src, pair.key)
  if (isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')) return String(k.value)
  throw new InputError(`expected a plain key, got ${describeNode(k)}`, originAt(src, pair.key))
}

export function isMergeKey(src: YamlSource, pair: Pair): boolean {
  const k = pair.key
  return isScalar(k) && (k.value === '<<' || (typeof k.value === 'symbol' && k.value.description === '<<'))
}

export interface YamlVar {
  key: string
  value: unknown
  origin: Origin
}

/**
 * The pairs of a vars mapping as key, plain value, origin (of the value, else the key). `<<: *anchor` merge keys
 * are expanded in place (explicit keys after them win, as YAML says).
 */
export function readVars(src: YamlSource, map: YAMLMap | undefined): YamlVar[] {
  if (!map) return []
  const out: YamlVar[] = []
  for (const pair of map.items) {
    if (isMergeKey(src, pair)) {
      const targets = isSeq(pair.value) ? pair.value.items : [pair.value]
      for (const t of targets) out.push(...readVars(src, expectMap(src, t, 'a "<<" merge value', pair.key)))
      continue
    }
    const key = keyText(src, pair)
    const valueNode = pair.value
    const value = valueNode === null || valueNode === undefined ? null : jsonLike(toJsBounded(valueNode as Node, src.doc, () => originAt(src, valueNode)))
    const origin = valueNode && (valueNode as Node).range ? originAt(src, valueNode) : originAt(src, pair.key)
    out.push({ key, value, origin })
  }
  return out
}

/** Maps to plain objects with keys as Ansible's JSON prints them (1 → "1", true → "true", null → "null"). */
function jsonLike(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonLike)
  if (v instanceof Map) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of v) out[k === null ? 'null' : typeof k === 'object' ? JSON.stringify(jsonLike(k)) : String(k)] = jsonLike(x)
    return out
  }
  if (v instanceof Set) return [...v].map(jsonLike)
  return v
}
