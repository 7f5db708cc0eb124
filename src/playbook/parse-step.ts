// One item of a play's `steps:` list to a typed Step: the bare form (`- wait_for_ssh`), the kind key and the
// keys beside it (name, ignore_errors), then the kind's options (a mapping, or the shorthand scalar), then the
// required / exactly-one-of checks. Every problem is recorded with its offset; a broken step yields undefined.

import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml'

import { convertParam } from './convert.js'
import {
  STEP_ALIASES,
  STEP_COMMON_KEYS,
  STEP_KINDS,
  STEP_SPECS,
  commonKeySpec,
  stepHint,
  stepKindOf,
  stepParamSpec,
  type StepKind,
  type StepSpec,
} from './spec.js'
import { closest } from './suggest.js'
import type { Step } from './types.js'
import type { Source } from './yaml-source.js'

const ALL_KIND_NAMES: readonly string[] = [...STEP_KINDS, ...Object.keys(STEP_ALIASES)]

export function unknownKindMessage(key: string): string {
  const hint = stepHint(key) ?? closest(key, ALL_KIND_NAMES)
  return `unknown step "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; steps are ${STEP_KINDS.join(', ')}`
}

/** Report a key not in `allowed`, with a suggestion (or `extraHint`'s advice when it has some). */
export function unknownKey(src: Source, pair: Pair, where: string, allowed: readonly string[], extraHint?: (key: string) => string | undefined): void {
  const key = src.keyName(pair)
  const at = src.keyAt(pair)
  if (key === undefined) {
    src.issue(at, `${where}: keys must be names, got ${src.describe(src.deref(pair.key as Node | null))}`)
    return
  }
  const suggestion = closest(key, allowed)
  const hint = extraHint?.(key) ?? (suggestion ? `did you mean "${suggestion}"?` : `allowed: ${allowed.join(', ')}`)
  src.issue(at, `unknown key "${key}" in ${where} (${hint})`)
}

/** `item` is the list item as written (an alias points problems at itself, not at its anchor). */
export function parseStep(src: Source, item: Node | null, fallbackAt: number): Step | undefined {
  const node = src.deref(item)
  const at = src.at(item, fallbackAt)
  if (isScalar(node) && typeof node.value === 'string') return parseBareStep(src, node.value, at)
  if (!isMap(node)) {
    src.issue(at, `a step must be a mapping such as "- reboot: { reboot_timeout: 10m }", got ${src.describe(node)}`)
    return undefined
  }
  const head = parseStepHead(src, node.items)
  checkStrayKeys(src, node.items, head)
  if (!head.kind || !head.kindPair) {
    if (!node.items.some((p) => src.keyName(p) !== undefined && !commonKeySpec(src.keyName(p) as string))) {
      src.issue(at, `step has no kind (one of ${STEP_KINDS.join(', ')})`)
    }
    return undefined
  }
  const written = src.keyName(head.kindPair) as string
  const kindAt = src.keyAt(head.kindPair)
  const fields = parseStepOptions(src, head.kind, written, src.valueOf(head.kindPair), kindAt)
  if (!fields) return undefined
  const name = typeof head.common.name === 'string' ? head.common.name : head.kind
  return { kind: head.kind, name, ignoreErrors: head.common.ignoreErrors === true, pos: src.posOf(kindAt), ...fields } as Step
}

/** `- wait_for_ssh` alone: a step with default options, when its kind needs none. */
function parseBareStep(src: Source, written: string, at: number): Step | undefined {
  const kind = stepKindOf(written)
  if (!kind) {
    src.issue(at, unknownKindMessage(written))
    return undefined
  }
  const spec = STEP_SPECS[kind]
  if (spec.required?.length || spec.oneOf?.length || spec.anyOf?.length) {
    src.issue(at, `step "${written}" needs options: ${(spec.required ?? spec.oneOf ?? spec.anyOf ?? []).join(spec.required ? ', ' : ' or ')}`)
    return undefined
  }
  return { kind, name: kind, ignoreErrors: false, pos: src.posOf(at) } as Step
}

interface StepHead {
  kind?: StepKind
  kindPair?: Pair
  /** name / ignore_errors, by their typed field names. */
  common: Record<string, unknown>
}

/** The one kind key of a step mapping, and the common keys beside it. */
function parseStepHead(src: Source, pairs: Pair[]): StepHead {
  const head: StepHead = { common: Object.create(null) as Record<string, unknown> }
  for (const pair of pairs) {
    const key = src.keyName(pair)
    if (key === undefined) continue
    const kind = stepKindOf(key)
    const common = commonKeySpec(key)
    if (kind && head.kind && head.kindPair) {
      src.issue(src.keyAt(pair), `a step has exactly one kind; found "${src.keyName(head.kindPair)}" and "${key}" (start a new "- " item)`)
    } else if (kind) {
      head.kind = kind
      head.kindPair = pair
    } else if (common) {
      const v = convertParam(src, key, common, src.valueOf(pair), src.keyAt(pair))
      if (v !== undefined) head.common[common.field] = v
    }
  }
  return head
}

