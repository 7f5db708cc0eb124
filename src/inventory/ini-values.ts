// Small text helpers for Ansible's INI inventory: POSIX shell-like splitting with token columns (host lines,
// ssh args; Python's shlex.split) and Python-literal values (Ansible runs `ast.literal_eval` on every value:
// `22` is a number, `True` a boolean, `[1, 2]` a list, anything else stays a string).

import { pythonLiteral } from './python-literal.js'

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
          // shlex: inside "…" a backslash escapes only " and \ (no $ or ` as a shell would).
          if (input[i] === '\\' && i + 1 < input.length && '\\"'.includes(input[i + 1] as string)) i++
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

/**
 * Ansible's INI value (host-line `k=v` after shell unquoting, and the whole text after `=` in [group:vars]):
 * ast.literal_eval of it when that succeeds (`5`, `'x y'`, `True`, `[1, 2]`), else the text as written.
 */
export function iniHostValue(text: string): unknown {
  const r = pythonLiteral(text)
  return r.ok ? r.value : text
}
