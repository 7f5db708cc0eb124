import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.js'
import { guestOrdering, parseGuestOrdering, ruleFor } from '../../../src/inventory/guest-ordering.js'
import { hostSpec } from '../../support/fake-fleet.js'

describe('guest-ordering settings (guest_order, guest_tiers, use_guest_tags)', () => {
  it('no vars: no ordering rules and no description tags', () => {
    expect(parseGuestOrdering('hv1', {})).toEqual({ order: [], tiers: [], useGuestTags: false })
  })

  it('keeps the rules in definition order, numbers from YAML or INI strings, tiers as names', () => {
    const o = parseGuestOrdering('hv1', { guest_order: { 'db*': 1, 'web*': '2', '*': -0.5 }, guest_tiers: { 'db*': 'db', 'web*': 3 } })
    expect(o.order).toEqual([
      { glob: 'db*', value: 1 },
      { glob: 'web*', value: 2 },
      { glob: '*', value: -0.5 },
    ])
    expect(o.tiers).toEqual([
      { glob: 'db*', value: 'db' },
      { glob: 'web*', value: '3' },
    ])
  })

  it('the first glob matching a guest name wins', () => {
    const o = parseGuestOrdering('hv1', { guest_order: { 'web1*': 5, 'web*': 9 } })
    expect(ruleFor(o.order, 'web12')).toBe(5)
    expect(ruleFor(o.order, 'web2')).toBe(9)
    expect(ruleFor(o.order, 'db1')).toBeUndefined()
  })

  it('use_guest_tags takes booleans and the yes/no words Ansible does', () => {
    expect(parseGuestOrdering('h', { use_guest_tags: true }).useGuestTags).toBe(true)
    expect(parseGuestOrdering('h', { use_guest_tags: 'yes' }).useGuestTags).toBe(true)
    expect(parseGuestOrdering('h', { use_guest_tags: 'False' }).useGuestTags).toBe(false)
    expect(parseGuestOrdering('h', { use_guest_tags: 0 }).useGuestTags).toBe(false)
  })

  it('a non-numeric order is an input error naming the host, the var and the glob', () => {
    expect(() => parseGuestOrdering('hv1', { guest_order: { 'web*': 'first' } })).toThrow(InputError)
    expect(() => parseGuestOrdering('hv1', { guest_order: { 'web*': 'first' } })).toThrow(/host hv1: guest_order\["web\*"\]: expected a number, got "first"/)
    expect(() => parseGuestOrdering('hv1', { guest_order: { 'web*': true } })).toThrow(InputError)
    expect(() => parseGuestOrdering('hv1', { guest_order: { 'web*': '' } })).toThrow(InputError)
  })

  it('a guest_order or guest_tiers that is not a mapping is an input error', () => {
    expect(() => parseGuestOrdering('hv1', { guest_order: 'web*=1' })).toThrow(/guest_order: expected a mapping/)
    expect(() => parseGuestOrdering('hv1', { guest_tiers: ['db'] })).toThrow(/guest_tiers: expected a mapping/)
    expect(() => parseGuestOrdering('hv1', { guest_tiers: { 'db*': { name: 'db' } } })).toThrow(InputError)
  })

  it('a use_guest_tags that is not a boolean is an input error', () => {
    expect(() => parseGuestOrdering('hv1', { use_guest_tags: 'sometimes' })).toThrow(/use_guest_tags: expected a boolean/)
  })

  it('carries the file:line of the var when the caller knows it', () => {
    const where = { file: 'inv/host_vars/hv1.yml', line: 3, column: 15 }
    expect(() => parseGuestOrdering('hv1', { guest_order: { a: 'x' } }, () => where)).toThrow(/^inv\/host_vars\/hv1\.yml:3:15: host hv1/)
  })

  it('is parsed once per resolved host', () => {
    const host = hostSpec('hv1', { vars: { guest_order: { '*': 1 } } })
    expect(guestOrdering(host)).toBe(guestOrdering(host))
  })
})
