// Ansible host patterns over an Inventory, evaluated as ansible-core's InventoryManager does: `all`/`*`, unions
// `a:b` / `a,b`, intersections `a:&b`, exclusions `a:!b` (unions first, then &, then !), globs, `~regex`
// (anchored at the start, like re.match), subscripts `g[0]`, `g[-1]`, `g[0:2]` (end inclusive), `g[1:]`, and
// `@file` (one pattern per line). The result is in Ansible's order: union terms in the order written, a
// group's own hosts before its children's; deduplicated.

import { InputError } from '../core/errors.js'
import { compileGlob, compilePrefixRegex, type Matcher } from '../core/glob.js'
import { readInputFileSync } from '../core/input-file.js'
import { groupHosts, type Inventory } from './model.js'
import { splitPattern } from './pattern-split.js'

export { splitPattern }

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

// Ansible's PATTERN_WITH_SUBSCRIPT: `[n]`, `[-n]`, `[a:b]`, `[a:]` (and the old `[a-b]`).
const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/

function matcher(term: string, original: string): Matcher {
  if (term.startsWith('~')) return compilePrefixRegex(term.slice(1), `invalid host pattern "${original}": bad regular expression ${term.slice(1)}`)
  return compileGlob(term, `invalid host pattern "${original}": bad glob`)
}

/** Ansible's _match_one_pattern: matching groups' hosts, then hosts (duplicates kept), then the subscript. */
function matchOne(inv: Inventory, term: string): string[] {
  let expr = term
  let sub: { start: number; end?: number } | undefined
  if (!expr.startsWith('~')) {
    const m = SUBSCRIPT.exec(expr)
    if (m) {
      expr = m[1] as string
      if (m[2] !== undefined) sub = { start: Number(m[2]) }
      else sub = { start: Number(m[3]), end: m[5] === '' ? -1 : Number(m[5]) }
    }
  }
  if (expr === '') throw new InputError(`invalid host pattern "${term}"`)
  const re = matcher(expr, term)
  const found: string[] = []
  const groups = [...inv.groups.keys()].filter((g) => re.test(g))
  for (const g of groups) found.push(...groupHosts(inv, g))
  if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) {
    for (const h of inv.hosts.keys()) if (re.test(h)) found.push(h)
  }
  if (!sub || found.length === 0) return found
  // Python's `if end:` — an end of 0 selects the start element alone, as in Ansible.
  if (sub.end) return found.slice(sub.start, (sub.end === -1 ? found.length - 1 : sub.end) + 1)
  const h = found.at(sub.start)
  if (h === undefined || sub.start < -found.length) throw new InputError(`no hosts matched the subscripted pattern "${term}" (it has ${found.length})`)
  return [h]
}

/** Host names selected by an Ansible pattern (default `all`), in Ansible's order. */
export function selectHosts(inv: Inventory, pattern?: string): string[] {
  const text = pattern?.trim() ?? ''
  const terms = expandFiles(splitPattern(text === '' ? 'all' : text))
  const plus = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))
  const and = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1).trim())
  const not = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1).trim())
  for (const t of [...and, ...not]) if (t === '') throw new InputError(`invalid host pattern "${text}": "&" or "!" without a name`)
  // Only & or ! terms: they restrict 'all', as in Ansible.
  let hosts: string[] = []
  for (const t of plus.length > 0 ? plus : ['all']) {
    if (inv.hosts.has(t)) hosts.push(t)
    else {
      const existing = new Set(hosts)
      hosts.push(...matchOne(inv, t).filter((h) => !existing.has(h)))
    }
  }
  for (const t of and) {
    const keep = new Set(matchOne(inv, t))
    hosts = hosts.filter((h) => keep.has(h))
  }
  for (const t of not) {
    const drop = new Set(matchOne(inv, t))
    hosts = hosts.filter((h) => !drop.has(h))
  }
  return [...new Set(hosts)]
}
