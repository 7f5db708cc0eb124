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

/** Nesting (flow brackets, or block indentation in columns / 2) beyond which the yaml library overflows its stack. */
export const MAX_YAML_DEPTH = 256

/**
 * A cheap pre-scan refusing nesting the yaml library would recurse into for seconds before overflowing: more than
 * MAX_YAML_DEPTH unclosed `[`/`{`, or a line indented more than 2 * MAX_YAML_DEPTH columns. Brackets in quoted
 * strings count too (no inventory holds hundreds of unclosed brackets).
 */
export function yamlNestingError(file: string, text: string): InputError | undefined {
  let depth = 0
  let line = 1
  let lineStart = 0
  let indented = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      line++
      lineStart = i + 1
      indented = true
    } else if (c === 32 && indented) {
      if (i - lineStart >= 2 * MAX_YAML_DEPTH) {
        return new InputError(`YAML indented more than ${2 * MAX_YAML_DEPTH} columns (nesting is limited to ${MAX_YAML_DEPTH} levels)`, {
          file,
          line,
          column: i - lineStart + 1,
        })
      }
    } else {
      indented = false
      if (c === 91 || c === 123) {
        if (++depth > MAX_YAML_DEPTH)
          return new InputError(`YAML nested deeper than ${MAX_YAML_DEPTH} levels of [ ] / { }`, { file, line, column: i - lineStart + 1 })
      } else if ((c === 93 || c === 125) && depth > 0) depth--
    }
  }
  return undefined
}

/** A document holding only an error (what parseDocumentBounded returns when it stops). */
export function failedDocument(message: string, options: Options = {}): Document.Parsed {
  const doc = new Document(null, options) as Document.Parsed
  doc.errors = [new YAMLParseError([0, 0], 'UNEXPECTED_TOKEN', message)]
  return doc
}

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
    const failed = failedDocument('', options)
    failed.errors = first ? [first] : []
    return failed
  }
  return doc
}

type Where = { file: string; line?: number; column?: number }

/** The first duplicate key, alias problem or alias bomb of a parsed document, as an InputError; else undefined. */
export function yamlStructureError(file: string, doc: Document.Parsed, lc: LineCounter): InputError | undefined {
  const at = (node: unknown): Where => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range
    if (!range) return { file }
    const p = lc.linePos(range[0])
    return { file, line: p.line, column: p.col }
  }
  // First pass, the document as written (aliases not followed): duplicate keys, and whether there is any alias.
  let aliases = false
  const todo: unknown[] = [doc.contents]
  while (todo.length > 0) {
    const n = todo.pop()
    if (isAlias(n)) aliases = true
    else if (isMap(n)) {
      const seen = new Set<string>()
      for (const pair of n.items) {
        const k = pair.key
        if (isScalar(k) && k.value !== '<<') {
          const key = `${typeof k.value}:${String(k.value)}`
          if (seen.has(key)) return new InputError('YAML syntax error: Map keys must be unique', at(k))
          seen.add(key)
        }
        todo.push(pair.key, pair.value)
      }
    } else if (isSeq(n)) for (const item of n.items) todo.push(item)
  }
  return aliases ? aliasError(doc, at) : undefined
}

/**
 * Second pass, only when there are aliases: each alias must name an earlier anchor that does not contain it, and
 * what aliases copy (sizes memoized per node, so a bomb is measured without being expanded) stays bounded.
 */
function aliasError(doc: Document.Parsed, at: (node: unknown) => Where): InputError | undefined {
  const size = new Map<unknown, number>()
  const open = new Set<unknown>()
  let copied = 0
  // An explicit stack: deep nesting must not overflow the JS stack here.
  type Frame = { node: unknown; children: unknown[]; i: number; total: number }
  const frame = (node: unknown): Frame | InputError => {
    const known = size.get(node)
    if (known !== undefined) return { node, children: [], i: 0, total: known }
    let children: unknown[] = []
    if (isAlias(node)) {
      const target = node.resolve(doc)
      if (target === undefined) return new InputError(`YAML alias *${node.source} has no anchor &${node.source} before it`, at(node))
      if (open.has(target)) return new InputError(`YAML alias *${node.source} refers to its own anchor (a structure that contains itself)`, at(node))
      children = [target]
    } else if (isMap(node)) children = node.items.flatMap((p) => [p.key, p.value])
    else if (isSeq(node)) children = node.items
    else if (isPair(node)) children = [node.key, node.value]
    open.add(node)
    return { node, children, i: 0, total: 1 }
  }
  const root = frame(doc.contents)
  if (root instanceof InputError) return root
  const stack: Frame[] = [root]
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame
    if (f.i < f.children.length) {
      const next = frame(f.children[f.i++])
      if (next instanceof InputError) return next
      stack.push(next)
      continue
    }
    stack.pop()
    open.delete(f.node)
    const alias = isAlias(f.node)
    if (!alias && f.node !== null && typeof f.node === 'object') size.set(f.node, f.total)
    const parent = stack[stack.length - 1]
    if (parent) parent.total += alias ? f.total - 1 : f.total
    if (alias) {
      copied += f.total - 1
      if (copied > MAX_YAML_ALIAS_NODES) {
        return new InputError(`YAML aliases copy more than ${MAX_YAML_ALIAS_NODES} nodes (an alias bomb?); write the values out`, at(f.node))
      }
    }
  }
  return undefined
}

/** Node.toJS with the alias limit (mappings as Map, so no key is lost), its ReferenceError an InputError at the node. */
export function toJsBounded(node: Node, doc: Document.Parsed, where: () => { file: string; line?: number; column?: number }): unknown {
  try {
    return node.toJS(doc, { maxAliasCount: 10_000, mapAsMap: true })
  } catch (err) {
    if (err instanceof ReferenceError || err instanceof RangeError) throw new InputError(`YAML value cannot be expanded: ${err.message}`, where())
    throw err
  }
}
