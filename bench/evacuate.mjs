// `npm run bench -- --evacuate [--dir D] [--base-port P] [--keep]`: on a real two-host lab (QEMU guests, lab/lab.sh),
// the time to empty one host of 4 guests by live migration with 1, 2 and 4 concurrent migrations (each guest's
// downtime as libvirt reports it), and, side by side, the same guests' downtime when that host is rebooted the old
// way (stop, reboot, start: from the shutdown request to the guest's console saying it is up again).
// Brings the lab up itself (`--fresh`) and purges it at the end unless --keep. See docs/bench.md.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { median, opt, REPO } from './lib.mjs'

const LAB = join(REPO, 'lab', 'lab.sh')

function cli(args, inventory, stateDir) {
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'run.js'), ...args, '-i', inventory, '--state-dir', stateDir, '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const wallMs = Date.now() - t0
  let report
  try {
    report = JSON.parse(r.stdout)
  } catch {
    throw new Error(`virtfleet ${args.join(' ')} printed no report (exit ${r.status}): ${r.stderr.slice(-2000)}`)
  }
  return { code: r.status, wallMs, report }
}

/** Every journal event of the newest run in a state dir. */
function newestRunEvents(stateDir) {
  const runs = join(stateDir, 'runs')
  const file = readdirSync(runs)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .at(-1)
  return readFileSync(join(runs, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'event')
    .map((r) => r.event)
}

export async function benchEvacuate(argv, log) {
  const dir = opt(argv, '--dir', join(REPO, '.lab-bench-evacuate'))
  const basePort = opt(argv, '--base-port', '2395')
  const env = { ...process.env, VIRTFLEET_LAB_CACHE: process.env.VIRTFLEET_LAB_CACHE ?? join(REPO, '.lab', 'cache') }
  const lab = (...args) => execFileSync('bash', [LAB, ...args, '--dir', dir], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const inventory = join(dir, 'inventory.yml')
  log(`lab: 2 hosts x 4 guests in ${dir} (ports ${basePort}+)`)
  lab('up', '--hosts', '2', '--guests', '4', '--delays', '1', '--transient', '0', '--base-port', basePort, '--fresh')
  const rows = []
  try {
    for (const n of [1, 2, 4]) {
      const state = mkdtempSync(join(tmpdir(), 'vf-bench-evac-'))
      const limits = ['--migrations-per-host', String(n), '--incoming-per-host', String(n)]
      const out = cli(['evacuate', '--limit', 'h1', '--to', 'h2', ...limits, '--yes'], inventory, state)
      const moved = out.report.hosts.flatMap((h) => h.guests).filter((g) => g.migration)
      log(`evacuate, ${n} at a time: exit ${out.code}, ${moved.length} moved in ${out.wallMs} ms`)
      rows.push({
        what: `evacuate h1 (4 guests), ${n} concurrent`,
        code: out.code,
        wallMs: out.wallMs,
        moved: moved.length,
        migrationMs: median(moved.map((g) => g.migration.durationMs)),
        downtimeMs: moved.map((g) => g.migration.downtimeMs ?? NaN),
      })
      const back = cli(['restore', '--limit', 'h1', '--yes'], inventory, state)
      log(`restore (migrations home): exit ${back.code} in ${back.wallMs} ms`)
      if (back.code !== 0) throw new Error(`restore after the evacuation exited ${back.code}`)
    }
    // Today's way: stop the host's guests, reboot it, start them; downtime until each guest's console says it is up.
    const state = mkdtempSync(join(tmpdir(), 'vf-bench-evac-'))
    const out = cli(['reboot', '--limit', 'h1', '--timeout', '30s', '--ready', 'console:LAB-GUEST-READY', '--ready-timeout', '2m', '--yes'], inventory, state)
    const asked = new Map()
    const ready = new Map()
    for (const e of newestRunEvents(state)) {
      if (e.type === 'guest-action' && e.action === 'shutdown' && !asked.has(e.guest.name)) asked.set(e.guest.name, Date.parse(e.at))
      if (e.type === 'guest-done' && e.guest.readyAt) ready.set(e.guest.name, Date.parse(e.guest.readyAt))
    }
    const down = [...asked].map(([name, t]) => (ready.has(name) ? ready.get(name) - t : NaN))
    log(`reboot (stop, reboot, start): exit ${out.code} in ${out.wallMs} ms`)
    rows.push({ what: 'reboot h1 the old way (stop, reboot, start)', code: out.code, wallMs: out.wallMs, moved: 0, migrationMs: NaN, downtimeMs: down })
  } finally {
    if (!argv.includes('--keep')) lab('down', '--purge')
  }
  return rows
}

export function printEvacuate(rows) {
  const f = (x) => (Number.isFinite(x) ? String(Math.round(x)) : '-')
  console.log('what | exit | wall ms | moved | median migration ms | per-guest downtime ms')
  for (const r of rows) console.log(`${r.what} | ${r.code} | ${r.wallMs} | ${r.moved} | ${f(r.migrationMs)} | ${r.downtimeMs.map(f).join(', ')}`)
  return rows.every((r) => r.code === 0)
}
