import fc from 'fast-check'
import { expect, it } from 'vitest'
import { parseCount } from '../../src/core/count.js'
import { MAX_DURATION_MS, parseDuration } from '../../src/core/duration.js'
import { compileGlob, compilePrefixRegex } from '../../src/core/glob.js'
import { fuzz } from './params.js'
import { typedOutcome } from './outcome.js'

const durationText = fc.oneof(
  fc.string(),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.double({ min: 0, noNaN: true })),
        fc.constantFrom('', 'ms', 's', 'm', 'h', 'd', 'x', ' '),
      ),
      { maxLength: 5 },
    )
    .map((parts) => parts.map(([n, u]) => `${n}${u}`).join('')),
)

it('a duration is a number of milliseconds within the maximum, or a typed input error', async () => {
  await fuzz(
    'duration',
    fc.property(fc.oneof(durationText, fc.double()), (input) => {
      typedOutcome(() => {
        const ms = parseDuration(input as string | number, '--timeout')
        expect(Number.isInteger(ms) && ms >= 0 && ms <= MAX_DURATION_MS).toBe(true)
      })
    }),
    400,
  )
})

it('a count flag value is a safe integer within bounds, or a typed input error', async () => {
  await fuzz(
    'count',
    fc.property(fc.oneof(fc.string(), fc.bigInt().map(String), fc.double().map(String)), fc.integer({ min: 0, max: 10 }), (text, min) => {
      typedOutcome(() => {
        const n = parseCount(text, '--forks', { min })
        expect(Number.isSafeInteger(n) && n >= min).toBe(true)
      })
    }),
    400,
  )
})

const patternChars = fc.constantFrom(
  'a',
  'b',
  'h',
  '1',
  '*',
  '?',
  '[',
  ']',
  '!',
  '-',
  '^',
  '(',
  ')',
  '|',
  '+',
  '{',
  '}',
  '\\',
  '.',
  '$',
  ':',
  'a*',
  '(a*)*',
  '[z-a]',
  '(?=',
  '(?<',
  '\\1',
  '{1000}',
)
const patternText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(patternChars, { maxLength: 30 }).map((xs) => xs.join('')),
)

it('a glob or a ~regex compiles to a linear-time matcher, or is a typed input error', async () => {
  await fuzz(
    'glob-regex',
    fc.property(patternText, fc.string({ maxLength: 300 }), (pattern, name) => {
      typedOutcome(() => compileGlob(pattern).test(name))
      typedOutcome(() => compilePrefixRegex(pattern).test(name + 'a'.repeat(2000)))
    }),
    200,
  )
})
