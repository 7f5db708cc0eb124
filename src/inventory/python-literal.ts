// Python's ast.literal_eval for the text of an INI inventory value, as Ansible's INI plugin calls it: strings
// (all quote forms, prefixes, escapes, adjacent-literal concatenation), numbers, True/False/None, lists,
// tuples, dicts, signed numbers, trailing `# comments`. Not literals here (Ansible then keeps the raw text):
// complex numbers, sets and \N{...} escapes. Integers beyond 2^53 lose precision (one JS number type).

export type LiteralResult = { ok: true; value: unknown } | { ok: false }

class NotLiteral extends Error {}

const SPACE = /[ \t\f]/
const DIGITS = String.raw`\d(?:_?\d)*`
const EXP = String.raw`[eE][-+]?${DIGITS}`
const FLOAT = new RegExp(String.raw`^(?:${DIGITS}\.(?:${DIGITS})?(?:${EXP})?|\.${DIGITS}(?:${EXP})?|${DIGITS}${EXP})`)
const INT = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*)/
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/
const STRING_START = /^([rRbBuU]|[rR][bB]|[bB][rR])?(['"])/

/** literal_eval(text) (after Python's own lstrip of spaces and tabs); `{ ok: false }` where Python raises. */
export function pythonLiteral(text: string): LiteralResult {
  const p = new Parser(text.replace(/^[ \t]+/, ''))
  try {
    const value = p.expression()
    p.skip()
    if (p.i !== p.s.length) return { ok: false }
    return { ok: true, value }
  } catch (err) {
    if (err instanceof NotLiteral) return { ok: false }
    throw err
  }
}

class Parser {
  i = 0
  constructor(readonly s: string) {}

  fail(): never {
    throw new NotLiteral()
  }

  /** Whitespace and a `#` comment to the end (newlines are whitespace here: inside brackets they are). */
  skip(): void {
    for (;;) {
      while (this.i < this.s.length && (SPACE.test(this.s[this.i] as string) || this.s[this.i] === '\n' || this.s[this.i] === '\r')) this.i++
      if (this.s[this.i] !== '#') return
      while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++
    }
  }

  /** A top-level expression: one value, or a bare tuple `1, 2`. */
  expression(): unknown {
    const first = this.value()
    this.skip()
    if (this.s[this.i] !== ',') return first
    const items = [first]
    while (this.s[this.i] === ',') {
      this.i++
      this.skip()
      if (this.i >= this.s.length) break
      items.push(this.value())
      this.skip()
    }
    return items
  }

  value(): unknown {
    this.skip()
    const rest = this.s.slice(this.i)
    const c = rest[0]
    if (c === undefined) this.fail()
    if (c === '[') return this.seq(']')
    if (c === '(') return this.paren()
    if (c === '{') return this.dict()
    if (STRING_START.test(rest)) return this.strings()
    if (c === '-' || c === '+') {
      this.i++
      this.skip()
      const n = this.number()
      return c === '-' ? -n : n
    }
    if (/[\d.]/.test(c)) return this.number()
    const name = NAME.exec(rest)
    if (name) {
      this.i += name[0].length
      if (name[0] === 'True') return true
      if (name[0] === 'False') return false
      if (name[0] === 'None') return null
    }
    return this.fail()
  }

  number(): number {
    const rest = this.s.slice(this.i)
    const f = FLOAT.exec(rest)
    const n = f ? undefined : INT.exec(rest)
    const m = f ?? n
    if (!m) this.fail()
    const after = rest[m[0].length]
    // `007`, `5abc`, `1j` (complex), `1_`: Python's tokenizer refuses them, so literal_eval does too.
    if (after !== undefined && /[\w.]/.test(after)) this.fail()
    this.i += m[0].length
    const t = m[0].replace(/_/g, '')
    if (f) return Number(t)
    if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16)
    if (/^0[oO]/.test(t)) return parseInt(t.slice(2), 8)
    if (/^0[bB]/.test(t)) return parseInt(t.slice(2), 2)
    return Number(t)
  }

  /** Adjacent string literals, concatenated; bytes (b'..') become text as Ansible's to_text makes them. */
  strings(): string {
    let text = ''
    let bytes: boolean | undefined
    for (;;) {
      const m = STRING_START.exec(this.s.slice(this.i))
      if (!m) break
      const prefix = (m[1] ?? '').toLowerCase()
      const isBytes = prefix.includes('b')
      if (bytes !== undefined && bytes !== isBytes) this.fail()
      bytes = isBytes
      this.i += prefix.length
      text += this.string(prefix.includes('r'), isBytes)
      this.skip()
    }
    return text
  }

  string(raw: boolean, bytes: boolean): string {
    const q = this.s[this.i] as string
    const triple = this.s.startsWith(q.repeat(3), this.i)
    const close = triple ? q.repeat(3) : q
    this.i += close.length
    let out = ''
    for (;;) {
      if (this.i >= this.s.length) this.fail()
      if (this.s.startsWith(close, this.i)) {
        this.i += close.length
        return out
      }
      const c = this.s[this.i] as string
      if (!triple && c === '\n') this.fail()
      if (c !== '\\') {
        if (bytes && c.charCodeAt(0) > 127) this.fail()
        out += c
        this.i++
        continue
      }
      const n = this.s[this.i + 1]
      if (n === undefined) this.fail()
      if (raw) {
        out += c + n // a raw string keeps the backslash, and \' does not end it
        this.i += 2
        continue
      }
      this.i += 2
      out += this.escape(n, bytes)
    }
  }

  escape(n: string, bytes: boolean): string {
    const simple: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }
    const s = simple[n]
    if (s !== undefined) return s
    if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,2}/.exec(this.s.slice(this.i)) ?? ['']
      this.i += m[0].length
      return String.fromCharCode(parseInt(n + m[0], 8))
    }
    const hexLen = n === 'x' ? 2 : !bytes && n === 'u' ? 4 : !bytes && n === 'U' ? 8 : 0
    if (hexLen > 0) {
      const hex = this.s.slice(this.i, this.i + hexLen)
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) this.fail()
      this.i += hexLen
      const cp = parseInt(hex, 16)
      if (cp > 0x10ffff) this.fail()
      return String.fromCodePoint(cp)
    }
    if (n === 'N' && !bytes) this.fail()
    return `\\${n}` // an unknown escape keeps its backslash (Python warns, and keeps it)
  }

  seq(close: string): unknown[] {
    this.i++
    return this.items(close)
  }

  /** Comma-separated values up to `close` (a trailing comma allowed). */
  items(close: string): unknown[] {
    const out: unknown[] = []
    for (;;) {
      this.skip()
      if (this.s[this.i] === close) {
        this.i++
        return out
      }
      out.push(this.value())
      this.skip()
      if (this.s[this.i] === ',') this.i++
      else if (this.s[this.i] !== close) this.fail()
    }
  }

  /** `( … )`: a parenthesised value, or a tuple when a comma appears (`()` is the empty tuple). */
  paren(): unknown {
    this.i++
    this.skip()
    if (this.s[this.i] === ')') {
      this.i++
      return []
    }
    const first = this.value()
    this.skip()
    if (this.s[this.i] === ')') {
      this.i++
      return first
    }
    if (this.s[this.i] !== ',') this.fail()
    this.i++
    return [first, ...this.items(')')]
  }

  dict(): Record<string, unknown> {
    this.i++
    const out: Record<string, unknown> = {}
    for (;;) {
      this.skip()
      if (this.s[this.i] === '}') {
        this.i++
        return out
      }
      const k = this.value()
      this.skip()
      if (this.s[this.i] !== ':') this.fail() // a set ({1, 2}) is not representable: keep the text
      this.i++
      out[jsonKey(k)] = this.value()
      this.skip()
      if (this.s[this.i] === ',') this.i++
      else if (this.s[this.i] !== '}') this.fail()
    }
  }
}

/** A dict key as Python's json.dumps writes it (True → "true", None → "null", 1.0 → "1.0"). */
function jsonKey(k: unknown): string {
  if (k === true) return 'true'
  if (k === false) return 'false'
  if (k === null) return 'null'
  if (typeof k === 'string' || typeof k === 'number') return String(k)
  throw new NotLiteral() // a list or dict key is unhashable in Python
}
