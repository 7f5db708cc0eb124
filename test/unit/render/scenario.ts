// A scripted shutdown of three hosts, as the engine would emit it: h1 fine (one guest needs the destroy
// fallback after a shutdown timeout), h2 partial (a guest stays running), h3 unreachable.

import { EventBus, type FleetEvent } from '../../../src/core/events.js'
import { summarize, type ActionAttempt, type GuestRef, type GuestReport, type HostReport, type RunReport } from '../../../src/core/report.js'

const BASE = Date.parse('2026-11-25T03:18:00.000Z')
export const at = (ms: number) => new Date(BASE + ms).toISOString()

const ref = (name: string, n: number): GuestRef => ({ uri: 'qemu:///system', uuid: `00000000-0000-0000-0000-00000000000${n}`, name })
export const web01 = ref('web01', 1)
export const db01 = ref('db01', 2)
export const app01 = ref('app01', 3)

const attempt = (a: Omit<ActionAttempt, 'startedAt' | 'endedAt'> & { start: number }): ActionAttempt => {
  const { start, ...rest } = a
  return { ...rest, startedAt: at(start), endedAt: at(start + a.durationMs) }
}

export const web01Report: GuestReport = {
  ...web01,
  initialState: 'running',
  finalState: 'shut off',
  persistent: true,
  outcome: 'stopped',
  ok: true,
  attempts: [attempt({ action: 'shutdown', reason: 'primary', result: 'ok', durationMs: 4200, start: 1000 })],
  durationMs: 4200,
  inSavedList: true,
}
export const db01Report: GuestReport = {
  ...db01,
  initialState: 'running',
  finalState: 'shut off',
  persistent: true,
  outcome: 'destroyed',
  ok: true,
  attempts: [
    attempt({ action: 'shutdown', reason: 'primary', result: 'timeout', durationMs: 30000, start: 1000 }),
    attempt({ action: 'destroy', reason: 'fallback', result: 'ok', durationMs: 400, start: 31000 }),
  ],
  durationMs: 30400,
  inSavedList: true,
}
export const app01Report: GuestReport = {
  ...app01,
  initialState: 'running',
  finalState: 'running',
  persistent: true,
  outcome: 'still-running',
  ok: false,
  attempts: [
    attempt({ action: 'suspend', reason: 'primary', result: 'failed', durationMs: 1000, start: 2000, error: 'operation not supported' }),
    attempt({ action: 'shutdown', reason: 'fallback', result: 'failed', durationMs: 500, start: 3000, error: 'guest agent not responding' }),
  ],
  durationMs: 1500,
  inSavedList: false,
  error: 'guest agent not responding',
}

export const h1Report: HostReport = {
  host: 'h1',
  status: 'ok',
  durationMs: 34200,
  guests: [web01Report, db01Report],
  savedList: { path: '/var/lib/virtfleet/saved-guests', entries: 2 },
}
export const h2Report: HostReport = { host: 'h2', status: 'partial', durationMs: 3600, guests: [app01Report] }
export const h3Report: HostReport = { host: 'h3', status: 'unreachable', durationMs: 20000, guests: [], error: 'connect ETIMEDOUT 10.0.0.3:22' }

const hostReports = [h1Report, h2Report, h3Report]
export const runReport: RunReport = {
  command: 'shutdown',
  runId: 'r-20261125-031800',
  check: false,
  startedAt: at(0),
  endedAt: at(35000),
  durationMs: 35000,
  exitCode: 3,
  interrupted: false,
  summary: summarize(hostReports),
  hosts: hostReports,
}

