// A run's report rebuilt from its records, for `runs show` (table, JSON, HTML): the report of the last `run-done`
// event when the run finished, else one assembled from per-host events, marking what a crash left unfinished.

import type { FleetEvent } from '../../core/events.js'
import { ExitCode } from '../../core/exit-codes.js'
import type { GuestReport, HostReport, RunReport } from '../../core/report.js'
import { summarize } from '../../core/report.js'
import type { EndRecord, JournalRecord, RunRecord } from './records.js'

/**
 * The run's report: the one in the last `run-done` event, else rebuilt from `host-done` events (hosts that
 * started but never finished are `interrupted`, hosts never started are `skipped`). Undefined without a `run` record
 * or any event to go on.
 */
export function reportFromJournal(records: readonly JournalRecord[]): RunReport | undefined {
  const events = records.flatMap((r) => (r.type === 'event' ? [r.event] : []))
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as FleetEvent
    if (e.type === 'run-done') return e.report
  }
  const run = records.find((r): r is RunRecord => r.type === 'run')
  const runStart = events.find((e): e is Extract<FleetEvent, { type: 'run-start' }> => e.type === 'run-start')
  if (!run && !runStart) return undefined
  const end = findLast(records, (r): r is EndRecord => r.type === 'end')

  // A Set keeps first-insertion order: the run's host order, then hosts only events name.
  const hostOrder = new Set<string>()
  const seeHost = (h: string) => void hostOrder.add(h)
  ;(run?.hosts ?? runStart?.hosts ?? []).forEach(seeHost)
  const done = new Map<string, HostReport>()
  const started = new Map<string, string>()
  const guestsDone = new Map<string, GuestReport[]>()
  let lastAt = run?.startedAt ?? runStart?.at ?? ''
  for (const e of events) {
    if (e.at > lastAt) lastAt = e.at
    if ('host' in e && typeof e.host === 'string') seeHost(e.host)
    if (e.type === 'host-start') started.set(e.host, e.at)
    else if (e.type === 'host-done') done.set(e.host, e.report)
    else if (e.type === 'guest-done') {
      const list = guestsDone.get(e.host) ?? []
      list.push(e.guest)
      guestsDone.set(e.host, list)
    }
  }
  const startedAt = run?.startedAt ?? runStart?.at ?? lastAt
  const endedAt = end?.at ?? lastAt
  const hosts: HostReport[] = [...hostOrder].map((host) => {
    const report = done.get(host)
    if (report) return report
    const s = started.get(host)
    return {
      host,
      status: s ? 'interrupted' : 'skipped',
      durationMs: s ? Math.max(0, Date.parse(endedAt) - Date.parse(s)) || 0 : 0,
      guests: guestsDone.get(host) ?? [],
    }
  })
  return {
    command: run?.command ?? runStart?.command ?? '?',
    runId: run?.runId ?? runStart?.runId ?? '?',
    check: runStart?.check ?? run?.options.check === true,
    startedAt,
    endedAt,
    durationMs: Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)) || 0,
    exitCode: end?.exitCode ?? ExitCode.interrupted,
    interrupted: !end || end.exitCode === ExitCode.interrupted,
    summary: summarize(hosts),
    hosts,
  }
}

export function findLast<T extends JournalRecord>(records: readonly JournalRecord[], pred: (r: JournalRecord) => r is T): T | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i] as JournalRecord
    if (pred(r)) return r
  }
  return undefined
}
