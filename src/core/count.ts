// Whole-number flag and var values (`--forks 20`, `parallel: 4`): decimal digits only, within stated bounds, so a
// value like 99999999999999999999 (beyond 2^53, where integers lose precision) is a typed error, not a crash.

import { InputError } from './errors.js'

/** The largest count accepted by default: far above any fleet, far below where arithmetic loses precision. */
export const MAX_COUNT = 1_000_000

/** Parse a whole number in [min, max]; throws InputError naming `what` on anything else. */
export function parseCount(input: string | number, what: string, bounds: { min?: number; max?: number } = {}): number {
  const min = bounds.min ?? 0
  const max = bounds.max ?? MAX_COUNT
  const text = typeof input === 'number' ? String(input) : input.trim()
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError(`${what}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(String(input).slice(0, 40))}`)
  }
  return n
}