export const events: FleetEvent[] = [
  { type: 'run-start', command: 'shutdown', runId: runReport.runId, hosts: ['h1', 'h2', 'h3'], check: false, at: at(0) },
  { type: 'host-start', host: 'h1', at: at(0) },
  { type: 'host-start', host: 'h2', at: at(0) },
  { type: 'host-start', host: 'h3', at: at(0) },
  { type: 'host-connected', host: 'h1', at: at(500) },
  {
    type: 'host-planned',
    host: 'h1',
    guests: [
      { ...web01, plan: ['shutdown', 'destroy'] },
      { ...db01, plan: ['shutdown', 'destroy'] },
    ],
    at: at(800),
  },
  { type: 'saved-list-written', host: 'h1', path: '/var/lib/virtfleet/saved-guests', entries: 2, at: at(900) },
  { type: 'guest-action', host: 'h1', guest: web01, action: 'shutdown', reason: 'primary', at: at(1000) },
  { type: 'guest-action', host: 'h1', guest: db01, action: 'shutdown', reason: 'primary', at: at(1000) },
  { type: 'host-connected', host: 'h2', at: at(1500) },
  { type: 'host-planned', host: 'h2', guests: [{ ...app01, plan: ['suspend', 'shutdown'] }], at: at(1800) },
  { type: 'guest-action', host: 'h2', guest: app01, action: 'suspend', reason: 'primary', at: at(2000) },
  { type: 'guest-action-result', host: 'h2', guest: app01, action: 'suspend', result: 'failed', error: 'operation not supported', at: at(3000) },
  { type: 'guest-action', host: 'h2', guest: app01, action: 'shutdown', reason: 'fallback', at: at(3000) },
  { type: 'guest-action-result', host: 'h2', guest: app01, action: 'shutdown', result: 'failed', error: 'guest agent not responding', at: at(3500) },
  { type: 'guest-done', host: 'h2', guest: app01Report, at: at(3500) },
  { type: 'host-done', host: 'h2', report: h2Report, at: at(3600) },
  { type: 'guest-action-result', host: 'h1', guest: web01, action: 'shutdown', result: 'ok', at: at(5200) },
  { type: 'guest-done', host: 'h1', guest: web01Report, at: at(5200) },
  { type: 'log', level: 'warn', host: 'h3', message: 'connect ETIMEDOUT 10.0.0.3:22', at: at(20000) },
  { type: 'host-done', host: 'h3', report: h3Report, at: at(20000) },
  { type: 'guest-action-result', host: 'h1', guest: db01, action: 'shutdown', result: 'timeout', at: at(31000) },
  { type: 'guest-action', host: 'h1', guest: db01, action: 'destroy', reason: 'fallback', at: at(31000) },
  { type: 'guest-action-result', host: 'h1', guest: db01, action: 'destroy', result: 'ok', at: at(31400) },
  { type: 'guest-done', host: 'h1', guest: db01Report, at: at(31400) },
  { type: 'host-done', host: 'h1', report: h1Report, at: at(34200) },
  { type: 'run-done', report: runReport, at: at(35000) },
]

/** Emit the events one by one, yielding between them so listr2 task functions run as they would in a real run. */
export async function play(bus: EventBus, list: FleetEvent[] = events, pauseMs = 0): Promise<void> {
  for (const e of list) {
    bus.emit(e)
    await new Promise((r) => setTimeout(r, pauseMs))
  }
}

export { EventBus }

/** A bigger run: n hosts with one guest each; every `failEvery`-th host is unreachable. */
export function fleet(n: number, failEvery = 0): { events: FleetEvent[]; report: RunReport } {
  const names = Array.from({ length: n }, (_, i) => `hv${String(i + 1).padStart(3, '0')}`)
  const list: FleetEvent[] = [{ type: 'run-start', command: 'shutdown', runId: 'r-big', hosts: names, check: false, at: at(0) }]
  const reports: HostReport[] = []
  names.forEach((host, i) => {
    list.push({ type: 'host-start', host, at: at(i) })
    if (failEvery > 0 && (i + 1) % failEvery === 0) {
      const report: HostReport = { host, status: 'unreachable', durationMs: 1000, guests: [], error: 'connection refused' }
      reports.push(report)
      list.push({ type: 'host-done', host, report, at: at(1000 + i) })
      return
    }
    const g: GuestRef = { uri: 'qemu:///system', uuid: `uuid-${host}`, name: `vm-${host}` }
    const gr: GuestReport = { ...web01Report, ...g }
    const report: HostReport = { host, status: 'ok', durationMs: 4200, guests: [gr] }
    reports.push(report)
    list.push(
      { type: 'host-planned', host, guests: [{ ...g, plan: ['shutdown', 'destroy'] }], at: at(100 + i) },
      { type: 'guest-action', host, guest: g, action: 'shutdown', reason: 'primary', at: at(200 + i) },
      { type: 'guest-action-result', host, guest: g, action: 'shutdown', result: 'ok', at: at(4400 + i) },
      { type: 'guest-done', host, guest: gr, at: at(4400 + i) },
      { type: 'host-done', host, report, at: at(4500 + i) },
    )
  })
  const summary = summarize(reports)
  const report: RunReport = {
    ...runReport,
    runId: 'r-big',
    exitCode: summary.hostsUnreachable > 0 ? 3 : 0,
    summary,
    hosts: reports,
  }
  list.push({ type: 'run-done', report, at: at(5000) })
  return { events: list, report }
}
