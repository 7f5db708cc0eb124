// Tiny shape checkers for data read back from disk: each returns undefined when the value fits, else what is wrong
// and where (`event.report.hosts[2].status: expected one of ...`). No coercion, no defaults: a value either fits the
// type the rest of the code assumes or the whole file is refused.

export type Check = (x: unknown, path: string) => string | undefined

const describe = (x: unknown): string =>
  x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'string' ? `"${x.length > 40 ? `${x.slice(0, 40)}…` : x}"` : typeof x

export const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

export const str: Check = (x, p) => (typeof x === 'string' ? undefined : `${p}: expected a string, got ${describe(x)}`)
export const bool: Check = (x, p) => (typeof x === 'boolean' ? undefined : `${p}: expected true or false, got ${describe(x)}`)
/** A finite number (JSON's 1e400 is Infinity). */
export const num: Check = (x, p) => (typeof x === 'number' && Number.isFinite(x) ? undefined : `${p}: expected a number, got ${describe(x)}`)
export const int =
  (min: number, max: number): Check =>
  (x, p) =>
    typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max ? undefined : `${p}: expected an integer ${min}..${max}, got ${describe(x)}`
/**
 * A timestamp field. Only its type is checked: consumers compute with `Date.parse` and guard against NaN, and tests
 * and older runs write placeholders; a stricter check would refuse runs that read fine.
 */
export const time: Check = str

export const oneOf =
  (...values: readonly string[]): Check =>
  (x, p) =>
    typeof x === 'string' && values.includes(x) ? undefined : `${p}: expected one of ${values.join(', ')}, got ${describe(x)}`

export const arrayOf =
  (item: Check): Check =>
  (x, p) => {
    if (!Array.isArray(x)) return `${p}: expected a list, got ${describe(x)}`
    for (let i = 0; i < x.length; i++) {
      const bad = item(x[i], `${p}[${i}]`)
      if (bad) return bad
    }
    return undefined
  }

/** Any plain object (free-form maps such as a run's recorded options). */
export const anyObject: Check = (x, p) => (isPlainObject(x) ? undefined : `${p}: expected an object, got ${describe(x)}`)

/** An object with these required and optional fields (own properties only; other fields are ignored). */
export const obj =
  (required: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (x, p) => {
    if (!isPlainObject(x)) return `${p}: expected an object, got ${describe(x)}`
    for (const [k, c] of Object.entries(required)) {
      if (!Object.hasOwn(x, k)) return `${p}.${k}: missing`
      const bad = c(x[k], `${p}.${k}`)
      if (bad) return bad
    }
    for (const [k, c] of Object.entries(optional)) {
      if (!Object.hasOwn(x, k) || x[k] === undefined) continue
      const bad = c(x[k], `${p}.${k}`)
      if (bad) return bad
    }
    return undefined
  }

/** Pick the check by the value's `type` field; `fallback` for types not listed (undefined = refused). */
export const byType =
  (checks: Record<string, Check>, fallback?: Check): Check =>
  (x, p) => {
    if (!isPlainObject(x)) return `${p}: expected an object, got ${describe(x)}`
    const t = x.type
    if (typeof t !== 'string') return `${p}.type: expected a string, got ${describe(t)}`
    const c = Object.hasOwn(checks, t) ? checks[t] : fallback
    if (!c) return `${p}.type: unknown type "${t.length > 40 ? `${t.slice(0, 40)}…` : t}"`
    return c(x, p)
  }