/** Keys beside the kind that are neither a kind nor a common key: a misspelt kind, or an option not indented. */
function checkStrayKeys(src: Source, pairs: Pair[], head: StepHead): void {
  for (const pair of pairs) {
    const key = src.keyName(pair)
    if (key !== undefined && (stepKindOf(key) || commonKeySpec(key))) continue
    if (head.kind === undefined && key !== undefined) {
      src.issue(src.keyAt(pair), unknownKindMessage(key))
      continue
    }
    const kind = head.kind
    const under = head.kindPair ? src.keyName(head.kindPair) : undefined
    unknownKey(src, pair, 'step', Object.keys(STEP_COMMON_KEYS), (k) =>
      kind && stepParamSpec(kind, k) ? `"${k}" is an option of ${kind}: indent it under "${under}:"` : undefined,
    )
  }
}

/** The kind's options: nothing (defaults), a mapping, or the shorthand value. Undefined when unusable. */
function parseStepOptions(src: Source, kind: StepKind, written: string, value: Node | null, kindAt: number): Record<string, unknown> | undefined {
  const spec = STEP_SPECS[kind]
  const options = new StepOptions(src, spec, written)
  if (value === null || (isScalar(value) && value.value === null)) {
    // `- reboot:` with nothing: defaults
  } else if (isMap(value)) {
    for (const pair of value.items) {
      const key = src.keyName(pair)
      if (key !== undefined && stepParamSpec(kind, key)) options.set(key, src.valueOf(pair), src.keyAt(pair))
      else
        unknownKey(src, pair, `${written} options`, Object.keys(spec.params), (k) =>
          commonKeySpec(k) ? `"${k}" belongs to the step: put it beside "${written}:", not under it` : undefined,
        )
    }
  } else if (spec.shorthand && (isScalar(value) || (isSeq(value) && spec.params[spec.shorthand]?.param.type === 'command'))) {
    options.set(spec.shorthand, value, src.at(value))
  } else {
    const keys = Object.keys(spec.params)
    src.issue(
      src.at(value, kindAt),
      `${written}: expected a mapping of options (${keys.join(', ')})${spec.shorthand ? ` or a ${spec.shorthand} value` : ''}, got ${src.describe(value)}`,
    )
    return undefined
  }
  options.checkPresence(kindAt)
  return options.fields
}

/** Options as they are set: typed fields, and which key set each field (two keys for one field conflict). */
class StepOptions {
  readonly fields = Object.create(null) as Record<string, unknown>
  private readonly seen: string[] = []
  private readonly fieldFrom = new Map<string, string>()

  constructor(
    private readonly src: Source,
    private readonly spec: StepSpec,
    private readonly written: string,
  ) {}

  set(param: string, valueNode: Node | null, keyAt: number): void {
    const ps = this.spec.params[param]
    if (!ps) return
    const prev = this.fieldFrom.get(ps.field) ?? this.exclusiveWith(param)
    if (prev !== undefined) {
      this.src.issue(keyAt, `${this.written}: use either "${prev}" or "${param}", not both`)
      return
    }
    this.fieldFrom.set(ps.field, param)
    this.seen.push(param)
    const v = convertParam(this.src, `${this.written}.${param}`, ps, valueNode, keyAt)
    if (v !== undefined) this.fields[ps.field] = v
  }

  checkPresence(kindAt: number): void {
    for (const r of this.spec.required ?? []) if (!this.seen.includes(r)) this.src.issue(kindAt, `${this.written}: "${r}" is required`)
    const oneOf = this.spec.oneOf
    if (oneOf && !oneOf.some((k) => this.seen.includes(k))) this.src.issue(kindAt, `${this.written}: give one of ${oneOf.join(', ')}`)
    const anyOf = this.spec.anyOf
    if (anyOf && !anyOf.some((k) => this.seen.includes(k))) this.src.issue(kindAt, `${this.written}: give at least one of ${anyOf.join(', ')}`)
  }

  /** `oneOf` options exclude each other: the one already given, if any. */
  private exclusiveWith(param: string): string | undefined {
    const oneOf = this.spec.oneOf
    return oneOf?.includes(param) ? this.seen.find((k) => oneOf.includes(k)) : undefined
  }
}
