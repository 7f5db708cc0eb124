import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { selectHosts } from '../../../src/inventory/index.js'
import { inputError, parse, tree } from './helpers.js'

const inv = parse([
  'p.ini',
  `[web]
web1
web2
web3
[db]
db1
db2
[staging]
web3
db2
[prod:children]
web
db
[hv]
hv01
hv11
hv21
`,
])

describe('selectHosts', () => {
  it('all, *, and no pattern select every host in the order Ansible prints (top-level groups first, then their children)', () => {
    // ansible -i p.ini all --list-hosts prints exactly this (all's children: ungrouped, staging, prod, hv; then web, db).
    const everyone = ['web3', 'db2', 'hv01', 'hv11', 'hv21', 'web1', 'web2', 'db1']
    expect(selectHosts(inv)).toEqual(everyone)
    expect(selectHosts(inv, 'all')).toEqual(everyone)
    expect(selectHosts(inv, '*')).toEqual(everyone)
  })
  it('a group name selects its hosts and its children’s hosts', () => {
    expect(selectHosts(inv, 'prod')).toEqual(['web1', 'web2', 'web3', 'db1', 'db2'])
  })
  it('union with : or , is deduplicated and in the order written, as ansible --list-hosts prints it', () => {
    expect(selectHosts(inv, 'db:web1')).toEqual(['db1', 'db2', 'web1'])
    expect(selectHosts(inv, 'db1,web,db1')).toEqual(['db1', 'web1', 'web2', 'web3'])
  })
  it('with a comma, ":" is not a separator (Ansible splits on one or the other)', () => {
    expect(selectHosts(inv, 'web:db,hv01')).toEqual(['hv01'])
  })
  it('a subscript of 0 as the end selects the start element alone (as Ansible, which tests `if end:`)', () => {
    expect(selectHosts(inv, 'web[1:0]')).toEqual(['web2'])
  })
  it('intersection with :&', () => {
    expect(selectHosts(inv, 'prod:&staging')).toEqual(['web3', 'db2'])
  })
  it('exclusion with :!', () => {
    expect(selectHosts(inv, 'prod:!staging')).toEqual(['web1', 'web2', 'db1'])
  })
  it('applies union first, then &, then !, whatever the order written', () => {
    expect(selectHosts(inv, '!db2:&staging:web:db')).toEqual(['web3'])
  })
  it('only & or ! terms restrict all', () => {
    expect(selectHosts(inv, '!prod')).toEqual(['hv01', 'hv11', 'hv21'])
  })
  it('globs match hosts and groups', () => {
    expect(selectHosts(inv, 'hv?1')).toEqual(['hv01', 'hv11', 'hv21'])
    expect(selectHosts(inv, 'web*')).toEqual(['web1', 'web2', 'web3'])
    expect(selectHosts(inv, 'stag*')).toEqual(['web3', 'db2'])
    expect(selectHosts(inv, 'db[!1]')).toEqual(['db2'])
  })
  it('~regex matches from the start of the name', () => {
    expect(selectHosts(inv, '~hv[01]1')).toEqual(['hv01', 'hv11'])
    expect(selectHosts(inv, '~1')).toEqual([])
    expect(selectHosts(inv, '~.*1$')).toEqual(['web1', 'db1', 'hv01', 'hv11', 'hv21'])
  })
  it('subscripts pick by position in the group (end inclusive, negative from the end, open end)', () => {
    expect(selectHosts(inv, 'web[0]')).toEqual(['web1'])
    expect(selectHosts(inv, 'web[-1]')).toEqual(['web3'])
    expect(selectHosts(inv, 'web[0:1]')).toEqual(['web1', 'web2'])
    expect(selectHosts(inv, 'prod[3:]')).toEqual(['db1', 'db2'])
    // Out of range: Ansible raises "No hosts matched the subscripted pattern" (--limit fails; plain ansible warns).
    expect(inputError(() => selectHosts(inv, 'web[7]'))).toMatch(/no hosts matched the subscripted pattern "web\[7\]"/)
    expect(selectHosts(inv, 'nosuch[7]')).toEqual([])
    expect(selectHosts(inv, 'hv:!hv[0:1]')).toEqual(['hv21'])
  })
  it('@file reads one pattern per line', () => {
    const dir = tree({})
    const file = path.join(dir, 'limit.txt')
    writeFileSync(file, '# hosts to handle\nweb1\n\ndb\n!db2\n')
    expect(selectHosts(inv, `@${file}`)).toEqual(['web1', 'db1'])
    expect(selectHosts(inv, `@${file}:hv01`)).toEqual(['web1', 'db1', 'hv01'])
  })
  it('a pattern matching nothing gives an empty list', () => {
    expect(selectHosts(inv, 'nosuch')).toEqual([])
  })
  it('bad patterns are InputErrors', () => {
    expect(inputError(() => selectHosts(inv, '~hv('))).toMatch(/invalid host pattern "~hv\(": bad regular expression/)
    expect(inputError(() => selectHosts(inv, 'web:&'))).toMatch(/invalid host pattern/)
    expect(inputError(() => selectHosts(inv, 'web[0'))).toMatch(/unbalanced/)
    expect(inputError(() => selectHosts(inv, '@/nonexistent/limit'))).toMatch(/cannot read host pattern file/)
  })
})
