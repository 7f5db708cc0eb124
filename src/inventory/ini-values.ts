// Small text helpers for Ansible's INI inventory: POSIX shell-like splitting with token columns (host lines,
// ssh args) and Python-literal values (Ansible runs `ast.literal_eval` on host-line values: `22` is a number,
// `True` a boolean, `[1, 2]` a list, anything else stays a string).

export interface Token {
  text: string
  /** 0-based offset of the token's first character in the input. */
  offset: number
}

/** shlex.split(line, comments=True): whitespace-separated, '…' and "…" quoting, backslash escapes, # comments. */
export function shellSplit(input: string, comments = true): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i] as string)) i++
    if (i >= input.length) break
    if (comments && input[i] === '#') break
    const start = i
    let text = ''
    let quoted = false
    while (i < input.length && !/\s/.test(input[i] as string)) {
      const c = input[i] as string
      if (comments && c === '#') break
      if (c === "'") {
        const end = input.indexOf("'", i + 1)
        if (end < 0) throw new Error('no closing quotation')
        text += input.slice(i + 1, end)
        i = end + 1
        quoted = true
      } else if (c === '"') {
        i++
        while (i < input.length && input[i] !== '"') {
          if (input[i] === '\\' && i + 1 < input.length && '\\"$`\n'.includes(input[i + 1] as string)) i++
          text += input[i]
          i++
        }
        if (i >= input.length) throw new Error('no closing quotation')
        i++
        quoted = true
      } else if (c === '\\' && i + 1 < input.length) {
        text += input[i + 1]
        i += 2
      } else {
        text += c
        i++
      }
    }
    if (text !== '' || quoted) out.push({ text, offset: start })
    if (comments && input[i] === '#') break
  }
  return out
}

/** Python literal_eval, for what can appear in an inventory; `{ ok: false }` when the text is not a literal. */
export function parsePythonLiteral(text: string): { ok: true; value: unknown } | { ok: false } {
  const p = new PyParser(text)
  try {
    p.ws()
    const value = p.value()
    p.ws()
    if (p.i !== text.length) return { ok: false }
    return { ok: true, value }
  } catch {
    return { ok: false }
  }
}

/** Ansible's INI host-line value: a Python literal when it is one, else the string as written. */
export function iniHostValue(text: string): unknown {
  const r = parsePythonLiteral(text)
  return r.ok ? r.value : text
}

class PyParser {
  i = 0
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++
  }

  value(): unknown {
    this.ws()
    const rest = this.s.slice(this.i)
    const c = rest[0]
    if (c === undefined) throw new Error('end')
    if (c === '[') return this.seq('[', ']')
    if (c === '(') return this.seq('(', ')')
    if (c === '{') return this.dict()
    if (c === "'" || c === '"') return this.str()
    const kw = /^(True|False|None)(?![\w])/.exec(rest)
    if (kw) {
      this.i += kw[0].length
      return kw[1] === 'True' ? true : kw[1] === 'False' ? false : null
    }
    // Python 3 rejects leading zeros on non-zero integers (SyntaxError → the text stays a string).
    const num =
      /^[-+]?(?:(?:\d[\d_]*)?\.\d[\d_]*(?:[eE][-+]?\d+)?|\d[\d_]*\.(?:[eE][-+]?\d+)?|\d[\d_]*[eE][-+]?\d+|0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[1-9][\d_]*|0+)(?![\w.])/.exec(
        rest,
      )
    if (num) {
      this.i += num[0].length
      const t = num[0].replace(/_/g, '')
      const sign = t.startsWith('-') ? -1 : 1
      const body = t.replace(/^[-+]/, '')
      if (/^0[xob]/i.test(body)) return sign * Number(body)
      return sign * Number(body)
    }
    throw new Error('not a literal')
  }

  str(): string {
    const q = this.s[this.i] as string
    this.i++
    let out = ''
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\' && this.i + 1 < this.s.length) {
        const n = this.s[this.i + 1] as string
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n
        this.i += 2
      } else {
        out += this.s[this.i]
        this.i++
      }
    }
    if (this.i >= this.s.length) throw new Error('unterminated string')
    this.i++
    return out
  }

  seq(open: string, close: string): unknown[] {
    this.i++
    const out: unknown[] = []
    for (;;) {
      this.ws()
      if (this.s[this.i] === close) {
        this.i++
        return out
      }
      out.push(this.value())
      this.ws()
      if (this.s[this.i] === ',') this.i++
      else if (this.s[this.i] !== close) throw new Error(`expected , or ${open}${close}`)
    }
  }

  dict(): Record<string, unknown> {
    this.i++
    const out: Record<string, unknown> = {}
    for (;;) {
      this.ws()
      if (this.s[this.i] === '}') {
        this.i++
        return out
      }
      const k = this.value()
      this.ws()
      if (this.s[this.i] !== ':') throw new Error('expected :')
      this.i++
      out[String(k)] = this.value()
      this.ws()
      if (this.s[this.i] === ',') this.i++
      else if (this.s[this.i] !== '}') throw new Error('expected , or }')
    }
  }
}
