// The one host-pattern splitter (Ansible's split_host_pattern), shared by --limit selection and the playbook's
// `hosts:` syntax check: on ',' when the pattern has one (then ':' is part of a term), else the whole pattern
// when it is one address (`hv1:2222`, `2001:db8::7`, `web[1:3]`), else on ':' outside [brackets].

import { InputError } from '../core/errors.js'

export interface PatternTerm {
  /** The term as written (not trimmed; may be empty for a doubled separator). */
  text: string
  /** Index of the term's first character in the pattern. */
  index: number
}

const RANGE = String.raw`\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${RANGE})(?:[\p{L}\p{N}_-]|${RANGE})*`
const HOSTNAME_PORT = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*(?::[0-9]+)?$`, 'u')
const IPV4_PORT = /^(?:(?:[0-9]+|\[[0-9]+:[0-9]+(?::[0-9]+)?\])\.){3}(?:[0-9]+|\[[0-9]+:[0-9]+(?::[0-9]+)?\])(?::[0-9]+)?$/
const IPV6 = /^(?:\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::[0-9]+)?|[0-9a-fA-F]*:[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/

/** Ansible's parse_address(pattern, allow_ranges=True) succeeding: the pattern is one host (with a port). */
function isAddress(p: string): boolean {
  if (/[_-]$/.test(p.replace(/:[0-9]+$/, ''))) return false // a label may not end with - or _
  // A bare IPv6 address needs a digit here: `a::b` is read as the terms a, b (a doubled ':' is then an error).
  return HOSTNAME_PORT.test(p) || IPV4_PORT.test(p) || (IPV6.test(p) && /[0-9]/.test(p))
}

/** Raw terms with their positions; no validation (see splitPattern for the checked form). */
export function splitHostPatternTerms(pattern: string): PatternTerm[] {
  const split = (sep: string, bracketAware: boolean): PatternTerm[] => {
    const out: PatternTerm[] = []
    let depth = 0
    let start = 0
    for (let i = 0; i <= pattern.length; i++) {
      const ch = pattern[i]
      if (bracketAware && ch === '[') depth++
      else if (bracketAware && ch === ']') depth = Math.max(0, depth - 1)
      if (i === pattern.length || (ch === sep && depth === 0)) {
        out.push({ text: pattern.slice(start, i), index: start })
        start = i + 1
      }
    }
    return out
  }
  if (pattern.includes(',')) return split(',', false)
  if (isAddress(pattern.trim())) return [{ text: pattern, index: 0 }]
  return split(':', true)
}

/**
 * Trimmed terms of a pattern. Stricter than Ansible, which drops them silently: an empty term (doubled or
 * trailing separator) and unbalanced brackets are InputErrors.
 */
export function splitPattern(pattern: string): string[] {
  const terms = splitHostPatternTerms(pattern).map((t) => t.text.trim())
  if (terms.length > 1 && terms.some((t) => t === '' || t === '&' || t === '!')) {
    throw new InputError(`invalid host pattern "${pattern}": an empty term (check for a doubled or trailing ':' or ',')`)
  }
  for (const t of terms) {
    let depth = 0
    for (const c of t) {
      if (c === '[') depth++
      else if (c === ']') depth--
      if (depth < 0) break
    }
    if (depth !== 0 && !t.startsWith('~')) throw new InputError(`invalid host pattern "${pattern}": unbalanced "[" / "]"`)
  }
  return terms.filter((t) => t !== '')
}
