// "Did you mean ...?" for misspelt keys and step kinds.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number) => (d[i] as number[])[j] as number
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1)
      ;(d[i] as number[])[j] = v
    }
  }
  return at(a.length, b.length)
}

/** The closest candidate within a third of the word's length (at least 2 edits), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  const limit = Math.max(2, Math.floor(word.length / 3))
  let best: string | undefined
  let bestD = Infinity
  for (const c of candidates) {
    // The distance is at least the length difference: skip the quadratic table when it cannot be close enough.
    if (Math.abs(w.length - c.length) > limit) continue
    const dist = editDistance(w, c)
    if (dist < bestD) {
      best = c
      bestD = dist
    }
  }
  return bestD <= limit ? best : undefined
}
