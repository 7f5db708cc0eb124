// Differential tests against the real ansible-core: every corpus inventory must list the same hosts, groups
// and vars (value and type) as `ansible-inventory --list`, and every host pattern must select the same hosts in
// the same order as `ansible PATTERN --list-hosts`. Nothing is cached between runs; ansible-core runs in-process
// in a few python processes (test/ansible/oracle.py), and a sample is checked against the real commands.

import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { VirtfleetError } from '../../src/core/errors.js'
import { exitCodeForError } from '../../src/core/exit-codes.js'
import { loadInventory, loadSelectedHosts, selectHosts } from '../../src/inventory/index.js'
import { inventoryJson } from '../../src/inventory/present.js'
import { CORPUS, LIMIT_FILES, PATTERN_INVENTORY, PATTERNS, type Case } from './corpus.js'

const run = promisify(execFile)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const ORACLE = path.join(ROOT, 'test/ansible/oracle.py')

type Tagged = { t: string; v?: unknown }
interface Normal {
  hosts: Record<string, Record<string, Tagged>>
  groups: Record<string, { hosts: string[]; children: string[] }>
}
interface OracleOut extends Partial<Normal> {
  error?: string
  selections?: Array<{ hosts?: string[]; error?: string }>
}

/** The python that runs ansible-inventory (its shebang), so the oracle imports the same ansible-core. */
function ansiblePython(): string {
  const bin = ['/usr/bin/ansible-inventory', '/usr/local/bin/ansible-inventory'].find((p) => existsSync(p))
  if (!bin) throw new Error('ansible-inventory not found: install ansible-core (scripts/setup does)')
  const first = readFileSync(bin, 'utf8').split('\n')[0] ?? ''
  return first.replace(/^#!\s*/, '').split(/\s+/)[0] ?? 'python3'
}

const work = mkdtempSync(path.join(tmpdir(), 'virtfleet-parity-'))
const emptyCwd = path.join(work, '.cwd')
mkdirSync(emptyCwd)
const env = {
  ...process.env,
  HOME: work,
  ANSIBLE_LOCAL_TEMP: path.join(work, '.ansible-tmp'),
  ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
  ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'true',
  ANSIBLE_LOCALHOST_WARNING: 'false',
  ANSIBLE_HOST_PATTERN_MISMATCH: 'ignore',
  ANSIBLE_NOCOLOR: '1',
}

/** Run the oracle on several jobs in one python process (ansible's import dominates a run). */
function oracle(python: string, jobs: Array<{ sources: string[]; patterns?: Array<{ kind: string; text: string }> }>): Promise<OracleOut[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(python, [ORACLE], { cwd: emptyCwd, env })
    let out = ''
    let err = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (err += d.toString()))
    p.on('error', reject)
    p.on('close', (code) => {
      try {
        resolve((JSON.parse(out) as { results: OracleOut[] }).results)
      } catch {
        reject(new Error(`oracle exited ${code}: ${err}${out}`))
      }
    })
    p.stdin.end(JSON.stringify({ jobs }))
  })
}

/** Ansible's side, split over `size` python processes running at the same time; results in job order. */
async function oracleParallel(jobs: Parameters<typeof oracle>[1], size = 2): Promise<OracleOut[]> {
  const python = ansiblePython()
  const chunk = Math.ceil(jobs.length / size)
  const parts = await Promise.all(Array.from({ length: size }, (_, i) => oracle(python, jobs.slice(i * chunk, (i + 1) * chunk))))
  return parts.flat()
}

type VfJson = { hosts: Record<string, { vars: Record<string, unknown> }>; groups: Record<string, { hosts: string[]; children: string[] }> }

/** virtfleet's side in this process: what `virtfleet inventory -i … --json` computes (the CLI is checked below). */
async function virtfleetInProcess(sources: string[]): Promise<{ code: number; json?: VfJson; stderr: string }> {
  try {
    const { inventory, hosts } = await loadSelectedHosts({ inventory: sources })
    return { code: 0, json: JSON.parse(JSON.stringify(inventoryJson(inventory, hosts))) as VfJson, stderr: '' }
  } catch (err) {
    if (err instanceof VirtfleetError) return { code: exitCodeForError(err), stderr: err.message }
    throw err
  }
}

