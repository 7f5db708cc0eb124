// Read inventory sources (files or folders, Ansible YAML / Ansible INI / virtfleet YAML, detected by content)
// into one Inventory, then group_vars/ and host_vars/ beside each source. Later sources override earlier ones.

import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { isMap } from 'yaml'
import { InputError } from '../core/errors.js'
import { readInputFile } from '../core/input-file.js'
import { InventoryBuilder, type Inventory } from './model.js'
import { parseAnsibleYaml } from './parse-ansible-yaml.js'
import { parseIni } from './parse-ini.js'
import { isOwnFormat, parseOwnInventory } from './parse-own.js'
import { deref, describeNode, expectMap, originAt, parseYaml, readVars, yamlSyntaxError, type YamlSource } from './yaml-util.js'

export type InventoryFormat = 'virtfleet' | 'ansible-yaml' | 'ini'

/** Inventory paths when -i is absent: $VIRTFLEET_INVENTORY (comma-separated), else ./inventory. */
export function defaultInventoryPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.VIRTFLEET_INVENTORY ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  return fromEnv.length > 0 ? fromEnv : ['inventory']
}

const INVENTORY_EXTENSIONS = new Set(['.yml', '.yaml', '.ini', '.json', ''])
const VARS_EXTENSIONS = new Set(['.yml', '.yaml', '.json', ''])
const INI_SECTION_LINE = /^\[[^\]\s]+\]\s*(?:[#;].*)?$/m
const YAML_KEY_LINE = /^[A-Za-z_][\w.-]*:\s*(?:#.*)?$/m

/**
 * Decide a file's format from its content: a line that is an INI section header (YAML cannot have one at
 * column 0 and be a mapping) → INI; a YAML mapping → virtfleet (with a `virtfleet:` key) or Ansible YAML; a file
 * named .yml/.yaml, or one that looks like YAML keys but fails to parse → YAML (so its syntax error is reported);
 * anything else (e.g. a bare list of host names) → INI.
 */
export function detectFormat(file: string, text: string): { format: InventoryFormat; yaml?: YamlSource } {
  if (INI_SECTION_LINE.test(text)) return { format: 'ini' }
  const src = parseYaml(file, text)
  const ext = path.extname(file).toLowerCase()
  const top = src.doc.errors.length === 0 ? deref(src, src.doc.contents) : undefined
  if (isMap(top)) return { format: isOwnFormat(src) ? 'virtfleet' : 'ansible-yaml', yaml: src }
  if (ext === '.yml' || ext === '.yaml' || ext === '.json' || (src.doc.errors.length > 0 && YAML_KEY_LINE.test(text))) {
    return { format: 'ansible-yaml', yaml: src }
  }
  return { format: 'ini' }
}

/** Parse one inventory file's text into the builder. */
export function parseInventoryText(file: string, text: string, b: InventoryBuilder): InventoryFormat {
  return withStackGuard(file, () => parseInventoryTextUnguarded(file, text, b))
}

/**
 * Nesting deeper than the JS stack (thousands of nested YAML collections or groups) ends in a RangeError deep in a
 * parser: report it as the input's fault rather than crash.
 */
export function withStackGuard<T>(file: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) throw new InputError('nested too deeply to be read (thousands of levels)', { file })
    throw err
  }
}

function parseInventoryTextUnguarded(file: string, text: string, b: InventoryBuilder): InventoryFormat {
  const { format, yaml } = detectFormat(file, text)
  b.addSource(file)
  if (format === 'ini' || !yaml) {
    parseIni(file, text, b)
    return 'ini'
  }
  const err = yamlSyntaxError(yaml)
  if (err) throw err
  if (format === 'virtfleet') parseOwnInventory(yaml, b)
  else {
    const top = deref(yaml, yaml.doc.contents)
    if (top === null) return format // an empty YAML file: no hosts
    parseAnsibleYaml(yaml, b)
  }
  return format
}

async function statOrNull(p: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(p)
  } catch {
    return null
  }
}

function skippedName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || name.endsWith('.bak') || name.endsWith('.orig') || name.endsWith('.retry')
}

/** Inventory and vars files: regular files only, size-capped (see core/input-file). */
async function readText(file: string, what = 'inventory file'): Promise<string> {
  return readInputFile(file, what)
}

