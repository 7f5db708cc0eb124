// Generates the JSON Schema (draft 2020-12) for playbooks from the same tables the parser uses (spec.ts).
// schemas/playbook.schema.json is this output; a unit test fails when they differ
// (regenerate: UPDATE_SCHEMAS=1 npx vitest run --project unit test/unit/playbook).
// The schema is for editors (completion, hover); the parser stays the authority (it also checks patterns).

import { ACTIONS } from '../core/types.js'
import {
  HOST_ORDERS,
  INVENTORY_ONLY_VARS,
  KNOWN_VARS,
  PLAY_KEYS,
  STEP_ALIASES,
  STEP_COMMON_KEYS,
  STEP_KINDS,
  STEP_SPECS,
  type ParamSpec,
  type StepKind,
} from './spec.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** The shape of a readiness probe (the parser checks ports and sources exactly). */
export const READY_PATTERN = '^\\s*(none|agent|tcp:\\d{1,5}(@(agent|lease|arp))?|console:.+|command:.+)\\s*$'

/** A percentage below 100 (the parser checks the bound on strings too). */
export const PERCENT_PATTERN = '^\\s*\\d{1,2}(\\.\\d+)?\\s*%?\\s*$'

export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$'

function paramSchema(spec: ParamSpec): { [k: string]: Json } {
  const p = spec.param
  const base = { description: spec.description }
  switch (p.type) {
    case 'duration':
      return { $ref: '#/$defs/duration', ...base }
    case 'integer':
    case 'number':
      return { type: p.type, minimum: p.min, ...(p.max !== undefined ? { maximum: p.max } : {}), ...base }
    case 'boolean':
      return { type: 'boolean', ...base }
    case 'string':
      return { type: 'string', minLength: 1, ...base }
    case 'enum':
      return { enum: [...p.values], ...base }
    case 'actions':
      return { $ref: '#/$defs/actions', ...base }
    case 'command':
      return { $ref: '#/$defs/command', ...base }
    case 'ready':
      return { type: 'string', pattern: READY_PATTERN, ...base }
    case 'percent':
      return { type: ['number', 'string'], minimum: 0, exclusiveMaximum: 100, pattern: PERCENT_PATTERN, ...base }
  }
}

function stepSchema(written: string, kind: StepKind): { [k: string]: Json } {
  const spec = STEP_SPECS[kind]
  const options: { [k: string]: Json } = {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(spec.params).map(([k, s]) => [k, paramSchema(s)])),
    ...(spec.required ? { required: [...spec.required] } : {}),
    ...(spec.oneOf ? { oneOf: spec.oneOf.map((k) => ({ required: [k] })) } : {}),
    ...(spec.anyOf ? { anyOf: spec.anyOf.map((k) => ({ required: [k] })) } : {}),
  }
  const alternatives: Json[] = [options]
  if (!spec.required && !spec.oneOf && !spec.anyOf) alternatives.push({ type: 'null' })
  if (spec.shorthand) alternatives.push(paramSchema(spec.params[spec.shorthand] as ParamSpec))
  return {
    type: 'object',
    description: written === kind ? spec.description : `Alias of ${kind}. ${spec.description}`,
    required: [written],
    additionalProperties: false,
    properties: {
      [written]: alternatives.length === 1 ? options : { oneOf: alternatives },
      ...Object.fromEntries(Object.entries(STEP_COMMON_KEYS).map(([k, s]) => [k, paramSchema(s)])),
    },
  }
}

export function playbookJsonSchema(): { [k: string]: Json } {
  const written: Array<[string, StepKind]> = [...STEP_KINDS.map((k): [string, StepKind] => [k, k]), ...Object.entries(STEP_ALIASES)]
  const bare = written.filter(([, k]) => !STEP_SPECS[k].required && !STEP_SPECS[k].oneOf).map(([w]) => w)
  const serialValue: Json = {
    oneOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^\\s*(\\d+|\\d+\\s*%)\\s*$' },
    ],
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/virtfleet/virtfleet/schemas/playbook.schema.json',
    title: 'virtfleet playbook',
    description: 'A list of plays: each selects hosts by pattern and runs steps on them, in batches (serial).',
    type: 'array',
    minItems: 1,
    items: { $ref: '#/$defs/play' },
    $defs: {
      stepKind: { enum: written.map(([w]) => w) },
      duration: {
        description: 'Seconds, or a duration such as 90s, 5m, 1h30m, 500ms.',
        oneOf: [
          { type: 'number', minimum: 0 },
          { type: 'string', pattern: DURATION_PATTERN },
        ],
      },
      action: { enum: [...ACTIONS] },
      actions: { oneOf: [{ $ref: '#/$defs/action' }, { type: 'array', minItems: 1, items: { $ref: '#/$defs/action' } }] },
      command: {
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', minItems: 1, items: { type: ['string', 'number'] } },
        ],
      },
      play: {
        type: 'object',
        required: ['hosts', 'steps'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', description: PLAY_KEYS.name },
          hosts: {
            description: PLAY_KEYS.hosts,
            oneOf: [
              { type: 'string', minLength: 1 },
              { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            ],
          },
          serial: { description: PLAY_KEYS.serial, oneOf: [serialValue, { type: 'array', minItems: 1, items: serialValue }] },
          max_fail_percentage: { type: 'number', minimum: 0, maximum: 100, description: PLAY_KEYS.max_fail_percentage },
          order: { enum: [...HOST_ORDERS], description: PLAY_KEYS.order },
          vars: {
            type: ['object', 'null'],
            description: PLAY_KEYS.vars,
            properties: {
              ...Object.fromEntries(Object.entries(KNOWN_VARS).map(([k, s]): [string, Json] => [k, paramSchema(s)])),
              // Connection settings come from the inventory; the parser refuses them in a play.
              ...Object.fromEntries(INVENTORY_ONLY_VARS.map((k): [string, Json] => [k, false])),
            },
            additionalProperties: true,
          },
          steps: { type: 'array', minItems: 1, description: PLAY_KEYS.steps, items: { $ref: '#/$defs/step' } },
        },
      },
      step: {
        oneOf: [{ enum: bare, description: 'A step with default options.' }, ...written.map(([w]) => ({ $ref: `#/$defs/step_${w}` }))],
      },
      ...Object.fromEntries(written.map(([w, k]) => [`step_${w}`, stepSchema(w, k)])),
    },
  }
}
