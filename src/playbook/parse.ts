// Playbook parsing and validation, all before anything runs. Every problem is collected with the file:line:column
// of the offending key or value, and reported together in one PlaybookError (an InputError, exit code 4).

import { readFile } from 'node:fs/promises'
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml'

import { parseSerialValue, type SerialValue } from '../engine/batches.js'
import { parseDuration } from '../core/duration.js'
import { InputError, errorMessage } from '../core/errors.js'
import { ACTIONS, type Action } from '../core/types.js'
import { checkPatternSyntax } from './pattern-syntax.js'
import {
  HOST_ORDERS,
  KNOWN_VARS,
  PLAY_KEYS,
  STEP_ALIASES,
  STEP_COMMON_KEYS,
  STEP_HINTS,
  STEP_KINDS,
  STEP_SPECS,
  type ParamSpec,
  type StepKind,
} from './spec.js'
import { closest } from './suggest.js'
import type { HostOrder, Play, Playbook, SourcePos, Step } from './types.js'

export interface PlaybookIssue extends SourcePos {
  message: string
}

/** All the problems found in a playbook; the InputError fields point at the first one. */
export class PlaybookError extends InputError {
  readonly issues: PlaybookIssue[]
  constructor(issues: PlaybookIssue[]) {
    const first = issues[0] as PlaybookIssue
    const message =
      issues.length === 1
        ? first.message
        : `${issues.length} problems in the playbook:\n` + issues.map((i) => `  ${i.file}:${i.line}:${i.column}: ${i.message}`).join('\n')
    super(message, { file: first.file, line: first.line, column: first.column })
    this.name = 'PlaybookError'
    this.issues = issues
  }
}

export async function parsePlaybook(file: string): Promise<Playbook> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new InputError(`cannot read playbook: ${errorMessage(err)}`, { file })
  }
  return parsePlaybookText(text, file)
}

const ALL_KIND_NAMES: readonly string[] = [...STEP_KINDS, ...Object.keys(STEP_ALIASES)]

function kindOf(key: string): StepKind | undefined {
  if ((STEP_KINDS as readonly string[]).includes(key)) return key as StepKind
  return STEP_ALIASES[key]
}