async function virtfleetCli(sources: string[]): Promise<{ code: number; json?: VfJson; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'bin/run.js'), 'inventory', ...sources.flatMap((s) => ['-i', s]), '--json'], {
      cwd: emptyCwd,
      env: { ...process.env, HOME: work },
    })
    return { code: 0, json: JSON.parse(stdout), stderr }
  } catch (err) {
    const e = err as { code?: number; stderr?: string; stdout?: string }
    return { code: e.code ?? 1, stderr: `${e.stderr ?? ''}${e.stdout ?? ''}` }
  }
}

/** JavaScript values tagged like the oracle tags Python's: int vs float by the value (one number type here). */
function tag(v: unknown): Tagged {
  if (v === null || v === undefined) return { t: 'null' }
  if (typeof v === 'boolean') return { t: 'bool', v }
  if (typeof v === 'number') return Number.isInteger(v) ? { t: 'int', v: String(v) } : { t: 'float', v: String(v) }
  if (typeof v === 'string') return { t: 'str', v }
  if (Array.isArray(v)) return { t: 'list', v: v.map(tag) }
  if (typeof v === 'object') return { t: 'dict', v: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tag(x)])) }
  return { t: typeof v, v: String(v) }
}

/** Python's repr of a float: 1e3 → "1000.0", 0.5 → "0.5". */
function normFloat(t: Tagged): Tagged {
  if (t.t === 'float') return { t: 'float', v: String(Number(t.v)) }
  if (t.t === 'list') return { t: 'list', v: (t.v as Tagged[]).map(normFloat) }
  if (t.t === 'dict') return { t: 'dict', v: Object.fromEntries(Object.entries(t.v as Record<string, Tagged>).map(([k, x]) => [k, normFloat(x)])) }
  return t
}

function normalizeGroups(groups: Record<string, { hosts?: string[]; children?: string[] }>): Normal['groups'] {
  const out: Normal['groups'] = {}
  for (const [name, g] of Object.entries(groups)) {
    const hosts = name === 'all' ? [] : [...(g.hosts ?? [])].sort()
    const children = [...(g.children ?? [])].sort()
    if (hosts.length > 0 || children.length > 0) out[name] = { hosts, children }
  }
  return out
}

function fromOracle(o: OracleOut): Normal {
  const hosts: Normal['hosts'] = {}
  for (const [h, vars] of Object.entries(o.hosts ?? {})) hosts[h] = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, normFloat(v)]))
  return { hosts, groups: normalizeGroups(o.groups ?? {}) }
}

function fromVirtfleet(j: VfJson): Normal {
  const hosts: Normal['hosts'] = {}
  for (const [h, spec] of Object.entries(j.hosts)) hosts[h] = Object.fromEntries(Object.entries(spec.vars).map(([k, v]) => [k, tag(v)]))
  return { hosts, groups: normalizeGroups(j.groups) }
}

function writeCase(c: Case): { dir: string; sources: string[] } {
  const dir = path.join(work, c.name)
  for (const [rel, text] of Object.entries(c.files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), text)
  }
  const rels = c.sources ?? (Object.keys(c.files).length === 1 ? Object.keys(c.files) : ['.'])
  return { dir, sources: rels.map((r) => path.join(dir, r)) }
}

interface Result {
  c: Case
  ansible: OracleOut
  ours: Awaited<ReturnType<typeof virtfleetInProcess>>
}

