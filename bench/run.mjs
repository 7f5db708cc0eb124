#!/usr/bin/env node
// `npm run bench`: engine scale on a simulated 1000-host fleet, parser throughput, optional real-lab figures.
// Prints one table of figures and targets; exits 1 when a target is missed or a run did not do what it should.
// Not part of the unit tests. See docs/bench.md for what is measured and the reference figures.

import { benchEngine, FLEET, START, STOP } from './engine.mjs'
import { benchLab } from './lab.mjs'
import { compile, fmt, MiB } from './lib.mjs'
import { benchParsers, PARSE } from './parsers.mjs'

// Targets: about 3x the figures measured on the reference machine (2 cores, Node 20; docs/bench.md), so a
// regression of that order fails while machine noise does not. Throughput targets are a third of what was measured.
export const TARGETS = {
  stopWallMs: 20_000,
  stopCpuMs: 24_000,
  stopHeap: 512 * MiB,
  stopRss: 768 * MiB,
  startWallMs: 6_000,
  startCpuMs: 8_000,
  startHeap: 300 * MiB,
  startRss: 800 * MiB,
  // Simulated time is deterministic (seeded fleet): these are exact expectations with a little slack, not 3x.
  stopSimMs: 2_500_000,
  startSimMs: 1_000,
  listOpsPerSec: 50,
  eventLinesPerSec: 1_000_000,
}

const verbose = process.argv.includes('--verbose') || process.argv.includes('-v')
const log = (s) => process.stderr.write(`${verbose ? '' : '  '}${s}\n`)

// Count Node warnings per section (run with --no-warnings so they do not flood the output; see docs/bench.md).
let section = 'setup'
const warnings = {}
process.on('warning', (w) => {
  const k = `${section}: ${w.name}`
  warnings[k] = (warnings[k] ?? 0) + 1
})

const rows = []
let failed = false
const header = (title) => rows.push({ title })
function row(_unused, metric, measured, target, ok) {
  if (ok === false) failed = true
  rows.push(['  ' + metric, measured ?? '', target ?? '', ok === undefined ? '' : ok ? 'ok' : 'MISSED'])
}
const under = (v, max, f) => [f(v), `< ${f(max)}`, v < max]
const over = (v, min, f) => [f(v), `> ${f(min)}`, v > min]

function printTable() {
  const head = ['metric', 'measured', 'target', '']
  const cells = [head, ...rows.filter((r) => Array.isArray(r))]
  const w = head.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)))
  const line = (r) =>
    r
      .map((c, i) => (i === 1 || i === 2 ? String(c).padStart(w[i]) : String(c).padEnd(w[i])))
      .join('  ')
      .trimEnd()
  console.log(line(head))
  console.log(w.map((n) => '-'.repeat(n)).join('  '))
  for (const r of rows) console.log(Array.isArray(r) ? line(r) : r.title)
}

