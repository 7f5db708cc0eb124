// One line of `key=value` options for --check: set options only, durations in seconds, lists comma-joined.

export const secs = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : `${ms / 1000}s`)
export const list = (xs: readonly string[] | undefined): string | undefined => (xs && xs.length > 0 ? xs.join(',') : undefined)

export function optionLine(fields: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? k : `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`))
    .join(' ')
}
