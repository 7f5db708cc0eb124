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

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return `${m}m${s.toString().padStart(2, '0')}s`
}
