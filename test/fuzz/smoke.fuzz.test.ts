import fc from 'fast-check'
import { expect, it } from 'vitest'
import { parseDuration } from '../../src/core/duration.js'
import { InputError } from '../../src/core/errors.js'
import { fuzz } from './params.js'

it('a duration is a number of milliseconds or a typed input error', async () => {
  await fuzz(
    'duration',
    fc.property(fc.string(), (text) => {
      try {
        expect(Number.isFinite(parseDuration(text, '--timeout'))).toBe(true)
      } catch (err) {
        expect(err).toBeInstanceOf(InputError)
      }
    }),
    300,
  )
})
