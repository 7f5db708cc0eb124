// One play of the playbook list to a typed Play: each play key has its own small parser (name, hosts pattern,
// serial, max_fail_percentage, order, vars, steps), found in a table by key; then the required keys are checked.
// Problems are recorded with their offsets (see yaml-source.ts); a broken play yields undefined.

import { isMap, isScalar, isSeq, type Node } from 'yaml'

import { parseSerialValue, type SerialValue } from '../engine/batches.js'
import { errorMessage } from '../core/errors.js'
import { convertParam } from './convert.js'
import { checkPatternSyntax } from './pattern-syntax.js'
import { parseStep, unknownKey } from './parse-step.js'
import { HOST_ORDERS, PLAY_KEYS, isPlayKey, stepKindOf, type ParamSpec, type PlayKey } from './spec.js'
import type { HostOrder, Play, Step } from './types.js'
import { parseVars } from './vars.js'
import type { Source } from './yaml-source.js'

type PlayDraft = Partial<Omit<Play, 'vars'>> & { vars: Record<string, unknown> }
type KeyParser = (src: Source, value: Node | null, keyAt: number, play: PlayDraft) => void

const param = (p: ParamSpec['param']): ParamSpec => ({ param: p, field: '', description: '' })
const NAME = param({ type: 'string' })
const MAX_FAIL = param({ type: 'number', min: 0, max: 100 })
const ORDER = param({ type: 'enum', values: HOST_ORDERS })

/** The host pattern; a list of patterns is joined with ','. Each is syntax-checked, pointing inside the value. */
export function parseHosts(src: Source, node: Node | null, keyAt: number): string | undefined {
  const patterns: string[] = []
  for (const item of src.itemsOf(node)) {
    const v = isScalar(item) ? item.value : undefined
    if (item === null || (typeof v !== 'string' && typeof v !== 'number')) {
      src.issue(src.at(item, keyAt), `hosts: expected a host pattern or a list of them, got ${src.describe(item)}`)
      return undefined
    }
    const pattern = src.written(item)
    for (const pi of checkPatternSyntax(pattern)) src.issue(src.inside(item, pattern, pi.index), `hosts: bad pattern "${pattern}": ${pi.message}`)
    patterns.push(pattern)
  }
  if (patterns.length === 0) {
    src.issue(src.at(node, keyAt), 'hosts: expected a host pattern, got an empty list')
    return undefined
  }
  return patterns.join(',')
}

/** `serial`: a count, a percentage, or a list of them (the last repeats). */
export function parseSerial(src: Source, node: Node | null, keyAt: number): SerialValue[] | undefined {
  const out: SerialValue[] = []
  for (const item of src.itemsOf(node)) {
    const v = isScalar(item) ? item.value : undefined
    if (typeof v !== 'string' && typeof v !== 'number') {
      src.issue(src.at(item, keyAt), `serial: expected a number of hosts, a percentage like 25%, or a list of them, got ${src.describe(item)}`)
      return undefined
    }
    try {
      out.push(parseSerialValue(v))
    } catch (err) {
      src.issue(src.at(item, keyAt), errorMessage(err))
      return undefined
    }
  }
  if (out.length === 0) {
    src.issue(src.at(node, keyAt), 'serial: expected at least one value')
    return undefined
  }
  return out
}

/** `steps`: a non-empty list; each item parsed on its own so every broken step is reported. */
export function parseSteps(src: Source, node: Node | null, keyAt: number): Step[] | undefined {
  if (!isSeq(node) || node.items.length === 0) {
    src.issue(src.at(node, keyAt), `steps: expected a non-empty list of steps, got ${src.describe(node)}`)
    return undefined
  }
  const steps: Step[] = []
  for (const item of node.items) {
    const step = parseStep(src, item as Node | null, src.at(node))
    if (step) steps.push(step)
  }
  return steps
}

const KEY_PARSERS: Readonly<Record<PlayKey, KeyParser>> = {
  name: (src, value, keyAt, play) => {
    const v = convertParam(src, 'name', NAME, value, keyAt)
    if (typeof v === 'string') play.name = v
  },
  hosts: (src, value, keyAt, play) => {
    play.hosts = parseHosts(src, value, keyAt)
  },
  serial: (src, value, keyAt, play) => {
    const s = parseSerial(src, value, keyAt)
    if (s) play.serial = s
  },
  max_fail_percentage: (src, value, keyAt, play) => {
    const v = convertParam(src, 'max_fail_percentage', MAX_FAIL, value, keyAt)
    if (typeof v === 'number') play.maxFailPercentage = v
  },
  order: (src, value, keyAt, play) => {
    const v = convertParam(src, 'order', ORDER, value, keyAt)
    if (typeof v === 'string') play.order = v as HostOrder
  },
  vars: (src, value, keyAt, play) => {
    play.vars = parseVars(src, value, keyAt)
  },
  steps: (src, value, keyAt, play) => {
    play.steps = parseSteps(src, value, keyAt)
  },
}

function unknownPlayKeyHint(key: string): string | undefined {
  if (key === 'tasks') return 'virtfleet calls them "steps"'
  return stepKindOf(key) ? 'steps go in a list under "steps:"' : undefined
}

/** `written` is the list item as written (an alias points problems at itself, not at its anchor). */
export function parsePlay(src: Source, written: Node | null, index: number, fallbackAt: number): Play | undefined {
  const node = src.deref(written)
  const at = src.at(written, fallbackAt)
  if (!isMap(node)) {
    src.issue(at, `play ${index + 1}: expected a mapping with hosts: and steps:, got ${src.describe(node)}`)
    return undefined
  }
  const play: PlayDraft = { vars: Object.create(null) as Record<string, unknown>, pos: src.posOf(at) }
  const present = new Set<PlayKey>()
  for (const pair of node.items) {
    const key = src.keyName(pair)
    if (key === undefined || !isPlayKey(key)) {
      unknownKey(src, pair, 'play', Object.keys(PLAY_KEYS), unknownPlayKeyHint)
      continue
    }
    present.add(key)
    KEY_PARSERS[key](src, src.valueOf(pair), src.keyAt(pair), play)
  }
  const label = `play ${index + 1}${play.name ? ` ("${play.name}")` : ''}`
  if (!present.has('hosts')) src.issue(at, `${label}: "hosts" is required (e.g. hosts: all)`)
  if (!present.has('steps')) src.issue(at, `${label}: "steps" is required`)
  if (play.hosts === undefined || play.steps === undefined) return undefined
  return {
    name: play.name ?? `play ${index + 1}`,
    hosts: play.hosts,
    ...(play.serial ? { serial: play.serial } : {}),
    ...(play.maxFailPercentage !== undefined ? { maxFailPercentage: play.maxFailPercentage } : {}),
    ...(play.order ? { order: play.order } : {}),
    vars: play.vars,
    steps: play.steps,
    pos: play.pos ?? src.posOf(at),
  }
}
