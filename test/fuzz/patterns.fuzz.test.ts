// Host patterns against a generated inventory: unions, intersections, exclusions, globs, ~regexes, subscripts and
// malformed mixtures of them select hosts of the inventory, or are typed input errors, within the time bound.

import fc from 'fast-check'
import { expect, it } from 'vitest'
import { InventoryBuilder, parseInventoryText, selectHosts } from '../../src/inventory/index.js'
import { fuzz } from './params.js'
import { typedOutcome } from './outcome.js'

const b = new InventoryBuilder()
parseInventoryText('inv.ini', `${'a'.repeat(60)}\nhv[01:20]\n[web]\nweb[1:5]\n[db]\ndb[a:c]\n[rack:children]\nweb\ndb\n`, b)
const inv = b.finalize()

const atom = fc.oneof(
  fc.constantFrom(
    'all',
    '*',
    'web',
    'db',
    'rack',
    'hv01',
    'web*',
    'hv[0-1]?',
    '[z-a]',
    'h[',
    'web[0]',
    'web[-1]',
    'web[1:]',
    'web[0:2]',
    'db[9]',
    '~(a*)*b',
    '~web[0-9]+',
    '~(?<=a)b',
    '~(',
    '~\\1',
    '@/dev/zero',
    '@/nonexistent',
  ),
  fc.string({ maxLength: 10 }),
  fc
    .array(fc.constantFrom('a', 'w', 'e', 'b', '*', '?', '[', ']', '!', '-', '~', '(', ')', '|', '+', '{', '}', '\\', '.', '1', '0'), { maxLength: 12 })
    .map((xs) => xs.join('')),
)
const pattern = fc
  .array(fc.tuple(fc.constantFrom('', '&', '!'), atom), { minLength: 1, maxLength: 5 })
  .chain((terms) => fc.constantFrom(':', ',', ', ').map((sep) => terms.map(([op, a]) => op + a).join(sep)))

it('a host pattern selects inventory hosts, or is a typed input error', async () => {
  await fuzz(
    'patterns',
    fc.property(fc.oneof(pattern, fc.string({ maxLength: 40 })), (p) => {
      typedOutcome(() => {
        const hosts = selectHosts(inv, p)
        for (const h of hosts) expect(inv.hosts.has(h)).toBe(true)
      })
    }),
    400,
  )
})