/**
 * Load and merge inventory sources. Each path is a file or a folder (its *.yml, *.yaml, *.ini, *.json and
 * extension-less files, sorted; no recursion). group_vars/ and host_vars/ are read from each source's folder
 * (the folder itself, or the folder holding the file), once per folder, after all sources were parsed.
 */
export async function loadInventory(paths: string[]): Promise<Inventory> {
  if (paths.length === 0) throw new InputError('no inventory given: pass -i <file or folder> or set VIRTFLEET_INVENTORY')
  const b = new InventoryBuilder()
  const varsDirs: string[] = []
  for (const p of paths) {
    const st = await statOrNull(p)
    if (!st) throw new InputError(`inventory not found: ${p} (pass -i <file or folder> or set VIRTFLEET_INVENTORY)`)
    let files: string[]
    if (st.isDirectory()) {
      const entries = await readdir(p, { withFileTypes: true })
      files = entries
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && !skippedName(e.name) && INVENTORY_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
        .map((e) => e.name)
        .sort()
        .map((n) => path.join(p, n))
      const real: string[] = []
      for (const f of files) if ((await statOrNull(f))?.isFile()) real.push(f)
      files = real
      if (!varsDirs.includes(p)) varsDirs.push(p)
    } else {
      files = [p]
      const dir = path.dirname(p)
      if (!varsDirs.includes(dir)) varsDirs.push(dir)
    }
    for (const f of files) parseInventoryText(f, await readText(f), b)
  }
  for (const dir of varsDirs) {
    await loadVarsDir(b, path.join(dir, 'group_vars'), 'group')
    await loadVarsDir(b, path.join(dir, 'host_vars'), 'host')
  }
  return b.finalize()
}

/** group_vars/<name>[.yml|.yaml|.json] files and group_vars/<name>/ folders (all their files, sorted, recursively). */
async function loadVarsDir(b: InventoryBuilder, dir: string, kind: 'group' | 'host'): Promise<void> {
  const st = await statOrNull(dir)
  if (!st?.isDirectory()) return
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !skippedName(e.name)).sort((a, c) => (a.name < c.name ? -1 : 1))
  const known = (name: string): boolean => (kind === 'group' ? b.hasGroup(name) : b.hasHost(name))
  // Ansible reads `name` then `name.yml`, … then the folder `name/`: collect per entity, in that order.
  const perEntity = new Map<string, string[]>()
  for (const e of entries) {
    const full = path.join(dir, e.name)
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await statOrNull(full))?.isDirectory() === true)
    let entity: string
    if (isDir) entity = e.name
    else {
      const ext = path.extname(e.name).toLowerCase()
      entity = VARS_EXTENSIONS.has(ext) && ext !== '' ? e.name.slice(0, -ext.length) : e.name
      if (!VARS_EXTENSIONS.has(ext) && !known(e.name)) continue
    }
    if (!known(entity)) continue
    const files = isDir ? await listVarsFiles(full) : [full]
    perEntity.set(entity, [...(perEntity.get(entity) ?? []), ...files])
  }
  for (const [entity, files] of perEntity) {
    const sorted = [...files].sort((x, y) => rankVarsFile(x, entity, dir) - rankVarsFile(y, entity, dir) || (x < y ? -1 : 1))
    for (const f of sorted) {
      const text = await readText(f, `${kind}_vars file`)
      withStackGuard(f, () => {
        const src = parseYaml(f, text)
        const err = yamlSyntaxError(src)
        if (err) throw err
        const top = deref(src, src.doc.contents)
        if (top === null) return
        if (!isMap(top)) throw new InputError(`a ${kind}_vars file must be a mapping of var names to values, got ${describeNode(top)}`, originAt(src, top))
        for (const v of readVars(src, expectMap(src, top, `${kind}_vars file`))) {
          if (kind === 'group') b.setGroupFileVar(entity, v.key, v.value, v.origin)
          else b.setHostFileVar(entity, v.key, v.value, v.origin)
        }
      })
    }
  }
}

function rankVarsFile(file: string, entity: string, dir: string): number {
  const rel = path.relative(dir, file)
  if (rel === entity) return 0
  if (!rel.includes(path.sep)) return 1
  return 2
}

async function listVarsFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !skippedName(e.name)).sort((a, c) => (a.name < c.name ? -1 : 1))
  for (const e of entries) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listVarsFiles(full)))
    else if (VARS_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(full)
  }
  return out
}
