// Durations as operators write them: `90` (seconds), `90s`, `5m`, `1h30m`, `500ms`, `2d`; at most MAX_DURATION_MS
// (7 days), so every duration fits Node's timers (which fire at once beyond 2^31-1 ms, about 24.8 days).

import { InputError } from './errors.js'

/** The longest duration accepted anywhere (timeouts, pauses, budgets): 7 days. */
export const MAX_DURATION_MS = 7 * 86_400_000

function checkMax(ms: number, what: string, input: string | number): number {
  if (!(ms <= MAX_DURATION_MS)) throw new InputError(`${what}: ${JSON.stringify(input)} is longer than the maximum duration of 7d (7 days)`)
  return ms
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parse a duration to milliseconds; throws InputError naming `what` on bad input. */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new InputError(`${what}: expected a non-negative number of seconds, got ${input}`)
    return checkMax(Math.round(input * 1000), what, input)
  }
  const text = input.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return checkMax(Math.round(Number(text) * 1000), what, input)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
    matched = re.lastIndex
  }
  if (text === '' || matched !== text.length) {
    throw new InputError(`${what}: expected seconds or a duration like 90s, 5m, 1h30m; got "${input}"`)
  }
  return checkMax(Math.round(total), what, input)
}

/** 850ms, 12.3s, 2m05s. Each unit is chosen after rounding, so 119.6 s is 2m00s (never 1m60s) and 999.6 ms is 1.0s. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  if (Math.round(ms / 100) < 600) return `${(ms / 1000).toFixed(1)}s`
  const total = Math.round(ms / 1000)
  return `${Math.floor(total / 60)}m${(total % 60).toString().padStart(2, '0')}s`
}
