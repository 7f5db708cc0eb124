import { describe, expect, it } from 'vitest'
import { splitHostPatternTerms, splitPattern } from '../../../src/inventory/pattern-split.js'
import { checkPatternSyntax } from '../../../src/playbook/pattern-syntax.js'

describe('the one host-pattern splitter', () => {
  it('splits on commas only when there is one (":" then belongs to the term)', () => {
    expect(splitPattern('web:db,cache')).toEqual(['web:db', 'cache'])
    expect(splitPattern('web , db')).toEqual(['web', 'db'])
  })
  it('splits on ":" outside brackets otherwise', () => {
    expect(splitPattern('web[0:1]:db:!db2')).toEqual(['web[0:1]', 'db', '!db2'])
  })
  it('keeps one address whole: host:port, IPv6, a host range', () => {
    expect(splitPattern('2001:db8::7')).toEqual(['2001:db8::7'])
    expect(splitPattern('hv1:2222')).toEqual(['hv1:2222'])
    expect(splitPattern('10.0.0.5:22')).toEqual(['10.0.0.5:22'])
  })
  it('gives term positions to the playbook syntax check, which uses the same split', () => {
    expect(splitHostPatternTerms('web:db,cache')).toEqual([
      { text: 'web:db', index: 0 },
      { text: 'cache', index: 7 },
    ])
    // The playbook side agrees with selection: with a comma, "web:db" is one (unbalanced-free) term.
    expect(checkPatternSyntax('web:db,cache')).toEqual([])
    expect(checkPatternSyntax('web,,db')[0]?.index).toBe(4)
  })
})
