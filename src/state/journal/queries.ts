// What resume and retry ask of a run's records: which steps finished (not to be redone) and which hosts failed
// (to be retried). Pure functions over records already checked by the reader.

import type { HostStatus } from '../../core/report.js'
import { stepKey } from '../../core/step-key.js'
import type { JournalRecord, StepStatus } from './records.js'

export { stepKey }

/**
 * Steps whose latest status is `ok`, keyed by `stepKey`: what a resume must not redo. A `skipped` report (a resumed
 * run passing over a step done earlier) does not undo the earlier `ok`.
 */
export function completedSteps(records: readonly JournalRecord[]): Set<string> {
  const latest = new Map<string, StepStatus>()
  const see = (key: string, status: StepStatus) => {
    if (status !== 'skipped') latest.set(key, status)
  }
  for (const r of records) {
    if (r.type === 'step') see(stepKey(r.host, r.guest, r.step), r.status)
    // Host steps also arrive as engine events (host-step) through attachJournal.
    else if (r.type === 'event' && r.event.type === 'host-step') see(stepKey(r.event.host, undefined, r.event.step), r.event.status)
  }
  const done = new Set<string>()
  for (const [k, s] of latest) if (s === 'ok') done.add(k)
  return done
}

const FAILED_STATUSES: ReadonlySet<HostStatus> = new Set<HostStatus>(['failed', 'partial', 'unreachable'])

/**
 * Hosts that ended failed, partial or unreachable (like Ansible's retry file), in the run's host order.
 * Uses the latest `host-status` record or `host-done` event per host; a host whose latest host step (`step`
 * record or `host-step` event) failed, with no later status or successful host step, counts as failed.
 * Interrupted hosts are not included: that is `resume`'s job.
 */
export function failedHosts(records: readonly JournalRecord[]): string[] {
  const status = new Map<string, HostStatus>()
  const stepFailed = new Map<string, boolean>()
  // A Set keeps first-insertion order: the run's host order.
  const order = new Set<string>()
  const see = (h: string) => void order.add(h)
  for (const r of records) {
    switch (r.type) {
      case 'run':
        r.hosts.forEach(see)
        break
      case 'host-status':
        see(r.host)
        status.set(r.host, r.status)
        stepFailed.delete(r.host)
        break
      case 'event':
        if (r.event.type === 'host-done') {
          see(r.event.host)
          status.set(r.event.host, r.event.report.status)
          stepFailed.delete(r.event.host)
        } else if (r.event.type === 'host-step') {
          see(r.event.host)
          if (r.event.status === 'failed') stepFailed.set(r.event.host, true)
          else if (r.event.status === 'ok') stepFailed.delete(r.event.host)
        }
        break
      case 'step':
        see(r.host)
        if (r.status === 'failed') stepFailed.set(r.host, true)
        else if (r.status === 'ok' && r.guest === undefined) stepFailed.delete(r.host)
        break
      default:
        break
    }
  }
  return [...order].filter((h) => {
    const s = status.get(h)
    return (s !== undefined && FAILED_STATUSES.has(s)) || stepFailed.get(h) === true
  })
}
