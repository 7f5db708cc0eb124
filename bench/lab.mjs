// Optional real-lab figures: with VIRTFLEET_BENCH_LAB=<lab dir> (the folder `npm run lab -- up` printed, holding
// inventory.yml), run the built CLI: shutdown --parallel 1, start, shutdown --parallel 4, start; time each.
// Never starts a lab. Uses --persistent-only so both shutdowns act on the same guests (a stopped transient guest is
// gone and could not be started again), and its own temporary --state-dir for the local run journal.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from './lib.mjs'

export function labDir() {
  return process.env.VIRTFLEET_BENCH_LAB || undefined
}

function cli(args, stateDir) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'run.js'), ...args, '--json', '--state-dir', stateDir], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 256 * 1024 * 1024,
  })
  const wallMs = performance.now() - t0
  let report
  try {
    report = JSON.parse(r.stdout)
  } catch {
    report = undefined
  }
  const guests = report
    ? report.hosts.reduce((n, h) => n + h.guests.filter((g) => g.outcome !== 'already-off' && g.outcome !== 'already-running').length, 0)
    : undefined
  return {
    args: args.join(' '),
    code: r.status,
    wallMs,
    simMs: report?.durationMs,
    hosts: report?.hosts.length,
    guests,
    stderr: r.stderr.trim().split('\n').slice(-3).join(' | '),
  }
}

/** Returns undefined (skipped) when the env var is unset; throws with a clear message when it is set but unusable. */
export function benchLab(log = () => {}) {
  const dir = labDir()
  if (!dir) return undefined
  const inventory = join(dir, 'inventory.yml')
  if (!existsSync(inventory)) throw new Error(`VIRTFLEET_BENCH_LAB=${dir}: no inventory.yml there (is the lab up? npm run lab -- up)`)
  if (!existsSync(join(REPO, 'dist', 'commands'))) throw new Error('dist/ is missing: run npm run build (npm ci does it) before the lab figures')
  const stateDir = mkdtempSync(join(tmpdir(), 'vf-bench-state-'))
  const runs = []
  try {
    for (const p of [1, 4]) {
      for (const cmd of ['shutdown', 'start']) {
        const args = [cmd, '-i', inventory, '--parallel', String(p), ...(cmd === 'shutdown' ? ['--persistent-only'] : [])]
        log(`lab: virtfleet ${args.join(' ')}`)
        const r = cli(args, stateDir)
        runs.push({ ...r, cmd, parallel: p })
        log(`lab: exit ${r.code} in ${(r.wallMs / 1000).toFixed(2)} s`)
        if (r.code !== 0) return { dir, runs, failed: `virtfleet ${r.args} exited ${r.code}: ${r.stderr}` }
      }
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
  const wall = (cmd, p) => runs.find((r) => r.cmd === cmd && r.parallel === p)?.wallMs ?? NaN
  return {
    dir,
    runs,
    shutdownRatio: wall('shutdown', 1) / wall('shutdown', 4),
    startRatio: wall('start', 1) / wall('start', 4),
  }
}
