// A small JSON Schema (2020-12 subset) checker for tests: enough for the keywords our schemas use
// ($ref to #/$defs, type, enum, const, oneOf, anyOf, properties, required, additionalProperties, items,
// minItems, minLength, minimum, maximum, pattern). Unknown keywords throw, so the schema cannot outgrow it silently.

type Schema = Record<string, unknown> | boolean
const KNOWN = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'type',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'minLength',
  'minimum',
  'maximum',
  'exclusiveMaximum',
  'pattern',
  'propertyNames',
  'examples',
  'default',
])

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

export function validate(root: Record<string, unknown>, value: unknown): string[] {
  const errors: string[] = []
  const check = (schema: Schema, v: unknown, at: string): boolean => {
    if (schema === true) return true
    if (schema === false) return fail(at, 'false schema')
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`mini-json-schema: unsupported keyword ${k}`)
    let ok = true
    const sub = (s: Schema, x: unknown, where: string) => check(s, x, where)
    function fail(where: string, msg: string): false {
      errors.push(`${where || '/'}: ${msg}`)
      return false
    }
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.replace(/^#\/\$defs\//, '')
      const target = (root.$defs as Record<string, Schema>)[name]
      if (target === undefined) throw new Error(`bad $ref ${schema.$ref}`)
      ok = sub(target, v, at) && ok
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type]
      const t = typeOf(v)
      if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return fail(at, `expected ${types.join('|')}, got ${t}`)
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
      ok = fail(at, `not in enum ${JSON.stringify(schema.enum)}`)
    if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(v)) ok = fail(at, `not ${JSON.stringify(schema.const)}`)
    for (const kw of ['oneOf', 'anyOf'] as const) {
      const alts = schema[kw] as Schema[] | undefined
      if (!alts) continue
      const before = errors.length
      const matches = alts.filter((s) => {
        const n = errors.length
        const r = sub(s, v, at)
        errors.length = n
        return r
      }).length
      errors.length = before
      if (kw === 'oneOf' ? matches !== 1 : matches === 0) ok = fail(at, `${kw}: ${matches} alternatives matched`)
    }
    if (typeof v === 'string') {
      if (typeof schema.minLength === 'number' && v.length < schema.minLength) ok = fail(at, 'too short')
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) ok = fail(at, `does not match ${schema.pattern}`)
    }
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) ok = fail(at, `< ${schema.minimum}`)
      if (typeof schema.maximum === 'number' && v > schema.maximum) ok = fail(at, `> ${schema.maximum}`)
      if (typeof schema.exclusiveMaximum === 'number' && v >= schema.exclusiveMaximum) ok = fail(at, `>= ${schema.exclusiveMaximum}`)
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems) ok = fail(at, 'too few items')
      if (schema.items !== undefined) v.forEach((x, i) => (ok = sub(schema.items as Schema, x, `${at}/${i}`) && ok))
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>
      const props = (schema.properties ?? {}) as Record<string, Schema>
      for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) ok = fail(at, `missing ${r}`)
      for (const [k, x] of Object.entries(obj)) {
        if (k in props) ok = sub(props[k] as Schema, x, `${at}/${k}`) && ok
        else if (schema.additionalProperties !== undefined) ok = sub(schema.additionalProperties as Schema, x, `${at}/${k}`) && ok
        if (schema.propertyNames !== undefined) ok = sub(schema.propertyNames as Schema, k, `${at}/${k}(name)`) && ok
      }
    }
    return ok
  }
  check(root, value, '')
  return errors
}
