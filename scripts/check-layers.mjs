// Guards the house rules a reader relies on: no src/ module imports from a higher layer, no src/ file is over
// 400 lines, and every unit test sits in the test/unit/ folder of the src/ folder it tests. Reads relative
// imports only (`from '…'`, `import('…')`, `export … from '…'`), type-only ones included; exits 1 listing each offence.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
const MAX_LINES = 400

// Lowest first; folders on one rank may import each other.
const RANKS = [['core'], ['inventory'], ['ssh'], ['libvirt', 'state'], ['engine'], ['render', 'playbook'], ['cli'], ['commands']]
const rankOf = new Map(RANKS.flatMap((folders, rank) => folders.map((f) => [f, rank])))

function walk(dir, keep) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...walk(path, keep))
    else if (keep(name)) out.push(path)
  }
  return out
}

const layerOf = (file) => relative(src, file).split(sep)[0]
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm

const problems = []
for (const file of walk(src, (n) => n.endsWith('.ts'))) {
  const text = readFileSync(file, 'utf8')
  const rel = relative(root, file)
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
  if (lines > MAX_LINES) problems.push(`${rel}: ${lines} lines (limit ${MAX_LINES})`)
  const layer = layerOf(file)
  const rank = rankOf.get(layer)
  if (rank === undefined) {
    problems.push(`${rel}: folder src/${layer} has no layer (add it to RANKS in scripts/check-layers.mjs)`)
    continue
  }
  for (const m of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), m[1])
    if (!target.startsWith(src + sep)) {
      problems.push(`${rel}: imports ${m[1]}, outside src/`)
      continue
    }
    const targetLayer = layerOf(target)
    const targetRank = rankOf.get(targetLayer)
    if (targetRank === undefined || targetRank > rank) {
      const line = text.slice(0, m.index).split('\n').length
      problems.push(`${rel}:${line}: ${layer} imports ${m[1]} (${targetLayer} is a higher layer)`)
    }
  }
}

// test/unit/<folder>/… mirrors src/<folder>/…; helpers shared across folders live in test/support/.
const unit = join(root, 'test', 'unit')
for (const file of walk(unit, (n) => n.endsWith('.ts'))) {
  const folder = dirname(relative(unit, file))
  let isDir = false
  try {
    isDir = statSync(join(src, folder)).isDirectory()
  } catch {}
  if (!isDir) problems.push(`${relative(root, file)}: no src/${folder.split(sep).join('/')} folder to mirror`)
}

if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log('check-layers: no upward import, no src file over 400 lines, test/unit mirrors src')
