// Ansible host patterns over an Inventory: `all`/`*`, unions `a:b` / `a,b`, intersections `a:&b`, exclusions
// `a:!b` (applied in that order whatever the writing order), globs, `~regex` (anchored at the start, like
// Python's re.match), subscripts `g[0]`, `g[-1]`, `g[0:2]` (end inclusive), `g[1:]`, and `@file` (one pattern
// per line). A name that is a host matches that host; otherwise groups match first and, for globs/regexes or
// when no group matched, hosts too. The result is in inventory order, deduplicated.

import { InputError } from '../core/errors.js'
import { compileGlob, compilePrefixRegex, type Matcher } from '../core/glob.js'
import { readInputFileSync } from '../core/input-file.js'
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

/** Terms one pattern may expand to through @files: each term is matched against the whole inventory. */
export const MAX_PATTERN_TERMS = 100_000

/**
 * Replace each `@file` term by the patterns of its lines (files may name further files; a file including itself is
 * an error). A worklist and plain pushes, not recursion and spread: a file of millions of lines must not overflow
 * the stack; files are read with the input size cap and the terms counted.
 */
function expandFiles(terms: string[]): string[] {
  const out: string[] = []
  const work = terms.map((t) => ({ term: t, chain: [] as string[] })).reverse()
  while (work.length > 0) {
    const { term, chain } = work.pop() as { term: string; chain: string[] }
    if (!term.startsWith('@')) {
      out.push(term)
      if (out.length > MAX_PATTERN_TERMS) throw new InputError(`host pattern has more than ${MAX_PATTERN_TERMS} terms (with its @files)`)
      continue
    }
    const file = term.slice(1)
    if (chain.includes(file)) throw new InputError(`host pattern file ${file} includes itself`)
    const text = readInputFileSync(file, 'host pattern file')
    const inner: Array<{ term: string; chain: string[] }> = []
    const next = [...chain, file]
    for (const raw of text.split(/\r?\n/)) {
      const l = raw.trim()
      if (l === '' || l.startsWith('#')) continue
      for (const t of splitPattern(l)) {
        inner.push({ term: t, chain: next })
        if (inner.length > MAX_PATTERN_TERMS) throw new InputError(`host pattern file ${file} has more than ${MAX_PATTERN_TERMS} terms`)
      }
    }
    for (let i = inner.length - 1; i >= 0; i--) work.push(inner[i] as { term: string; chain: string[] })
  }
  return out
}

const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(\d+):(-?\d*))\]$/

function matcher(term: string, original: string): Matcher {
  if (term.startsWith('~')) return compilePrefixRegex(term.slice(1), `invalid host pattern "${original}": bad regular expression ${term.slice(1)}`)
  return compileGlob(term, `invalid host pattern "${original}": bad glob`)
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
