// Shell-style globs for guest names (`web*`, `db-?`), matched against names and UUIDs.

export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (const ch of glob) {
    if (ch === '*') re += '.*'
    else if (ch === '?') re += '.'
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 'u')
}

export function matchesAny(patterns: readonly string[], ...candidates: string[]): boolean {
  return patterns.some((p) => {
    const re = globToRegExp(p)
    return candidates.some((c) => re.test(c))
  })
}
