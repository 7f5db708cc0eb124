// Shell-style globs, one dialect for guest names (`--guests`), guest-ordering vars and host patterns (`--limit`):
// `*`, `?`, and character classes `[12]`, `[a-f]`, `[!0-9]` (Python's fnmatch, as Ansible uses). An unclosed `[` is
// a literal. Matched against whole names (and UUIDs).

export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      // fnmatch: a `]` right after `[` (or `[!`) belongs to the class.
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

export function matchesAny(patterns: readonly string[], ...candidates: string[]): boolean {
  return patterns.some((p) => {
    const re = globToRegExp(p)
    return candidates.some((c) => re.test(c))
  })
}