/** Parse and validate playbook text; `file` is used in positions. Throws PlaybookError listing every problem. */
export function parsePlaybookText(text: string, file: string): Playbook {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  const found: Array<{ offset: number; message: string }> = []
  const issue = (offset: number, message: string) => found.push({ offset, message })
  const posOf = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset)
    return { file, line, column: col }
  }
  const fail = (): never => {
    const issues = found.sort((a, b) => a.offset - b.offset).map(({ offset, message }) => ({ ...posOf(offset), message }))
    throw new PlaybookError(issues)
  }

  for (const e of doc.errors) issue(e.pos[0], e.code === 'DUPLICATE_KEY' ? `duplicate key (${e.message})` : e.message)
  if (found.length > 0) fail()

  const start = (n: Node | null | undefined, fallback = 0): number => n?.range?.[0] ?? fallback
  /** Offset of `index` inside a scalar's text, when the source shows the value verbatim (else the value's start). */
  const inside = (n: Node, value: string, index: number): number => {
    const [s, e] = n.range ?? [0, 0]
    const src = text.slice(s, e)
    if (src === value) return s + index
    if (src.length === value.length + 2 && src.slice(1, -1) === value) return s + 1 + index
    return s
  }
  const describe = (n: Node | null): string => {
    if (n === null) return 'nothing'
    if (isMap(n)) return 'a mapping'
    if (isSeq(n)) return 'a list'
    if (isScalar(n)) {
      const v = n.value
      if (v === null) return 'nothing'
      return `${typeof v === 'string' ? 'a string' : typeof v === 'boolean' ? 'a boolean' : 'a number'} (${JSON.stringify(v)})`
    }
    return 'something else'
  }
  const keyName = (pair: Pair): string | undefined => {
    const k = pair.key as Node | null
    return isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number') ? String(k.value) : undefined
  }

  /** Validate one value against a param spec; returns the converted value or undefined after recording an issue. */
  const convert = (what: string, spec: ParamSpec, node: Node | null, at: number): unknown => {
    const where = start(node, at)
    const wrong = (expected: string) => {
      issue(where, `${what}: expected ${expected}, got ${describe(node)}`)
      return undefined
    }
    const scalar = isScalar(node) ? node.value : undefined
    const p = spec.param
    switch (p.type) {
      case 'duration': {
        if (typeof scalar !== 'string' && typeof scalar !== 'number') return wrong('a duration (90, 90s, 5m, 1h30m)')
        try {
          return parseDuration(scalar, what)
        } catch (err) {
          issue(where, errorMessage(err))
          return undefined
        }
      }
      case 'integer':
      case 'number': {
        const range = `${p.type === 'integer' ? 'a whole number' : 'a number'} >= ${p.min}${p.max !== undefined ? ` and <= ${p.max}` : ''}`
        if (typeof scalar !== 'number') return wrong(range)
        if ((p.type === 'integer' && !Number.isInteger(scalar)) || scalar < p.min || (p.max !== undefined && scalar > p.max)) return wrong(range)
        return p.type === 'number' && p.scaleMs ? Math.round(scalar * p.scaleMs) : scalar
      }
      case 'boolean':
        if (typeof scalar !== 'boolean') return wrong('true or false')
        return scalar
      case 'string':
        if (typeof scalar !== 'string' || scalar.trim() === '') return wrong('a non-empty string')
        return scalar
      case 'enum':
        if (typeof scalar !== 'string' || !p.values.includes(scalar)) {
          const hint = typeof scalar === 'string' ? closest(scalar, p.values) : undefined
          return wrong(`one of ${p.values.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`)
        }
        return scalar
      case 'actions': {
        const items = isSeq(node) ? (node.items as Array<Node | null>) : [node]
        const out: Action[] = []
        for (const item of items) {
          const v = isScalar(item) ? item.value : undefined
          if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v)) {
            issue(start(item, where), `${what}: expected ${ACTIONS.join(', ')} (or a list of them), got ${describe(item)}`)
            return undefined
          }
          out.push(v as Action)
        }
        if (out.length === 0) return wrong('at least one action')
        return out
      }
      case 'command': {
        if (typeof scalar === 'string' && scalar.trim() !== '') return scalar
        if (isSeq(node) && node.items.length > 0) {
          const argv: string[] = []
          for (const item of node.items as Array<Node | null>) {
            const v = isScalar(item) ? item.value : undefined
            if (typeof v !== 'string' && typeof v !== 'number') {
              issue(start(item, where), `${what}: argv items must be strings, got ${describe(item)}`)
              return undefined
            }
            argv.push(String(v))
          }
          return argv
        }
        return wrong('a command line or a non-empty argv list')
      }
    }
  }

  /** Report keys not in `allowed`, with a suggestion. Returns the pairs with known keys. */
  const unknownKey = (pair: Pair, where: string, allowed: readonly string[], extraHint?: (key: string) => string | undefined) => {
    const key = keyName(pair)
    const at = start(pair.key as Node | null)
    if (key === undefined) {
      issue(at, `${where}: keys must be names, got ${describe(pair.key as Node | null)}`)
      return
    }
    const hint = extraHint?.(key) ?? (closest(key, allowed) ? `did you mean "${closest(key, allowed)}"?` : `allowed: ${allowed.join(', ')}`)
    issue(at, `unknown key "${key}" in ${where} (${hint})`)
  }

  const parseStep = (node: Node | null, fallbackOffset: number): Step | undefined => {
    const at = start(node, fallbackOffset)
    // `- wait_for_ssh` alone: a step with default options.
    if (isScalar(node) && typeof node.value === 'string') {
      const kind = kindOf(node.value)
      if (!kind) {
        issue(at, unknownKindMessage(node.value))
        return undefined
      }
      const spec = STEP_SPECS[kind]
      if (spec.required?.length || spec.oneOf?.length) {
        issue(at, `step "${node.value}" needs options: ${(spec.required ?? spec.oneOf ?? []).join(spec.required ? ', ' : ' or ')}`)
        return undefined
      }
      return { kind, name: kind, ignoreErrors: false, pos: posOf(at) } as Step
    }
    if (!isMap(node)) {
      issue(at, `a step must be a mapping such as "- reboot: { reboot_timeout: 10m }", got ${describe(node)}`)
      return undefined
    }
    let kindPair: Pair | undefined
    let kind: StepKind | undefined
    const common: Record<string, unknown> = {}
    for (const pair of node.items as Pair[]) {
      const key = keyName(pair)
      const k = key === undefined ? undefined : kindOf(key)
      if (k) {
        if (kind) {
          issue(start(pair.key as Node), `a step has exactly one kind; found "${keyName(kindPair as Pair)}" and "${key}" (start a new "- " item)`)
          continue
        }
        kind = k
        kindPair = pair
      } else if (key !== undefined && key in STEP_COMMON_KEYS) {
        const v = convert(key, STEP_COMMON_KEYS[key] as ParamSpec, pair.value as Node | null, start(pair.key as Node))
        if (v !== undefined) common[(STEP_COMMON_KEYS[key] as ParamSpec).field] = v
      }
    }
    for (const pair of node.items as Pair[]) {
      const key = keyName(pair)
      if (key !== undefined && (kindOf(key) || key in STEP_COMMON_KEYS)) continue
      if (kind === undefined && key !== undefined) {
        issue(start(pair.key as Node), unknownKindMessage(key))
      } else {
        unknownKey(pair, 'step', Object.keys(STEP_COMMON_KEYS), (k) =>
          kind && k in STEP_SPECS[kind].params ? `"${k}" is an option of ${kind}: indent it under "${keyName(kindPair as Pair)}:"` : undefined,
        )
      }
    }
    if (!kind || !kindPair) {
      if (!node.items.some((p) => keyName(p as Pair) !== undefined && !((keyName(p as Pair) as string) in STEP_COMMON_KEYS))) {
        issue(at, `step has no kind (one of ${STEP_KINDS.join(', ')})`)
      }
      return undefined
    }
    const spec = STEP_SPECS[kind]
    const written = keyName(kindPair) as string
    const value = kindPair.value as Node | null
    const kindAt = start(kindPair.key as Node)
    const fields: Record<string, unknown> = {}
    const seen: string[] = []
    const fieldFrom = new Map<string, string>()
    const set = (param: string, valueNode: Node | null, keyAt: number) => {
      const ps = spec.params[param] as ParamSpec
      const prev = fieldFrom.get(ps.field)
      if (prev !== undefined) {
        issue(keyAt, `${written}: use either "${prev}" or "${param}", not both`)
        return
      }
      fieldFrom.set(ps.field, param)
      seen.push(param)
      const v = convert(`${written}.${param}`, ps, valueNode, keyAt)
      if (v !== undefined) fields[ps.field] = v
    }
    if (value === null || (isScalar(value) && value.value === null)) {
      // `- reboot:` with nothing: defaults
    } else if (isMap(value)) {
      for (const pair of (value as YAMLMap).items as Pair[]) {
        const key = keyName(pair)
        if (key !== undefined && key in spec.params) set(key, pair.value as Node | null, start(pair.key as Node))
        else
          unknownKey(pair, `${written} options`, Object.keys(spec.params), (k) =>
            k in STEP_COMMON_KEYS ? `"${k}" belongs to the step: put it beside "${written}:", not under it` : undefined,
          )
      }
    } else if (spec.shorthand && (isScalar(value) || (isSeq(value) && spec.params[spec.shorthand]?.param.type === 'command'))) {
      set(spec.shorthand, value, start(value))
    } else {
      const keys = Object.keys(spec.params)
      issue(
        start(value, kindAt),
        `${written}: expected a mapping of options (${keys.join(', ')})${spec.shorthand ? ` or a ${spec.shorthand} value` : ''}, got ${describe(value)}`,
      )
      return undefined
    }
    for (const r of spec.required ?? []) if (!seen.includes(r)) issue(kindAt, `${written}: "${r}" is required`)
    if (spec.oneOf && !spec.oneOf.some((k) => seen.includes(k))) issue(kindAt, `${written}: give one of ${spec.oneOf.join(', ')}`)
    return { kind, name: (common.name as string | undefined) ?? kind, ignoreErrors: common.ignoreErrors === true, pos: posOf(kindAt), ...fields } as Step
  }

  const parseHosts = (node: Node | null, keyAt: number): string | undefined => {
    const items = isSeq(node) ? (node.items as Array<Node | null>) : [node]
    const patterns: string[] = []
    for (const item of items) {
      const v = isScalar(item) ? item.value : undefined
      if (typeof v !== 'string' && typeof v !== 'number') {
        issue(start(item, keyAt), `hosts: expected a host pattern or a list of them, got ${describe(item)}`)
        return undefined
      }
      const pattern = String(v)
      for (const pi of checkPatternSyntax(pattern)) issue(inside(item as Node, pattern, pi.index), `hosts: bad pattern "${pattern}": ${pi.message}`)
      patterns.push(pattern)
    }
    if (patterns.length === 0) {
      issue(start(node, keyAt), 'hosts: expected a host pattern, got an empty list')
      return undefined
    }
    return patterns.join(',')
  }

  const parseSerialNode = (node: Node | null, keyAt: number): SerialValue[] | undefined => {
    const items = isSeq(node) ? (node.items as Array<Node | null>) : [node]
    const out: SerialValue[] = []
    for (const item of items) {
      const v = isScalar(item) ? item.value : undefined
      if (typeof v !== 'string' && typeof v !== 'number') {
        issue(start(item, keyAt), `serial: expected a number of hosts, a percentage like 25%, or a list of them, got ${describe(item)}`)
        return undefined
      }
      try {
        out.push(parseSerialValue(v))
      } catch (err) {
        issue(start(item, keyAt), errorMessage(err))
        return undefined
      }
    }
    if (out.length === 0) {
      issue(start(node, keyAt), 'serial: expected at least one value')
      return undefined
    }
    return out
  }

  const parsePlay = (node: Node | null, index: number, fallback: number): Play | undefined => {
    const at = start(node, fallback)
    if (!isMap(node)) {
      issue(at, `play ${index + 1}: expected a mapping with hosts: and steps:, got ${describe(node)}`)
      return undefined
    }
    const play: Partial<Play> & { vars: Record<string, unknown> } = { vars: {}, pos: posOf(at) }
    const present = new Set<string>()
    for (const pair of node.items as Pair[]) {
      const key = keyName(pair)
      const value = pair.value as Node | null
      const keyAt = start(pair.key as Node)
      if (key === undefined || !(key in PLAY_KEYS)) {
        unknownKey(pair, 'play', Object.keys(PLAY_KEYS), (k) =>
          k === 'tasks' ? 'virtfleet calls them "steps"' : kindOf(k) ? `steps go in a list under "steps:"` : undefined,
        )
        continue
      }
      present.add(key)
      switch (key as keyof typeof PLAY_KEYS) {
        case 'name': {
          const v = convert('name', { param: { type: 'string' }, field: 'name', description: '' }, value, keyAt)
          if (typeof v === 'string') play.name = v
          break
        }
        case 'hosts':
          play.hosts = parseHosts(value, keyAt)
          break
        case 'serial': {
          const s = parseSerialNode(value, keyAt)
          if (s) play.serial = s
          break
        }
        case 'max_fail_percentage': {
          const v = convert('max_fail_percentage', { param: { type: 'number', min: 0, max: 100 }, field: '', description: '' }, value, keyAt)
          if (typeof v === 'number') play.maxFailPercentage = v
          break
        }
        case 'order': {
          const v = convert('order', { param: { type: 'enum', values: HOST_ORDERS }, field: '', description: '' }, value, keyAt)
          if (typeof v === 'string') play.order = v as HostOrder
          break
        }
        case 'vars':
          if (!isMap(value)) {
            if (!(isScalar(value) && value.value === null)) issue(start(value, keyAt), `vars: expected a mapping, got ${describe(value)}`)
            break
          }
          for (const vp of value.items as Pair[]) {
            const vk = keyName(vp)
            if (vk === undefined) {
              issue(start(vp.key as Node | null, keyAt), `vars: keys must be names`)
              continue
            }
            const known = KNOWN_VARS[vk]
            const vnode = vp.value as Node | null
            if (known) convert(`vars.${vk}`, known, vnode, start(vp.key as Node))
            // Vars keep their written form (as in the inventory); the engine converts them after merging.
            play.vars[vk] = vnode && 'toJSON' in vnode ? (vnode as { toJSON(): unknown }).toJSON() : null
          }
          break
        case 'steps': {
          if (!isSeq(value) || value.items.length === 0) {
            issue(start(value, keyAt), `steps: expected a non-empty list of steps, got ${describe(value)}`)
            break
          }
          const steps: Step[] = []
          for (const item of value.items as Array<Node | null>) {
            const s = parseStep(item, start(value))
            if (s) steps.push(s)
          }
          play.steps = steps
          break
        }
      }
    }
    if (!present.has('hosts')) issue(at, `play ${index + 1}${play.name ? ` ("${play.name}")` : ''}: "hosts" is required (e.g. hosts: all)`)
    if (!present.has('steps')) issue(at, `play ${index + 1}${play.name ? ` ("${play.name}")` : ''}: "steps" is required`)
    if (play.hosts === undefined || play.steps === undefined) return undefined
    return {
      name: play.name ?? `play ${index + 1}`,
      hosts: play.hosts,
      ...(play.serial ? { serial: play.serial } : {}),
      ...(play.maxFailPercentage !== undefined ? { maxFailPercentage: play.maxFailPercentage } : {}),
      ...(play.order ? { order: play.order } : {}),
      vars: play.vars,
      steps: play.steps,
      pos: play.pos as SourcePos,
    }
  }

  const root = doc.contents as Node | null
  const plays: Play[] = []
  if (!isSeq(root)) {
    issue(
      start(root),
      isMap(root) ? 'a playbook is a list of plays: start the play with "- " (e.g. "- hosts: all")' : `a playbook is a list of plays, got ${describe(root)}`,
    )
  } else {
    if (root.items.length === 0) issue(start(root), 'the playbook has no plays')
    root.items.forEach((item, i) => {
      const play = parsePlay(item as Node | null, i, start(root))
      if (play) plays.push(play)
    })
  }
  if (found.length > 0) fail()
  return { file, plays }
}

function unknownKindMessage(key: string): string {
  const hint = STEP_HINTS[key] ?? closest(key, ALL_KIND_NAMES)
  return `unknown step "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; steps are ${STEP_KINDS.join(', ')}`
}
