// known_hosts host patterns: the literal fast path of matchPattern agrees with OpenSSH-style glob matching (the
// regex every pattern was compiled to before) for any name and pattern, wildcards or not.

import fc from 'fast-check'
import { expect, it } from 'vitest'
import { matchPattern } from '../../src/ssh/known-hosts.js'
import { fuzz } from './params.js'

function globReference(name: string, pattern: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${re}$`, 's').test(name.toLowerCase())
}

const part = fc.oneof(fc.constantFrom('hv1', 'HV1', '[hv1]:2222', '*', '?', '.', 'İ', 'ß', '\n', 'lab', 'é'), fc.string({ maxLength: 4 }))
const text = fc.array(part, { maxLength: 5 }).map((xs) => xs.join(''))

it('matchPattern equals the glob reference for any name and pattern', async () => {
  await fuzz(
    'known_hosts matchPattern',
    fc.property(text, text, fc.boolean(), (name, pattern, same) => {
      const p = same ? name.toUpperCase() : pattern
      expect(matchPattern(name, p)).toBe(globReference(name, p))
    }),
    300,
  )
})