async function main() {
  // The sections that run real processes (a simulated fleet, a lab): one each, by flag; exit 1 on a missed target.
  const sections = {
    '--fleet': async () => {
      const { benchFleet, printFleet } = await import('./fleet.mjs')
      const f = await benchFleet(process.argv, log)
      console.log('')
      printFleet(f)
      return f.rows.every((r) => r.ok)
    },
    '--evacuate': async () => {
      const { benchEvacuate, printEvacuate } = await import('./evacuate.mjs')
      const rows = await benchEvacuate(process.argv, log)
      console.log('')
      return printEvacuate(rows)
    },
    '--vs-libvirt-guests': async () => {
      const { benchVsLibvirtGuests, printVsLibvirtGuests } = await import('./libvirt-guests.mjs')
      const rows = await benchVsLibvirtGuests(process.argv, log)
      console.log('')
      return printVsLibvirtGuests(rows)
    },
    '--fixed-cost': async () => {
      const { benchFixedCost, printFixedCost } = await import('./fixed-cost.mjs')
      const f = await benchFixedCost(process.argv, log)
      console.log('')
      return printFixedCost(f)
    },
  }
  const chosen = Object.keys(sections).find((flag) => process.argv.includes(flag))
  if (chosen) {
    process.exitCode = (await sections[chosen]()) ? 0 : 1
    return
  }
  log('compiling bench/tsconfig.json (test/support/fake-fleet.ts + engine) ...')
  compile()

  section = 'engine'
  log(`engine: ${FLEET.hosts} hosts x ${FLEET.guestsPerHost} guests, shutdown ${FLEET.minShutdownMs / 1000}-${FLEET.maxShutdownMs / 1000} s (simulated)`)
  let e = await benchEngine(log, (phase) => (section = phase))
  // A shared box (e.g. a lab's qemu guests running) can starve this process: wall far above CPU time. Then measure once
  // more and keep the better run, saying so; a genuine regression misses twice.
  const starved = (x) => x.stop.wallMs > TARGETS.stopWallMs || x.start.wallMs > TARGETS.startWallMs
  if (starved(e) && !process.argv.includes('--no-retry')) {
    log(
      `engine: a wall-time target was missed (wall/CPU ${(e.stop.wallMs / e.stop.cpuMs).toFixed(2)} stop, ${(e.start.wallMs / e.start.cpuMs).toFixed(2)} start): measuring once more`,
    )
    const again = await benchEngine(log, (phase) => (section = phase))
    if (again.stop.wallMs + again.start.wallMs < e.stop.wallMs + e.start.wallMs) e = again
    e.retried = true
  }
  const stopName = `runStop (forks ${STOP.forks}, parallel ${STOP.parallel}, fallback ${STOP.fallback.join(',')}, host budget ${STOP.hostTimeoutMs / 1000} s)`
  for (const [name, r, t] of [
    [stopName, e.stop, { wall: TARGETS.stopWallMs, cpu: TARGETS.stopCpuMs, heap: TARGETS.stopHeap, rss: TARGETS.stopRss, sim: TARGETS.stopSimMs }],
    [
      `runStart (forks ${START.forks}, parallel ${START.parallel}), same fleet`,
      e.start,
      { wall: TARGETS.startWallMs, cpu: TARGETS.startCpuMs, heap: TARGETS.startHeap, rss: TARGETS.startRss, sim: TARGETS.startSimMs },
    ],
  ]) {
    header(name)
    row('', `wall time${e.retried ? ' (best of 2)' : ''}`, ...under(r.wallMs, t.wall, fmt.s))
    row('', 'CPU time (user+sys)', ...under(r.cpuMs, t.cpu, fmt.s))
    row('', 'peak heap used', ...under(r.peakHeap, t.heap, fmt.mib))
    row('', 'peak RSS', ...under(r.peakRss, t.rss, fmt.mib))
    row('', 'simulated duration', ...under(r.simMs, t.sim, fmt.simS))
    row('', 'events emitted', fmt.int(r.events))
    row('', 'plain log lines (null sink)', `${fmt.int(r.logLines)} / ${fmt.mib(r.logBytes)}`)
    row('', 'remote commands (fake execs)', fmt.int(r.execs))
    row('', 'events per wall second', fmt.int(r.events / (r.wallMs / 1000)))
    row(
      '',
      'outcomes',
      Object.entries(r.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      'all guests',
      r.problems.length === 0,
    )
    for (const p of r.problems) log(`${r.label}: ${p}`)
  }

  section = 'parsers'
  log('parsers ...')
  const p = await benchParsers()
  header(`parseGuestList (${fmt.int(PARSE.listGuests)} guests, ${fmt.mib(p.list.bytes)} of output)`)
  row('', 'parses per CPU second', ...over(p.list.opsPerSec, TARGETS.listOpsPerSec, (v) => v.toFixed(1)))
  row('', 'parses per wall second', p.list.opsPerWallSec.toFixed(1))
  row('', 'guests per CPU second', fmt.int(p.list.guestsPerSec))
  header(`parseEventLine (${fmt.int(PARSE.eventLines)} lines)`)
  row('', 'lines per CPU second', ...over(p.events.linesPerSec, TARGETS.eventLinesPerSec, fmt.int))
  row('', 'lines per wall second', fmt.int(p.events.linesPerWallSec))

  section = 'lab'
  let lab
  let labError
  try {
    lab = benchLab(log)
  } catch (err) {
    labError = err
    log(`lab: ${err.message}`)
    header('real lab')
    row('', 'setup', 'error (see above)', 'usable lab', false)
  }
  if (lab === undefined && !labError) log('lab: skipped (set VIRTFLEET_BENCH_LAB=/path/to/lab/dir with inventory.yml to include real-lab figures)')
  if (lab) {
    header(`real lab (${lab.dir})`)
    for (const r of lab.runs)
      row('', `${r.cmd} --parallel ${r.parallel} (${r.hosts ?? '?'} hosts, ${r.guests ?? '?'} guests)`, fmt.s(r.wallMs), 'exit 0', r.code === 0)
    if (lab.failed) log(`lab: ${lab.failed}`)
    else {
      row('', 'shutdown ratio p1/p4 (wall)', `${lab.shutdownRatio.toFixed(2)}x`)
      row('', 'start ratio p1/p4 (wall)', `${lab.startRatio.toFixed(2)}x`)
    }
  } else if (!labError) header('real lab: skipped (VIRTFLEET_BENCH_LAB unset)')

  console.log('')
  printTable()
  const ru = process.resourceUsage()
  console.log('')
  console.log(
    `process max RSS ${fmt.mib(ru.maxRSS * 1024)}; node ${process.version}; ${(await import('node:os')).availableParallelism()} cores; gc ${typeof globalThis.gc === 'function' ? 'exposed' : 'not exposed'}`,
  )
  for (const [k, v] of Object.entries(warnings)) console.log(`warning: ${k} x${v}`)
  console.log(failed ? '\nbench: some targets were MISSED' : '\nbench: all targets met')
  process.exitCode = failed ? 1 : 0
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`)
  process.exitCode = 2
})
