// Playbooks from three sources: YAML-ish text, structured playbooks (valid and hostile values) serialized to YAML,
// and mutations of the shipped playbooks. The outcome is a parsed playbook or a typed InputError with a line and
// column, within one second of CPU; never anything else.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { stringify } from 'yaml'

import { InputError } from '../../src/core/errors.js'
import { parsePlaybookText } from '../../src/playbook/parse.js'
import { STEP_KINDS, STEP_SPECS } from '../../src/playbook/spec.js'
import { fuzz } from './params.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const shipped = fs.readdirSync(path.join(root, 'playbooks')).map((f) => fs.readFileSync(path.join(root, 'playbooks', f), 'utf8'))

/** The property: a playbook, or an InputError with a position, in under a second of CPU. */
function outcomeIsTyped(text: string): void {
  const t0 = process.cpuUsage()
  try {
    const pb = parsePlaybookText(text, 'fuzz.yml')
    expect(pb.plays.length).toBeGreaterThan(0)
    for (const play of pb.plays) {
      expect(typeof play.hosts).toBe('string')
      expect(play.steps.length).toBeGreaterThan(0)
      JSON.stringify(play) // the data is plain (no cycles)
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    expect([err.file, Number.isInteger(err.line), Number.isInteger(err.column)]).toEqual(['fuzz.yml', true, true])
  }
  const used = process.cpuUsage(t0)
  expect((used.user + used.system) / 1000).toBeLessThan(1000)
}

const HOSTILE_NAMES = ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'name', 'steps', 'hosts', 'vars']
const words = fc.oneof(
  fc.constantFrom('hosts', 'steps', 'vars', 'serial', 'order', 'name', 'max_fail_percentage', ...STEP_KINDS, 'stop', ...HOSTILE_NAMES),
  fc.constantFrom('timeout', 'prompt', 'seconds', 'minutes', 'run', 'guests', 'fallback', 'action', 'parallel', 'msg', 'all', 'off'),
  fc.constantFrom('25d', '90s', '1h30m', '.nan', '.inf', '-1', '0', '1e400', '0x10', '99999999999999999999', 'null', 'true', '~', '25%'),
  fc.string({ maxLength: 6 }),
)
const punctuation = fc.constantFrom(
  '- ',
  ': ',
  '\n',
  '\n  ',
  '\n    ',
  '\n      - ',
  '[',
  ']',
  '{',
  '}',
  ', ',
  '&a ',
  '*a',
  '!!str ',
  '? ',
  '"',
  "'",
  '|\n',
  '# ',
  '\t',
  '---\n',
  '<<: ',
)

/** YAML-looking text: words and YAML punctuation in any order. */
const yamlText = fc.array(fc.oneof(words, punctuation), { maxLength: 60 }).map((parts) => parts.join(''))

const scalar = fc.oneof(
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, 2 ** 31, 1e300, -1, 0, 0.5, 100, null, true, false, ''),
  fc.constantFrom('25d', '24d', '90s', '5m', '1h30m', 'soon', '10 minutes', '25%', '0%', 'all', 'web[0', '~(a*)*b', '[z-a]', '@', 'a,,b'),
  fc.constantFrom(...HOSTILE_NAMES),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 10 }),
)
const value = fc.oneof(
  { depthSize: 'small' },
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom(...HOSTILE_NAMES, 'a', 'b'), scalar, { maxKeys: 3 }),
)

/** A step: mostly real kinds with real option names, some values wrong on purpose. */
const step = fc.oneof(
  fc.constantFrom<unknown>(...STEP_KINDS, 'stop', 'toString', 'shell'),
  fc.constantFrom(...STEP_KINDS).chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      options: fc.oneof(
        fc.dictionary(fc.constantFrom(...Object.keys(STEP_SPECS[kind].params), ...HOSTILE_NAMES), value, { maxKeys: 4 }),
        scalar,
        fc.constant(null),
      ),
      name: fc.option(scalar),
      ignore_errors: fc.option(scalar),
    }),
  ),
)
const structured = fc
  .array(
    fc.record(
      {
        name: scalar,
        hosts: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })),
        serial: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })),
        max_fail_percentage: scalar,
        order: fc.oneof(fc.constantFrom('sorted', 'shuffle', 'inventory'), scalar),
        vars: fc.dictionary(fc.constantFrom(...HOSTILE_NAMES, 'timeout', 'parallel', 'port', 'fallback', 'ansible_user', 'custom'), value, { maxKeys: 4 }),
        steps: fc.array(step, { maxLength: 5 }),
      },
      { requiredKeys: ['hosts', 'steps'] },
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((plays) =>
    stringify(
      plays.map((p) => ({
        ...p,
        steps: p.steps.map((s) => {
          if (typeof s !== 'object' || s === null) return s
          const { kind, options, ...common } = s as { kind: string; options: unknown; name: unknown; ignore_errors: unknown }
          return { [kind]: options, ...Object.fromEntries(Object.entries(common).filter(([, v]) => v !== null)) }
        }),
      })),
    ),
  )

/** A shipped playbook with a few edits: a range deleted, a fragment inserted, lines duplicated or swapped. */
const mutated = fc
  .tuple(
    fc.constantFrom(...shipped),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(words, punctuation), fc.constantFrom('delete', 'insert', 'duplicate', 'swap')), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([text, edits]) => {
    let t = text
    for (const [pos, len, fragment, kind] of edits) {
      const at = pos % (t.length + 1)
      if (kind === 'delete') t = t.slice(0, at) + t.slice(at + len)
      else if (kind === 'insert') t = t.slice(0, at) + fragment + t.slice(at)
      else {
        const lines = t.split('\n')
        const i = at % lines.length
        const j = (at + len) % lines.length
        if (kind === 'duplicate') lines.splice(i, 0, lines[i] as string)
        else [lines[i], lines[j]] = [lines[j] as string, lines[i] as string]
        t = lines.join('\n')
      }
    }
    return t
  })

it('YAML-looking text parses or is refused with a position', async () => {
  await fuzz('playbook text', fc.property(yamlText, outcomeIsTyped), 200)
})

it('structured playbooks with hostile values parse or are refused with a position', async () => {
  await fuzz('playbook structured', fc.property(structured, outcomeIsTyped), 100)
})

it('mutations of the shipped playbooks parse or are refused with a position', async () => {
  await fuzz('playbook mutated', fc.property(mutated, outcomeIsTyped), 100)
})
