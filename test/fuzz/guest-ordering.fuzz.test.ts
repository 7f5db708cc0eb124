import fc from 'fast-check'
import { expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { compileGlob } from '../../src/core/glob.js'
import { parseGuestOrdering } from '../../src/inventory/guest-ordering.js'
import { fuzz } from './params.js'

it('guest-ordering vars of any shape give typed settings or a typed input error, nothing else', async () => {
  const value = fc.jsonValue()
  await fuzz(
    'guest-ordering vars',
    fc.property(fc.record({ guest_order: value, guest_tiers: value, use_guest_tags: value }, { requiredKeys: [] }), (vars) => {
      try {
        const o = parseGuestOrdering('hv1', vars)
        for (const r of o.order) expect(Number.isFinite(r.value)).toBe(true)
        for (const r of o.tiers) expect(r.value).not.toBe('')
        expect(typeof o.useGuestTags).toBe('boolean')
      } catch (err) {
        expect(err).toBeInstanceOf(InputError)
      }
    }),
    300,
  )
})

it('a guest name used as its own glob matches itself once its metacharacters are bracketed', async () => {
  await fuzz(
    'literal glob',
    fc.property(fc.string({ minLength: 1 }), (name) => {
      const literal = [...name].map((c) => ('*?['.includes(c) ? `[${c}]` : c)).join('')
      expect(compileGlob(literal).test(name)).toBe(true)
    }),
    300,
  )
})