describe('inventory parity with ansible-inventory --list', () => {
  let results: Map<string, Result>
  beforeAll(async () => {
    const written = CORPUS.map((c) => ({ c, ...writeCase(c) }))
    const ansible = await oracleParallel(written.map((w) => ({ sources: w.sources })))
    const ours = await Promise.all(written.map((w) => virtfleetInProcess(w.sources)))
    results = new Map(written.map((w, i) => [w.c.name, { c: w.c, ansible: ansible[i] as OracleOut, ours: ours[i] as Result['ours'] }]))
  }, 600_000)

  it('the corpus has at least 40 inventories', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40)
  })

  it.each(CORPUS.map((c) => [c.name]))('%s', (name) => {
    const r = results.get(name) as Result
    if (r.c.differs?.virtfleetError && r.ansible.error) {
      // Both refuse it.
      expect(r.ours.code).toBe(4)
      expect(r.ours.stderr).toMatch(r.c.differs.virtfleetError)
      return
    }
    expect(r.ansible.error, 'ansible-inventory accepts the inventory').toBeUndefined()
    if (r.c.differs?.virtfleetError) {
      // Deliberate: virtfleet refuses what Ansible accepts (README, "Ansible compatibility").
      expect(r.ours.code).toBe(4)
      expect(r.ours.stderr).toMatch(r.c.differs.virtfleetError)
      return
    }
    expect(r.ours.stderr, 'virtfleet accepts the inventory').toBe('')
    expect(r.ours.code).toBe(0)
    const theirs = fromOracle(r.ansible)
    const ours = fromVirtfleet(r.ours.json as VfJson)
    for (const [host, v] of r.c.differs?.vars ?? []) {
      // Deliberate, and still a difference (else this entry is stale): see `differs.why` in the corpus.
      expect(ours.hosts[host]?.[v], `${host}.${v} differs on purpose: ${r.c.differs?.why}`).not.toEqual(theirs.hosts[host]?.[v])
      delete ours.hosts[host]?.[v]
      delete theirs.hosts[host]?.[v]
    }
    for (const h of r.c.differs?.onlyVirtfleetHosts ?? []) {
      // Deliberate: a host only virtfleet reads (see `differs.why`); drop it and its memberships, compare the rest.
      expect(ours.hosts[h], `${h} is only in virtfleet: ${r.c.differs?.why}`).toBeDefined()
      expect(theirs.hosts[h]).toBeUndefined()
      delete ours.hosts[h]
      const emptied = new Set<string>()
      for (const [name, g] of Object.entries(ours.groups)) {
        g.hosts = g.hosts.filter((x) => x !== h)
        if (g.hosts.length === 0 && g.children.length === 0) emptied.add(name)
      }
      for (const name of emptied) delete ours.groups[name]
      for (const g of Object.values(ours.groups)) g.children = g.children.filter((c) => !emptied.has(c))
    }
    expect(ours.groups).toEqual(theirs.groups)
    expect(Object.keys(ours.hosts).sort()).toEqual(Object.keys(theirs.hosts).sort())
    for (const h of Object.keys(theirs.hosts)) {
      const keys = new Set([...Object.keys(ours.hosts[h] ?? {}), ...Object.keys(theirs.hosts[h] ?? {})])
      for (const k of keys) expect.soft(ours.hosts[h]?.[k], `${h}: ${k}`).toEqual(theirs.hosts[h]?.[k])
    }
  })
})

describe('host patterns select what `ansible PATTERN --list-hosts` selects, in its order', () => {
  let inventoryPath: string
  let selections: OracleOut['selections']
  let limitSelections: OracleOut['selections']
  beforeAll(async () => {
    const dir = path.join(work, 'patterns')
    mkdirSync(dir, { recursive: true })
    inventoryPath = path.join(dir, 'hosts.ini')
    writeFileSync(inventoryPath, PATTERN_INVENTORY)
    for (const [f, text] of Object.entries(LIMIT_FILES)) writeFileSync(path.join(dir, f), text)
    const half = Math.ceil(PATTERNS.length / 2)
    const limits = Object.keys(LIMIT_FILES).map((f) => ({ kind: 'limit', text: `@${path.join(dir, f)}` }))
    const asPatterns = Object.values(LIMIT_FILES).map((t) => ({ kind: 'pattern', text: t.trim().split('\n').join(',') }))
    const [a, b, c] = await oracleParallel(
      [
        { sources: [inventoryPath], patterns: PATTERNS.slice(0, half).map((text) => ({ kind: 'pattern', text })) },
        { sources: [inventoryPath], patterns: PATTERNS.slice(half).map((text) => ({ kind: 'pattern', text })) },
        { sources: [inventoryPath], patterns: [...limits, ...asPatterns] },
      ],
      3,
    )
    selections = [...(a?.selections ?? []), ...(b?.selections ?? [])]
    limitSelections = c?.selections
  }, 600_000)

  it('at least 60 patterns', () => expect(PATTERNS.length + Object.keys(LIMIT_FILES).length).toBeGreaterThanOrEqual(60))

  it.each(PATTERNS.map((p, i) => [p, i]))('%s', async (p, i) => {
    const inv = await loadInventory([inventoryPath])
    const theirs = selections?.[i as number]
    if (theirs?.error) {
      expect(() => selectHosts(inv, p as string)).toThrow()
      return
    }
    expect(selectHosts(inv, p as string)).toEqual(theirs?.hosts)
  })

  it.each(Object.keys(LIMIT_FILES).map((f, i) => [f, i]))('@%s: the same hosts as --limit @file, in the order of the file read as a pattern', async (f, i) => {
    const inv = await loadInventory([inventoryPath])
    const ours = selectHosts(inv, `@${path.join(path.dirname(inventoryPath), f as string)}`)
    const n = Object.keys(LIMIT_FILES).length
    // Ansible reads @file only in --limit, where the order is the inventory's; as a pattern its lines keep their order.
    expect([...ours].sort()).toEqual([...(limitSelections?.[i as number]?.hosts ?? [])].sort())
    expect(ours).toEqual(limitSelections?.[(i as number) + n]?.hosts)
  })
})

