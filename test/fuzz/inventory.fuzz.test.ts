// Generated inventories in the three formats (virtfleet YAML, Ansible YAML, Ansible INI), mutated with the
// characters that broke parsers (anchors, aliases, brackets, ranges, merge keys), and folders with group_vars/
// host_vars: every one loads, resolves and renders, or is a typed input error, within the time bound.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { it } from 'vitest'
import { InventoryBuilder, loadInventory, parseInventoryText, resolveHosts, selectHosts, type Inventory } from '../../src/inventory/index.js'
import { inventoryJson, renderGraph } from '../../src/inventory/present.js'
import { fuzz } from './params.js'
import { typedOutcome, typedOutcomeAsync } from './outcome.js'

const name = fc.oneof(
  fc.constantFrom('all', 'ungrouped', 'web', 'db', 'g1', 'g2', 'hv1', 'hv[1:3]', 'hv[01:99999999]', 'a[b:a]', 'h:22', '*a'),
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/),
)
const value = fc.oneof(
  fc.constantFrom('90s', '25d', '7d', '99999999999999999999', 'yes', '~', 'null', '*a', '&a x', '[', '{', '<<: *a', '-o ProxyJump=x', "'q'", '"\\u0000"'),
  fc.string({ maxLength: 12 }),
  fc.integer(),
)
const varKey = fc.constantFrom(
  'timeout',
  'host_timeout',
  'port',
  'ansible_port',
  'parallel',
  'address',
  'ansible_host',
  'user',
  'uris',
  'become',
  'fallback',
  'action',
  'jump',
  'ansible_ssh_common_args',
  'ansible_group_priority',
  'x',
)
const vars = fc.array(fc.tuple(varKey, value), { maxLength: 4 })
const group = fc.record({ name, hosts: fc.array(name, { maxLength: 4 }), children: fc.array(name, { maxLength: 3 }), vars })
const shape = fc.record({ hosts: fc.array(fc.tuple(name, vars), { maxLength: 6 }), groups: fc.array(group, { maxLength: 6 }), vars })

const y = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))
const yVars = (vs: Array<[string, unknown]>, ind: string): string => vs.map(([k, v]) => `${ind}${k}: ${y(v)}\n`).join('')

type Shape = {
  hosts: Array<[string, Array<[string, unknown]>]>
  groups: Array<{ name: string; hosts: string[]; children: string[]; vars: Array<[string, unknown]> }>
  vars: Array<[string, unknown]>
}

function ownYaml(s: Shape): string {
  let t = `virtfleet: 1\nvars:\n${yVars(s.vars, '  ')}hosts:\n`
  for (const [h, vs] of s.hosts) t += `  ${h}:\n${yVars(vs, '    ')}`
  t += 'groups:\n'
  for (const g of s.groups)
    t += `  ${g.name}:\n    hosts: [${g.hosts.join(', ')}]\n    children: [${g.children.join(', ')}]\n    vars:\n${yVars(g.vars, '      ')}`
  return t
}

function ansibleYaml(s: Shape): string {
  let t = `all:\n  vars:\n${yVars(s.vars, '    ')}  hosts:\n`
  for (const [h, vs] of s.hosts) t += `    ${h}:\n${yVars(vs, '      ')}`
  t += '  children:\n'
  for (const g of s.groups) {
    t += `    ${g.name}:\n      hosts:\n${g.hosts.map((h) => `        ${h}:\n`).join('')}      vars:\n${yVars(g.vars, '        ')}      children:\n`
    t += g.children.map((c) => `        ${c}:\n`).join('')
  }
  return t
}

function ini(s: Shape): string {
  let t = s.hosts.map(([h, vs]) => `${h} ${vs.map(([k, v]) => `${k}=${y(v)}`).join(' ')}\n`).join('')
  t += `[all:vars]\n${s.vars.map(([k, v]) => `${k}=${y(v)}\n`).join('')}`
  for (const g of s.groups) {
    t += `[${g.name}]\n${g.hosts.join('\n')}\n[${g.name}:children]\n${g.children.join('\n')}\n[${g.name}:vars]\n${g.vars.map(([k, v]) => `${k}=${y(v)}`).join('\n')}\n`
  }
  return t
}

const hostile = fc.constantFrom(
  '*a',
  '&a ',
  '&a [',
  '*b',
  '<<: *a\n',
  '[',
  ']',
  '{',
  '}',
  ':',
  '\t',
  '\n',
  '  ',
  '- ',
  '? ',
  '#',
  '"',
  "'",
  '[g:children]\n',
  '%YAML 1.1\n',
  '---\n',
  '\u0000',
  'hv[0:9999999]',
)
const mutated = (text: string): fc.Arbitrary<string> =>
  fc.array(fc.tuple(fc.nat(), hostile), { maxLength: 6 }).map((edits) => {
    let t = text
    for (const [at, s] of edits) {
      const i = t.length === 0 ? 0 : at % t.length
      t = t.slice(0, i) + s + t.slice(i)
    }
    return t
  })

const inventoryText = shape.chain((s) =>
  fc
    .constantFrom<[string, string]>(['inv.yml', ownYaml(s)], ['inv.yml', ansibleYaml(s)], ['inv.ini', ini(s)], ['inv', ini(s)])
    .chain(([file, text]) => fc.oneof(fc.constant(text), mutated(text)).map((t) => [file, t] as const)),
)

function use(inv: Inventory): void {
  const hosts = resolveHosts(inv, selectHosts(inv, 'all'))
  renderGraph(inv)
  renderGraph(inv, new Set(hosts.slice(0, 2).map((h) => h.name)))
  inventoryJson(inv, hosts)
}

it('an inventory text in any format loads and resolves, or is a typed input error', async () => {
  await fuzz(
    'inventory-text',
    fc.property(inventoryText, ([file, text]) => {
      typedOutcome(() => {
        const b = new InventoryBuilder()
        parseInventoryText(file, text, b)
        use(b.finalize())
      })
    }),
    150,
  )
})

it('an inventory folder with group_vars/ and host_vars/ loads, or is a typed input error', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'virtfleet-fuzz-inv-'))
  let n = 0
  try {
    await fuzz(
      'inventory-folder',
      fc.asyncProperty(
        inventoryText,
        fc.array(
          fc.tuple(
            fc.constantFrom('group_vars', 'host_vars'),
            name,
            fc.constantFrom('', '.yml', '/a.yml'),
            vars.chain((vs) => mutated(yVars(vs, ''))),
          ),
          { maxLength: 4 },
        ),
        async ([file, text], extra) => {
          const dir = path.join(root, String(n++))
          mkdirSync(dir)
          writeFileSync(path.join(dir, file), text)
          for (const [kind, entity, suffix, body] of extra) {
            const full = path.join(dir, kind, `${entity}${suffix}`)
            try {
              mkdirSync(path.dirname(full), { recursive: true })
              writeFileSync(full, body)
            } catch {
              // a name that is not a valid path (or clashes with a folder): skip that file
            }
          }
          await typedOutcomeAsync(async () => use(await loadInventory([dir])))
          rmSync(dir, { recursive: true, force: true })
        },
      ),
      20,
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
