// Shell-style globs, one dialect for guest names (`--guests`), guest-ordering vars and host patterns (`--limit`):
// `*`, `?`, classes `[12]`, `[a-f]`, `[!0-9]` (Python's fnmatch, as Ansible uses); an unclosed `[` is a literal.
// Globs and user-given regular expressions are matched by a
// linear-time engine (RE2): a pattern like `*a*a*a*a*b` or `(a*)*b` costs time linear in the name, never
// exponential. A malformed glob or regex is an InputError naming it; backreferences and lookaround are unsupported.

import { RE2JS } from 're2js'
import { InputError } from './errors.js'

export interface Matcher {
  test(text: string): boolean
}

/** Longest glob or regex accepted: RE2 compiles in time and memory that grow with the pattern (and its repeats). */
export const MAX_PATTERN_LENGTH = 4096

function compile(source: string, flags: number, what: string, hint = ''): RE2JS {
  if (source.length > MAX_PATTERN_LENGTH) throw new InputError(`${what}: longer than ${MAX_PATTERN_LENGTH} characters`)
  try {
    return RE2JS.compile(source, flags)
  } catch (err) {
    throw new InputError(`${what}: ${(err as Error).message}${hint}`)
  }
}

/**
 * A glob as RE2 syntax: `*` any run, `?` one character, `[...]` a class (`[!...]` negated) when it has a closing
 * `]` (`[]...]` and `[!]...]` include the `]`); everything else literal.
 */
function globSource(glob: string): string {
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
        re += `[${neg ? '^' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`
        i = end
      }
    } else re += RE2JS.quote(c)
  }
  return re
}

/** A glob matching whole names; InputError for an invalid class like `[z-a]`. */
export function compileGlob(glob: string, what = `invalid glob "${glob}"`): Matcher {
  const re = compile(globSource(glob), RE2JS.DOTALL, what)
  return { test: (text) => re.matches(text) }
}

/** A user regex anchored at the start only (like Python's re.match, as Ansible's `~regex` patterns). */
export function compilePrefixRegex(source: string, what = `invalid regular expression "${source}"`): Matcher {
  const re = compile(source, 0, what, ' (RE2 syntax: lookaround and backreferences are not supported)')
  return { test: (text) => re.matcher(text).lookingAt() }
}

export function matchesAny(patterns: readonly string[], ...candidates: string[]): boolean {
  return patterns.some((p) => {
    const re = compileGlob(p)
    return candidates.some((c) => re.test(c))
  })
}
