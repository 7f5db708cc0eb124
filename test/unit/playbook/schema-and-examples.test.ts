import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'

import { parsePlaybook } from '../../../src/playbook/parse.js'
import { playbookJsonSchema } from '../../../src/playbook/schema.js'
import { STEP_ALIASES, STEP_KINDS } from '../../../src/playbook/spec.js'
import { validate } from './mini-json-schema.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const schemaFile = path.join(root, 'schemas/playbook.schema.json')
const examples = ['rolling-reboot.yml', 'maintenance-window.yml', 'ci-drain.yml', 'rolling-evacuate.yml'].map((f) => path.join(root, 'playbooks', f))

if (process.env.UPDATE_SCHEMAS === '1') fs.writeFileSync(schemaFile, JSON.stringify(playbookJsonSchema(), null, 2) + '\n')

const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as Record<string, unknown>

describe('schemas/playbook.schema.json', () => {
  it('is draft 2020-12', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
  })
  it('is exactly what src/playbook/schema.ts generates (regenerate with UPDATE_SCHEMAS=1)', () => {
    expect(schema).toEqual(JSON.parse(JSON.stringify(playbookJsonSchema())))
  })
  it("lists the parser's step kinds and aliases", () => {
    const defs = schema.$defs as Record<string, { enum: string[] }>
    expect(defs.stepKind?.enum).toEqual([...STEP_KINDS, ...Object.keys(STEP_ALIASES)])
  })
  it('rejects what the parser rejects: an unknown step, a bad duration, serial: yes', () => {
    expect(validate(schema, [{ hosts: 'all', steps: [{ shutdwn: {} }] }])).not.toEqual([])
    expect(validate(schema, [{ hosts: 'all', steps: [{ reboot: { reboot_timeout: '10 minutes' } }] }])).not.toEqual([])
    expect(validate(schema, [{ hosts: 'all', serial: 'yes', steps: ['reboot'] }])).not.toEqual([])
    expect(validate(schema, [{ steps: ['reboot'] }])).not.toEqual([])
  })
  it('rejects what the parser rejects: a pause with no option, a connection setting in vars, parallel past one million', () => {
    expect(validate(schema, [{ hosts: 'all', steps: [{ pause: {} }] }])).not.toEqual([])
    expect(validate(schema, [{ hosts: 'all', steps: [{ pause: { prompt: 'Go?', seconds: 30 } }] }])).toEqual([])
    expect(validate(schema, [{ hosts: 'all', vars: { ansible_user: 'root' }, steps: ['reboot'] }])).not.toEqual([])
    expect(validate(schema, [{ hosts: 'all', steps: [{ start: { parallel: 2_000_000 } }] }])).not.toEqual([])
    expect(validate(schema, [{ hosts: 'all', vars: { custom: 1 }, steps: [{ pause: { prompt: 'Go?' } }, { pause: 30 }] }])).toEqual([])
  })
})

describe('example playbooks', () => {
  it.each(examples)('%s parses and validates', async (file) => {
    const pb = await parsePlaybook(file)
    expect(pb.plays.length).toBeGreaterThan(0)
    expect(validate(schema, parseYaml(fs.readFileSync(file, 'utf8')))).toEqual([])
  })
  it.each(examples)('%s points editors at the schema', (file) => {
    expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/playbook.schema.json')
  })
  it('ci-drain has no interactive step', async () => {
    const pb = await parsePlaybook(examples[2] as string)
    expect(pb.plays.flatMap((p) => p.steps.map((s) => s.kind)).filter((k) => k === 'pause' || k === 'confirm')).toEqual([])
  })
})

describe('schemas/inventory.schema.json', () => {
  const inv = JSON.parse(fs.readFileSync(path.join(root, 'schemas/inventory.schema.json'), 'utf8')) as Record<string, unknown>
  const sample = parseYaml(`
virtfleet: 1
vars: { user: virtfleet, become: true, timeout: 90s, action: suspend, fallback: [shutdown, destroy], site: par1 }
hosts:
  hv01: { address: 10.0.0.11, tier: compute }
  hv02: { port: 2222, jump: admin@bastion:22 }
  st01:
groups:
  compute: { hosts: [hv01, hv02], vars: { parallel: 4 } }
  storage: { hosts: [st01] }
  prod: { children: [compute, storage] }
`)
  it('is draft 2020-12 and accepts a typical inventory', () => {
    expect(inv.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(validate(inv, sample)).toEqual([])
  })
  it('rejects a wrong version, a bad action and a bad port', () => {
    expect(validate(inv, { virtfleet: 2, hosts: {} })).not.toEqual([])
    expect(validate(inv, { virtfleet: 1, hosts: { a: { action: 'reboot' } } })).not.toEqual([])
    expect(validate(inv, { virtfleet: 1, hosts: { a: { port: 70000 } } })).not.toEqual([])
  })
})
