// Playbook text to a YAML document, behind limits a hostile file cannot get past (size, nesting, unknown aliases),
// plus the node helpers every section parser shares: offsets, alias lookup, names of keys, "got ..." descriptions.
// Aliases are resolved through one table built in a single pass (yaml's own lookup walks the document per alias).

import { Lexer, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type Node, type Pair } from 'yaml'

import { IssueList } from './issues.js'
import type { SourcePos } from './types.js'

/**
 * Playbooks are small (the examples are 1-2 KiB); past this size a file is refused before parsing. yaml needs about
 * half a second of CPU for 32 KiB of the worst broken input (thousands of errors), and the bound is one second.
 */
export const MAX_PLAYBOOK_BYTES = 32 * 1024
/** Deepest nesting of flow collections, or of block indicators on one line, accepted. */
export const MAX_NESTING = 64

const CONTROL_TOKENS = new Set(['\x02', '\x18', '\x1f'])

export class Source {
  readonly issues: IssueList
  private readonly lineStarts: number[] = [0]
  private readonly aliases = new Map<Alias, Node>()
  private document: Document.Parsed | undefined

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1)
    this.issues = new IssueList((offset) => this.posOf(offset))
  }

  get root(): Node | null {
    return this.deref((this.document?.contents ?? null) as Node | null)
  }

  posOf(offset: number): SourcePos {
    let lo = 0
    let hi = this.lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.lineStarts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return { file: this.file, line: lo + 1, column: offset - (this.lineStarts[lo] as number) + 1 }
  }

  issue(offset: number, message: string): void {
    this.issues.add(offset, message)
  }

  /** Where a node starts (or `fallback` for an absent node). */
  at(node: Node | null | undefined, fallback = 0): number {
    return node?.range?.[0] ?? fallback
  }

  /** The node an alias stands for; any other node as is. */
  deref(node: Node | null | undefined): Node | null {
    if (node === undefined || node === null) return null
    return isAlias(node) ? (this.aliases.get(node) ?? null) : node
  }

  /** Offset of `index` inside a scalar's text, when the source shows the value verbatim (else the value's start). */
  inside(node: Node, value: string, index: number): number {
    const [s, e] = node.range ?? [0, 0]
    const src = this.text.slice(s, e)
    if (src === value) return s + index
    if (src.length === value.length + 2 && src.slice(1, -1) === value) return s + 1 + index
    return s
  }

  describe(node: Node | null): string {
    if (node === null) return 'nothing'
    if (isMap(node)) return 'a mapping'
    if (isSeq(node)) return 'a list'
    if (isScalar(node)) {
      const v = node.value
      if (v === null || v === undefined) return 'nothing'
      if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)})`
      if (typeof v === 'boolean') return `a boolean (${v})`
      if (typeof v === 'number') return `a number (${Number.isFinite(v) ? JSON.stringify(v) : String(v)})`
      return 'a tagged value'
    }
    return 'something else'
  }

  /** A key written as a name (or a number); undefined for null, mapping or list keys. */
  keyName(pair: Pair): string | undefined {
    const k = this.deref(pair.key as Node | null)
    if (!isScalar(k)) return undefined
    return typeof k.value === 'string' ? k.value : typeof k.value === 'number' ? this.written(k) : undefined
  }

  /** A scalar as written: `1.10` stays "1.10" (not "1.1"), `0x10` stays "0x10"; strings as they are. */
  written(node: Node & { value?: unknown; source?: unknown }): string {
    if (typeof node.value === 'string') return node.value
    return typeof node.source === 'string' && node.source !== '' ? node.source : String(node.value)
  }

  /** Items of a list (aliases resolved), or the node itself as a one-item list. */
  itemsOf(node: Node | null): Array<Node | null> {
    return isSeq(node) ? (node.items as Array<Node | null>).map((n) => this.deref(n)) : [node]
  }

  keyAt(pair: Pair, fallback = 0): number {
    return this.at(pair.key as Node | null, fallback)
  }

  valueOf(pair: Pair): Node | null {
    return this.deref(pair.value as Node | null)
  }

  /** Parse the text; refuses (PlaybookError) oversized, too deep or broken YAML, and unknown aliases. */
  load(): this {
    const bytes = Buffer.byteLength(this.text, 'utf8')
    if (bytes > MAX_PLAYBOOK_BYTES) {
      const cut = Buffer.from(this.text, 'utf8').subarray(0, MAX_PLAYBOOK_BYTES).toString('utf8').length
      this.issue(Math.min(cut, this.text.length), `the playbook is larger than ${MAX_PLAYBOOK_BYTES / 1024} KiB, the limit for a playbook`)
      this.issues.throwIfAny()
    }
    const deep = tooDeepAt(this.text)
    if (deep !== undefined) this.issue(deep, `YAML nested more than ${MAX_NESTING} levels deep`)
    this.issues.throwIfAny()
    let doc: Document.Parsed
    try {
      doc = parseQuietly(this.text)
    } catch (err) {
      // yaml reports problems as document errors; this is a safety net so a library failure stays an input error.
      this.issue(0, `cannot parse the YAML: ${err instanceof Error ? err.message : String(err)}`)
      return this.issues.throwIfAny() as never
    }
    for (const e of doc.errors) this.issue(e.pos[0], e.code === 'DUPLICATE_KEY' ? `duplicate key (${e.message})` : e.message)
    this.issues.throwIfAny()
    this.document = doc
    this.indexAliases(doc)
    this.issues.throwIfAny()
    return this
  }

  private indexAliases(doc: Document.Parsed): void {
    // Document order, as YAML defines it: an alias refers to the last anchor of that name before it.
    const anchors = new Map<string, Node>()
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source)
          if (target) this.aliases.set(node, target)
          else this.issue(this.at(node), `unknown alias *${node.source} (an anchor &${node.source} must come before it)`)
        } else if (node.anchor) anchors.set(node.anchor, node)
      },
    })
  }
}

/**
 * Offset where flow collections ([ {) nest deeper than MAX_NESTING, or where one line holds more block indicators
 * (- ? : outside flow collections) than that; the yaml parser's time grows with the square of such nesting. The lexer is linear.
 */
function tooDeepAt(text: string): number | undefined {
  let offset = 0
  let flow = 0
  let onLine = 0
  for (const token of new Lexer().lex(text)) {
    if (CONTROL_TOKENS.has(token)) continue
    if (token === '[' || token === '{') flow++
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1)
    else if (flow === 0 && (token === '-' || token === '?' || token === ':')) onLine++
    else if (token === '\n' || token === '\r\n') onLine = 0
    if (flow > MAX_NESTING || onLine > MAX_NESTING) return offset
    offset += token.length
  }
  return undefined
}

function parseQuietly(text: string): Document.Parsed {
  // yaml makes an Error per problem; on broken input, thousands of stack traces cost more than the parse itself.
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return parseDocument(text, { prettyErrors: false, uniqueKeys: true })
  } finally {
    Error.stackTraceLimit = limit
  }
}
