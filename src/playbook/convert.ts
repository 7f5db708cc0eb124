// One YAML value checked against one ParamSpec (spec.ts) and converted to its typed form: one small function per
// parameter type. A wrong value records an issue at the value and yields undefined; nothing here throws.

import { isScalar, isSeq, type Node } from 'yaml'

import { parseDuration } from '../core/duration.js'
import { errorMessage } from '../core/errors.js'
import { ACTIONS, type Action } from '../core/types.js'
import { parseReadyProbe } from '../libvirt/readiness.js'
import { parseHeadroom } from '../engine/evacuate/settings.js'
import type { ParamSpec, ParamType } from './spec.js'
import { closest } from './suggest.js'
import type { Source } from './yaml-source.js'

/**
 * Node's timers overflow past 2^31-1 ms (they fire at once): no wait may be longer. A backstop: the duration parser
 * (core/duration.ts) states the real, lower maximum.
 */
export const MAX_WAIT_MS = 2 ** 31 - 1

interface Value {
  src: Source
  /** Name shown in messages, e.g. `reboot.reboot_timeout`. */
  what: string
  node: Node | null
  /** Offset of the value (or of its key when the value is absent). */
  at: number
}

type Converter<T extends ParamType['type']> = (v: Value, p: Extract<ParamType, { type: T }>) => unknown

function wrong(v: Value, expected: string): undefined {
  v.src.issue(v.at, `${v.what}: expected ${expected}, got ${v.src.describe(v.node)}`)
  return undefined
}

const scalarOf = (node: Node | null): unknown => (isScalar(node) ? node.value : undefined)

function checkWait(v: Value, ms: number): number | undefined {
  if (ms <= MAX_WAIT_MS) return ms
  v.src.issue(v.at, `${v.what}: at most 24 days (2^31 ms), got ${Math.round(ms / 86_400_000)} days`)
  return undefined
}

/** Through the one duration parser, so its maximum applies; a typed error from it becomes an issue here. */
function durationMs(v: Value, written: string | number): number | undefined {
  try {
    return checkWait(v, parseDuration(written, v.what))
  } catch (err) {
    v.src.issue(v.at, errorMessage(err))
    return undefined
  }
}

const duration: Converter<'duration'> = (v) => {
  const s = scalarOf(v.node)
  if (typeof s !== 'string' && typeof s !== 'number') return wrong(v, 'a duration (90, 90s, 5m, 1h30m)')
  return durationMs(v, s)
}

const number = (v: Value, p: Extract<ParamType, { type: 'integer' | 'number' }>): unknown => {
  const range = `${p.type === 'integer' ? 'a whole number' : 'a number'} >= ${p.min}${p.max !== undefined ? ` and <= ${p.max}` : ''}`
  const s = scalarOf(v.node)
  if (typeof s !== 'number' || !Number.isFinite(s)) return wrong(v, range)
  if ((p.type === 'integer' && !Number.isInteger(s)) || s < p.min || (p.max !== undefined && s > p.max)) return wrong(v, range)
  return p.type === 'number' && p.durationUnit ? durationMs(v, `${s}${p.durationUnit}`) : s
}

const boolean: Converter<'boolean'> = (v) => {
  const s = scalarOf(v.node)
  return typeof s === 'boolean' ? s : wrong(v, 'true or false')
}

const string: Converter<'string'> = (v) => {
  const s = scalarOf(v.node)
  if (typeof s !== 'string' || s.trim() === '') return wrong(v, 'a non-empty string')
  if (s.includes('\0')) return wrong(v, 'text without NUL characters')
  return s
}

const enumeration: Converter<'enum'> = (v, p) => {
  const s = scalarOf(v.node)
  if (typeof s === 'string' && p.values.includes(s)) return s
  const hint = typeof s === 'string' ? closest(s, p.values) : undefined
  return wrong(v, `one of ${p.values.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`)
}

const actions: Converter<'actions'> = (v) => {
  const out: Action[] = []
  for (const item of v.src.itemsOf(v.node)) {
    const s = scalarOf(item)
    if (typeof s !== 'string' || !(ACTIONS as readonly string[]).includes(s)) {
      v.src.issue(v.src.at(item, v.at), `${v.what}: expected ${ACTIONS.join(', ')} (or a list of them), got ${v.src.describe(item)}`)
      return undefined
    }
    out.push(s as Action)
  }
  return out.length > 0 ? out : wrong(v, 'at least one action')
}

const command: Converter<'command'> = (v) => {
  const s = scalarOf(v.node)
  if (typeof s === 'string' && s.trim() !== '') return s.includes('\0') ? wrong(v, 'a command line without NUL characters') : s
  if (!isSeq(v.node) || v.node.items.length === 0) return wrong(v, 'a command line or a non-empty argv list')
  const argv: string[] = []
  for (const item of v.src.itemsOf(v.node)) {
    const value = scalarOf(item)
    const text = (typeof value === 'string' || typeof value === 'number') && item ? v.src.written(item) : undefined
    if (text === undefined || text.includes('\0')) {
      const why = text === undefined ? `must be strings, got ${v.src.describe(item)}` : 'cannot contain NUL characters'
      v.src.issue(v.src.at(item, v.at), `${v.what}: argv items ${why}`)
      return undefined
    }
    argv.push(text)
  }
  return argv
}

const ready: Converter<'ready'> = (v) => {
  const s = scalarOf(v.node)
  if (typeof s !== 'string') return wrong(v, 'a readiness probe (none, agent, tcp:PORT, console:TEXT, command:CMD)')
  try {
    return parseReadyProbe(s, v.what)
  } catch (err) {
    v.src.issue(v.at, errorMessage(err))
    return undefined
  }
}

/** Through the one headroom parser (engine/evacuate/settings.ts), as the flag and the inventory var. */
const percent: Converter<'percent'> = (v) => {
  const s = scalarOf(v.node)
  try {
    return parseHeadroom(s, v.what)
  } catch (err) {
    v.src.issue(v.at, errorMessage(err))
    return undefined
  }
}

const CONVERTERS: { [T in ParamType['type']]: Converter<T> } = {
  duration,
  integer: number,
  number,
  boolean,
  string,
  enum: enumeration,
  actions,
  command,
  ready,
  percent,
}

/** Validate one value against a param spec; returns the converted value, or undefined after recording an issue. */
export function convertParam(src: Source, what: string, spec: ParamSpec, node: Node | null, fallbackAt: number): unknown {
  const v: Value = { src, what, node, at: src.at(node, fallbackAt) }
  const convert = CONVERTERS[spec.param.type] as Converter<ParamType['type']>
  return convert(v, spec.param as never)
}