describe('the two sides are the real commands', () => {
  const probe = ['web:!cache', 'prod', 'web[-1]:db']
  const sample = CORPUS.filter((c) => ['ini-group-vars-values', 'yaml-scalars', 'folder-group-vars-host-vars'].includes(c.name))
  let dir: string
  beforeAll(() => {
    dir = path.join(work, 'cli-check')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'hosts.ini'), PATTERN_INVENTORY)
  })

  it('`ansible --list-hosts` and `ansible-inventory --list` print what the oracle computes', async () => {
    const inv = path.join(dir, 'hosts.ini')
    const cases = sample.map((c) => writeCase(c))
    const [oracleOut, ...cli] = await Promise.all([
      oracleParallel([{ sources: [inv], patterns: probe.map((text) => ({ kind: 'pattern', text })) }, ...cases.map((c) => ({ sources: c.sources }))], 1),
      ...probe.map((p) => run('ansible', ['-i', inv, p, '--list-hosts'], { cwd: emptyCwd, env })),
    ])
    cli.forEach((r, i) => {
      const names = r.stdout
        .split('\n')
        .slice(1)
        .map((l) => l.trim())
        .filter(Boolean)
      expect(names).toEqual(oracleOut?.[0]?.selections?.[i]?.hosts)
    })
    for (const [i, c] of cases.entries()) {
      const { stdout } = await run('ansible-inventory', [...c.sources.flatMap((s) => ['-i', s]), '--list'], { cwd: emptyCwd, env })
      const listed = JSON.parse(stdout) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta?: { hostvars: Record<string, unknown> } }
      const hostvars = listed._meta?.hostvars ?? {}
      delete listed._meta
      const o = oracleOut?.[i + 1] as OracleOut
      expect(normalizeGroups(listed)).toEqual(fromOracle(o).groups)
      expect(Object.keys(hostvars).sort()).toEqual(Object.keys(o.hosts ?? {}).sort())
    }
  }, 300_000)

  it('`virtfleet inventory --json` prints what the in-process side computes', async () => {
    for (const c of sample) {
      const { sources } = writeCase(c)
      const [cli, inProcess] = await Promise.all([virtfleetCli(sources), virtfleetInProcess(sources)])
      expect(cli.code).toBe(0)
      expect(fromVirtfleet(cli.json as VfJson)).toEqual(fromVirtfleet(inProcess.json as VfJson))
    }
  }, 300_000)

  it('`virtfleet inventory --limit P --json` selects what selectHosts selects, in order', async () => {
    const inv = path.join(dir, 'hosts.ini')
    const loaded = await loadInventory([inv])
    for (const p of probe) {
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/run.js'), 'inventory', '-i', inv, '--limit', p, '--json'], { cwd: emptyCwd })
      expect(Object.keys((JSON.parse(stdout) as VfJson).hosts)).toEqual(selectHosts(loaded, p))
    }
  }, 300_000)
})
