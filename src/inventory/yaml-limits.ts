// Bounded YAML reading for inventories: stop at the first syntax error (the yaml library keeps composing after an
// error, and thousands of errors cost seconds each), check duplicate keys in linear time (the library's check is
// quadratic in a mapping's size), and refuse unresolved aliases, self-referencing anchors and alias bombs.

import {
  Composer,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  YAMLParseError,
  type DocumentOptions,
  type Node,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml'
import { InputError } from '../core/errors.js'

/** Nodes that aliases may copy in one document (each alias counts the size of what it names, nested ones too). */
export const MAX_YAML_ALIAS_NODES = 1_000_000

type OnError = (source: unknown, code: string, message: string, warning?: boolean) => void
type Options = ParseOptions & DocumentOptions & SchemaOptions
const STOP = Symbol('first YAML error')

/**
 * parseDocument, but composition stops at the first error (the document then holds only that error and no
 * contents). Multiple documents are an error, as with parseDocument.
 */
export function parseDocumentBounded(text: string, lc: LineCounter, options: Options): Document.Parsed {
  const parser = new Parser(lc.addNewLine)
  const composer = new Composer({ ...options, uniqueKeys: false })
  const internals = composer as unknown as { onError: OnError; errors: YAMLParseError[]; doc: Document.Parsed | null }
  const report = internals.onError
  internals.onError = (source, code, message, warning) => {
    report(source, code, message, warning)
    if (!warning) throw STOP
  }
  const pending = (): YAMLParseError | undefined => internals.errors[0] ?? internals.doc?.errors[0]
  let doc: Document.Parsed | undefined
  let first: YAMLParseError | undefined
  try {
    for (const token of parser.parse(text)) {
      for (const d of composer.next(token)) {
        if (doc === undefined) doc = d
        else first = new YAMLParseError(d.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents')
      }
      first ??= pending() ?? doc?.errors[0]
      if (first) break
    }
    if (!first) for (const d of composer.end(true, text.length)) doc ??= d
    first ??= doc?.errors[0]
  } catch (err) {
    if (err !== STOP) throw err
    first = pending()
  }
  if (first || !doc) {
    const failed = new Document(null, options) as Document.Parsed
    failed.errors = first ? [first] : []
    return failed
  }
  return doc
}

/** The first duplicate key, alias problem or alias bomb of a parsed document, as an InputError; else undefined. */
export function yamlStructureError(file: string, doc: Document.Parsed, lc: LineCounter): InputError | undefined {
  const at = (node: unknown): { file: string; line?: number; column?: number } => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range
    if (!range) return { file }
    const p = lc.linePos(range[0])
    return { file, line: p.line, column: p.col }
  }
  // Expanded size per node, memoized so shared anchors cost once; `open` catches an alias inside its own anchor.
  const size = new Map<unknown, number>()
  const open = new Set<unknown>()
  let copied = 0
  // An explicit stack: deep nesting must not overflow the JS stack here.
  type Frame = { node: unknown; children?: unknown[]; i: number; total: number }
  const stack: Frame[] = [{ node: doc.contents, i: 0, total: 1 }]
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame
    if (f.children === undefined) {
      const n = f.node
      if (isAlias(n)) {
        const target = n.resolve(doc)
        if (target === undefined) return new InputError(`YAML alias *${n.source} has no anchor &${n.source} before it`, at(n))
        if (open.has(target)) return new InputError(`YAML alias *${n.source} refers to its own anchor (a structure that contains itself)`, at(n))
        f.children = [target]
      } else if (isMap(n)) {
        const seen = new Set<string>()
        for (const pair of n.items) {
          const k = pair.key
          if (isScalar(k) && k.value !== '<<') {
            const key = `${typeof k.value}:${String(k.value)}`
            if (seen.has(key)) return new InputError('YAML syntax error: Map keys must be unique', at(k))
            seen.add(key)
          }
        }
        f.children = n.items.flatMap((p) => [p.key, p.value])
      } else if (isSeq(n)) f.children = n.items
      else if (isPair(n)) f.children = [n.key, n.value]
      else f.children = []
      const known = size.get(n)
      if (known !== undefined && !isAlias(n)) f.children = []
      open.add(n)
    }
    const known = size.get(f.node)
    if (known !== undefined && !isAlias(f.node)) f.total = known
    if (f.i < f.children.length && known === undefined) {
      stack.push({ node: f.children[f.i++], i: 0, total: 1 })
      continue
    }
    stack.pop()
    open.delete(f.node)
    if (!isAlias(f.node) && f.node !== null && typeof f.node === 'object') size.set(f.node, f.total)
    const parent = stack[stack.length - 1]
    if (parent) parent.total += isAlias(f.node) ? f.total - 1 : f.total
    if (isAlias(f.node)) {
      copied += f.total - 1
      if (copied > MAX_YAML_ALIAS_NODES) {
        return new InputError(`YAML aliases copy more than ${MAX_YAML_ALIAS_NODES} nodes (an alias bomb?); write the values out`, at(f.node))
      }
    }
  }
  return undefined
}

/** Node.toJS with the alias limit, its ReferenceError turned into an InputError at the node. */
export function toJsBounded(node: Node, doc: Document.Parsed, where: () => { file: string; line?: number; column?: number }): unknown {
  try {
    return node.toJS(doc, { maxAliasCount: 10_000 })
  } catch (err) {
    if (err instanceof ReferenceError || err instanceof RangeError) throw new InputError(`YAML value cannot be expanded: ${err.message}`, where())
    throw err
  }
}
