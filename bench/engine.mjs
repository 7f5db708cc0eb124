// Engine scale: runStop then runStart over a simulated fleet (test/support/fake-fleet.ts behind the Transport interface,
// FakeClock), every event through an EventBus with the plain log formatter attached, writing to a null sink.

import { fmt, gc, load, memorySampler, rng } from './lib.mjs'

export const FLEET = { hosts: 1000, guestsPerHost: 20, minShutdownMs: 1000, maxShutdownMs: 60_000, seed: 0x5eed }
export const STOP = { forks: 50, parallel: 4, fallback: ['destroy'], hostTimeoutMs: 120_000 }
export const START = { forks: 50, parallel: 4 }

export async function setupFleet(f = FLEET) {
  const { FakeClock } = await load('src/core/clock.js')
  const { FakeTransport, hostSpec } = await load('test/support/fake-fleet.js')
  const clock = new FakeClock()
  const transport = new FakeTransport(clock)
  // The fake records every exec for test assertions; over ~100k commands that log would dominate the heap figures and
  // is not part of virtfleet. Count instead of keeping.
  let execs = 0
  transport.log.push = () => ++execs
  const random = rng(f.seed)
  const hosts = []
  for (let h = 1; h <= f.hosts; h++) {
    const name = `hv${String(h).padStart(4, '0')}`
    const host = transport.addHost(name)
    for (let g = 1; g <= f.guestsPerHost; g++) {
      const delay = f.minShutdownMs + Math.floor(random() * (f.maxShutdownMs - f.minShutdownMs + 1))
      host.addGuest({ name: `${name}-g${String(g).padStart(2, '0')}`, shutdownDelayMs: delay })
    }
    hosts.push(hostSpec(name))
  }
  return { clock, transport, hosts, execs: () => execs }
}

async function measured(label, fleet, run) {
  const { EventBus } = await load('src/core/events.js')
  const { attachPlainLog } = await load('src/render/plain.js')
  const bus = new EventBus()
  let events = 0
  const byType = {}
  bus.on((e) => {
    events++
    byType[e.type] = (byType[e.type] ?? 0) + 1
  })
  let lines = 0
  let bytes = 0
  attachPlainLog(bus, (line) => {
    lines++
    bytes += line.length + 1
  })
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const execs0 = fleet.execs()
  const mem = memorySampler()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const report = await fleet.clock.runUntil(run(bus), 24 * 3600_000, 1000)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const peaks = mem.stop()
  return {
    label,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRss: peaks.peakRss,
    peakHeap: peaks.peakHeap,
    heapBefore,
    memSamples: peaks.samples,
    events,
    byType,
    logLines: lines,
    logBytes: bytes,
    execs: fleet.execs() - execs0,
    simMs: report.durationMs,
    report,
  }
}

function outcomes(report) {
  const c = {}
  for (const h of report.hosts) for (const g of h.guests) c[g.outcome] = (c[g.outcome] ?? 0) + 1
  return c
}

/** Sanity: the figures only count if the run did what it should have (every guest off, then every guest back). */
function verify(r, want) {
  const problems = []
  const total = FLEET.hosts * FLEET.guestsPerHost
  const c = outcomes(r.report)
  const acted = want.reduce((n, o) => n + (c[o] ?? 0), 0)
  if (r.report.exitCode !== 0) problems.push(`exit code ${r.report.exitCode}`)
  if (r.report.hosts.length !== FLEET.hosts) problems.push(`${r.report.hosts.length} host reports, want ${FLEET.hosts}`)
  if (acted !== total) problems.push(`outcomes ${JSON.stringify(c)}, want ${total} in ${want.join('/')}`)
  return { outcomes: c, problems }
}

export async function benchEngine(log = () => {}, onPhase = () => {}) {
  const { runStop } = await load('src/engine/stop.js')
  const { runStart } = await load('src/engine/start.js')
  const s0 = performance.now()
  const fleet = await setupFleet()
  const setupMs = performance.now() - s0
  log(`fleet: ${FLEET.hosts} hosts x ${FLEET.guestsPerHost} guests built in ${fmt.s(setupMs)}`)
  // As the CLI does (trapSignals in src/cli/assemble-run.ts): one run-wide interrupt signal (Ctrl-C), never fired here.
  const ctx = (bus, command, forks) => ({
    transport: fleet.transport,
    clock: fleet.clock,
    bus,
    runId: `bench-${command}`,
    command,
    check: false,
    forks,
    signal: new AbortController().signal,
  })

  onPhase('runStop')
  const stop = await measured('runStop', fleet, (bus) =>
    runStop(fleet.hosts, ctx(bus, 'shutdown', STOP.forks), { parallel: STOP.parallel, fallback: STOP.fallback, hostTimeoutMs: STOP.hostTimeoutMs }),
  )
  Object.assign(stop, verify(stop, ['stopped', 'destroyed']))
  log(`runStop: ${fmt.s(stop.wallMs)} wall, ${fmt.simS(stop.simMs)} simulated, outcomes ${JSON.stringify(stop.outcomes)}`)

  onPhase('runStart')
  const start = await measured('runStart', fleet, (bus) => runStart(fleet.hosts, ctx(bus, 'start', START.forks), { parallel: START.parallel }))
  Object.assign(start, verify(start, ['started']))
  log(`runStart: ${fmt.s(start.wallMs)} wall, ${fmt.simS(start.simMs)} simulated, outcomes ${JSON.stringify(start.outcomes)}`)
  const pending = fleet.clock.pending
  // Drop the big reports before the parser section.
  delete stop.report
  delete start.report
  return { setupMs, stop, start, pendingTimersAfter: pending }
}
