// Words shared by every renderer, so the tree, the plain log and the summary describe a guest the same way.

import { formatDuration } from '../core/duration.js'
import type { ActionAttempt, GuestOutcome, GuestReport, HostReport, RunReport } from '../core/report.js'
import { exitCodeDocs } from '../core/exit-codes.js'
import { UNSEEN_GUEST_MS } from '../engine/longest-first.js'

/** Outcomes in the order counts are listed ("3 stopped, 1 destroyed, 1 failed"). */
export const OUTCOME_ORDER: readonly GuestOutcome[] = [
  'migrated',
  'stopped',
  'suspended',
  'destroyed',
  'already-off',
  'started',
  'not-ready',
  'already-running',
  'planned',
  'still-running',
  'not-started',
  'failed',
  'interrupted',
]

export function outcomeWord(outcome: GuestOutcome): string {
  return outcome.replace(/-/g, ' ')
}

/** "3 stopped, 1 destroyed" for a host's guests (outcomes in OUTCOME_ORDER, zero counts left out). */
export function outcomeCounts(guests: readonly GuestReport[]): string {
  const counts = new Map<GuestOutcome, number>()
  for (const g of guests) counts.set(g.outcome, (counts.get(g.outcome) ?? 0) + 1)
  const known = OUTCOME_ORDER.filter((o) => counts.has(o))
  const unknown = [...counts.keys()].filter((o) => !OUTCOME_ORDER.includes(o)).sort()
  return [...known, ...unknown].map((o) => `${counts.get(o)} ${outcomeWord(o)}`).join(', ')
}

/** "shutdown timeout 30.0s" / "destroy ok 0.4s" / "suspend failed 1.0s". */
export function attemptText(a: ActionAttempt): string {
  return `${a.action} ${a.result} ${formatDuration(a.durationMs)}`
}

/** The chain of attempts: "shutdown timeout 30.0s → destroy ok 0.4s". */
export function attemptsText(attempts: readonly ActionAttempt[]): string {
  return attempts.map(attemptText).join(' → ')
}

/**
 * The last word on a guest, e.g. "stopped in 4.2s", "destroyed in 34.2s (fallback after timeout)",
 * "failed in 1.0s", "would shutdown → destroy" (check mode).
 */
export function guestResultText(g: GuestReport): string {
  if (g.outcome === 'planned') return g.plan && g.plan.length > 0 ? `would ${g.plan.join(' → ')}` : 'nothing to do'
  let text = `${outcomeWord(g.outcome)} in ${formatDuration(g.durationMs)}`
  const last = g.attempts[g.attempts.length - 1]
  const before = g.attempts[g.attempts.length - 2]
  if (last && last.result === 'ok' && last.reason !== 'primary' && before) {
    text += last.reason === 'host-budget' ? ` (host budget spent, after ${before.result})` : ` (fallback after ${before.result})`
  }
  return text + readyText(g)
}

/** " (running after 0.4s, ready after 3.1s)" for a started guest; "" on the stop side. */
export function readyText(g: GuestReport): string {
  const parts: string[] = []
  if (g.runningAfterMs !== undefined) parts.push(`running after ${formatDuration(g.runningAfterMs)}`)
  if (g.readyAfterMs !== undefined) parts.push(`ready after ${formatDuration(g.readyAfterMs)}`)
  else if (g.outcome === 'not-ready' && g.ready) parts.push(`not ready (${g.ready})`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

export function exitCodeMeaning(code: number): string {
  return exitCodeDocs.find(([c]) => c === code)?.[1] ?? 'unknown exit code'
}

/** "exit 2: partial failure: ..." */
export function exitLine(report: RunReport): string {
  return `exit ${report.exitCode}: ${exitCodeMeaning(report.exitCode)}`
}

export function hostCountsLine(report: RunReport): string {
  const s = report.summary
  const other = s.hosts - s.hostsOk - s.hostsFailed - s.hostsUnreachable
  return `hosts: ${s.hosts} (${s.hostsOk} ok, ${s.hostsFailed} failed, ${s.hostsUnreachable} unreachable${other > 0 ? `, ${other} other` : ''})`
}

export function guestCountsLine(report: RunReport): string {
  const s = report.summary
  return `guests: ${s.guests} (${s.guestsOk} ok, ${s.guestsFailed} not ok)`
}

/** Which state a command drives guests to, for per-host progress ("3/4 off"). */
export function goalWord(command: string): string {
  if (/^(start|restore|resume)$/.test(command)) return 'on'
  if (/^(shutdown|stop|drain|suspend|destroy)$/.test(command)) return 'off'
  return 'done'
}

export function hostFailed(h: HostReport): boolean {
  return h.status !== 'ok' && h.status !== 'skipped'
}

/** Hosts named one by one in the prediction line; a bigger fleet is summed up (the JSON report has every host). */
const PREDICTED_HOSTS_SHOWN = 8

/**
 * "predicted: hv1 6.5s, hv2 3.0s; fleet 6.5s" (--check) or "predicted / actual: hv1 6.5s / 6.6s; ..." (a run), from
 * the durations earlier runs recorded; undefined when the run predicted nothing.
 */
export function predictionLine(r: RunReport): string | undefined {
  if (!r.predicted) return undefined
  const hosts = r.hosts.filter((h): h is HostReport & { predicted: NonNullable<HostReport['predicted']> } => h.predicted !== undefined)
  const pair = (predicted: number, actual: number) => (r.check ? formatDuration(predicted) : `${formatDuration(predicted)} / ${formatDuration(actual)}`)
  const shown = hosts.slice(0, PREDICTED_HOSTS_SHOWN).map((h) => `${h.host} ${pair(h.predicted.durationMs, h.durationMs)}`)
  if (hosts.length > PREDICTED_HOSTS_SHOWN) shown.push(`${hosts.length - PREDICTED_HOSTS_SHOWN} more hosts`)
  const unseen = hosts.reduce((n, h) => n + h.predicted.withoutHistory, 0)
  const note = unseen > 0 ? ` (${unseen} guest${unseen === 1 ? '' : 's'} without a recorded duration, counted as ${formatDuration(UNSEEN_GUEST_MS)} each)` : ''
  return `${r.check ? 'predicted' : 'predicted / actual'}: ${shown.join(', ')}; fleet ${pair(r.predicted.durationMs, r.durationMs)}${note}`
}
