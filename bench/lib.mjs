// Small helpers shared by the benchmark sections: compile step, memory sampler, seeded random numbers, formatting,
// the `--name value` option reader and the median.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Where bench/tsconfig.json compiles the fake fleet + engine (node_modules/ is ignored by git, cleaned by npm ci). */
export const OUT = join(REPO, 'node_modules', '.cache', 'virtfleet-bench')

const NEEDED = ['test/support/fake-fleet.js', 'src/engine/stop.js', 'src/engine/start.js', 'src/render/plain.js', 'src/libvirt/virsh.js']

/**
 * Compile test/support/fake-fleet.ts and the engine modules it shares with the benchmark into OUT. The fake fleet and
 * the engine must come from one compilation (instanceof UnreachableError etc.), hence not dist/ + a port of the fake.
 * Type errors elsewhere in a work-in-progress tree only warn: tsc still emits, and the emitted JS is what we time.
 */
export function compile() {
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'bench', 'tsconfig.json'), '--outDir', OUT], { cwd: REPO, encoding: 'utf8' })
  const missing = NEEDED.filter((f) => !existsSync(join(OUT, f)))
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr)
    if (missing.length > 0 || r.error) throw new Error(`bench: tsc failed (${r.error?.message ?? `exit ${r.status}`})`)
    process.stderr.write('bench: tsc reported errors (above) but emitted the modules; continuing\n')
  }
}

export const load = (rel) => import(pathToFileURL(join(OUT, rel)).href)

/** mulberry32: a tiny seeded PRNG so every run simulates the same fleet. */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Samples process.memoryUsage() every `everyMs` of real time; peaks are taken over the samples plus a final one. */
export function memorySampler(everyMs = 20) {
  let peakRss = 0
  let peakHeap = 0
  let samples = 0
  const sample = () => {
    const m = process.memoryUsage()
    samples++
    if (m.rss > peakRss) peakRss = m.rss
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed
  }
  sample()
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return { peakRss, peakHeap, samples }
    },
  }
}

export function gc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc()
    globalThis.gc()
  }
}

export const MiB = 1024 * 1024
export const fmt = {
  s: (ms) => `${(ms / 1000).toFixed(2)} s`,
  mib: (b) => `${(b / MiB).toFixed(1)} MiB`,
  int: (n) => Math.round(n).toLocaleString('en-US'),
  simS: (ms) => `${(ms / 1000).toFixed(1)} s`,
}

/**
 * Time `fn` repeatedly for at least `minMs` of this process's CPU time (after `warmup` calls); returns ops per CPU
 * second (robust when other processes compete for the cores) and ops per wall second.
 */
export function throughput(fn, { minMs = 1000, warmup = 3 } = {}) {
  let sink = 0
  for (let i = 0; i < warmup; i++) sink ^= fn() ? 1 : 0
  const cpuMs = (c) => (c.user + c.system) / 1000
  let n = 0
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  let spent = 0
  while (spent < minMs) {
    sink ^= fn() ? 1 : 0
    n++
    spent = cpuMs(process.cpuUsage(c0))
  }
  const wall = performance.now() - t0
  return { opsPerSec: (n * 1000) / spent, opsPerWallSec: (n * 1000) / wall, runs: n, sink }
}

/** The value after `--name` in argv, else `dflt`. */
export function opt(argv, name, dflt) {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : dflt
}

/** Median of the finite numbers in xs (NaN when there are none). */
export const median = (xs) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** OpenSSH options for a lab or simulated fleet folder: its client key and known_hosts, host keys checked, no prompt. */
export const labSshOptions = (dir) => [
  '-i',
  join(dir, 'client_key'),
  '-o',
  `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  'BatchMode=yes',
]

/** `ssh` arguments up to the command for root on one of that folder's hosts (127.0.0.1:port). */
export const labSshArgs = (dir, port) => [...labSshOptions(dir), '-p', String(port), 'root@127.0.0.1']
