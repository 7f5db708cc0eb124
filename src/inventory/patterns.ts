// Ansible host patterns over an Inventory: `all`/`*`, unions `a:b` / `a,b`, intersections `a:&b`, exclusions
// `a:!b` (applied in that order whatever the writing order), globs, `~regex` (anchored at the start, like
// Python's re.match), subscripts `g[0]`, `g[-1]`, `g[0:2]` (end inclusive), `g[1:]`, and `@file` (one pattern
// per line). A name that is a host matches that host; otherwise groups match first and, for globs/regexes or
// when no group matched, hosts too. The result is in inventory order, deduplicated.

import { readFileSync } from 'node:fs'
import { InputError } from '../core/errors.js'
import { groupHosts, type Inventory } from './model.js'

/** Split a pattern into terms: on commas, then on colons outside [brackets]. */
export function splitPattern(pattern: string): string[] {
  const out: string[] = []
  for (const part of pattern.split(',')) {
    let depth = 0
    let cur = ''
    for (const c of part) {
      if (c === '[') depth++
      else if (c === ']') depth--
      if (c === ':' && depth === 0) {
        out.push(cur)
        cur = ''
      } else cur += c
    }
    if (depth !== 0) throw new InputError(`invalid host pattern "${pattern}": unbalanced "[" / "]"`)
    out.push(cur)
  }
  const terms = out.map((t) => t.trim())
  if (terms.length > 1 && terms.some((t) => t === '' || t === '&' || t === '!')) {
    throw new InputError(`invalid host pattern "${pattern}": an empty term (check for a doubled or trailing ':' or ',')`)
  }
  return terms.filter((t) => t !== '')
}

function expandFiles(terms: string[], seen: Set<string> = new Set()): string[] {
  const out: string[] = []
  for (const t of terms) {
    if (!t.startsWith('@')) {
      out.push(t)
      continue
    }
    const file = t.slice(1)
    if (seen.has(file)) throw new InputError(`host pattern file ${file} includes itself`)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new InputError(`cannot read host pattern file ${file}: ${(err as Error).message}`)
    }
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
    out.push(
      ...expandFiles(
        lines.flatMap((l) => splitPattern(l)),
        new Set([...seen, file]),
      ),
    )
  }
  return out
}

const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(\d+):(-?\d*))\]$/

function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) re += '\\['
      else {
        let body = glob.slice(i + 1, end)
        const neg = body.startsWith('!')
        if (neg) body = body.slice(1)
        re += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
        i = end
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^(?:${re})$`, 's')
}

function matcher(term: string, original: string): RegExp {
  if (term.startsWith('~')) {
    try {
      return new RegExp(`^(?:${term.slice(1)})`)
    } catch (err) {
      throw new InputError(`invalid host pattern "${original}": bad regular expression ${term.slice(1)}: ${(err as Error).message}`)
    }
  }
  return globToRegExp(term)
}

function matchOne(inv: Inventory, term: string): string[] {
  let expr = term
  let sub: { start: number; end?: number; single: boolean } | undefined
  if (!expr.startsWith('~')) {
    const m = SUBSCRIPT.exec(expr)
    if (m) {
      expr = m[1] as string
      if (m[2] !== undefined) sub = { start: Number(m[2]), single: true }
      else sub = { start: Number(m[3]), end: m[4] === '' || m[4] === undefined ? -1 : Number(m[4]), single: false }
    }
  }
  if (expr === '') throw new InputError(`invalid host pattern "${term}"`)
  let hosts: string[]
  if (inv.hosts.has(expr)) hosts = [expr]
  else {
    const re = matcher(expr, term)
    const found: string[] = []
    const groups = [...inv.groups.keys()].filter((g) => re.test(g))
    for (const g of groups) found.push(...groupHosts(inv, g))
    if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) {
      for (const h of inv.hosts.keys()) if (re.test(h)) found.push(h)
    }
    hosts = [...new Set(found)]
  }
  if (!sub) return hosts
  if (sub.single) {
    const i = sub.start < 0 ? hosts.length + sub.start : sub.start
    const h = hosts[i]
    return h === undefined ? [] : [h]
  }
  const end = sub.end === undefined || sub.end === -1 ? hosts.length - 1 : sub.end
  return hosts.slice(sub.start, end + 1)
}

/** Host names selected by an Ansible pattern (default `all`), in inventory order. */
export function selectHosts(inv: Inventory, pattern?: string): string[] {
  const text = pattern?.trim() ?? ''
  const terms = expandFiles(splitPattern(text === '' ? 'all' : text))
  const plus = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))
  const and = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1).trim())
  const not = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1).trim())
  for (const t of [...and, ...not]) if (t === '') throw new InputError(`invalid host pattern "${text}": "&" or "!" without a name`)
  // Only & and ! terms: they restrict 'all', as in Ansible.
  const selected = new Set<string>()
  for (const t of plus.length > 0 ? plus : ['all']) for (const h of matchOne(inv, t)) selected.add(h)
  for (const t of and) {
    const keep = new Set(matchOne(inv, t))
    for (const h of [...selected]) if (!keep.has(h)) selected.delete(h)
  }
  for (const t of not) for (const h of matchOne(inv, t)) selected.delete(h)
  return [...inv.hosts.keys()].filter((h) => selected.has(h))
}
