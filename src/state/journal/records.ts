// The journal's record schema: the types written to `runs/<runId>.jsonl`, one JSON object per line, and the checks
// a record read back must pass before any code uses it. A record that fails is refused with the reason, never
// half-used. Limits: fields a newer version adds are ignored; an unknown event type passes with a minimal check.

import type { FleetEvent } from '../../core/events.js'
import type { GuestOutcome, HostStatus, RunSummary, Verb } from '../../core/report.js'
import type { GuestState } from '../../core/types.js'
import { anyObject, arrayOf, bool, byType, int, num, obj, oneOf, str, time, type Check } from './shape.js'

export const JOURNAL_VERSION = 1

export type StepStatus = 'started' | 'ok' | 'failed' | 'skipped'

export interface RunRecord {
  type: 'run'
  v: number
  runId: string
  command: string
  argv: string[]
  /** `sha256:<hex>` of the inventory file(s) as read, to notice an inventory changed before a resume. */
  inventoryDigest?: string
  options: Record<string, unknown>
  startedAt: string
  hosts: string[]
  pid: number
  hostname: string
}
export interface PlanRecord {
  type: 'plan'
  host: string
  guests: Array<{ name: string; uuid?: string; uri?: string; steps: string[] }>
  /** Host-level steps (reboot, wait_for_ssh, ...), in order. */
  steps?: string[]
  at: string
}
export interface StepRecord {
  type: 'step'
  host: string
  guest?: string
  step: string
  status: StepStatus
  at: string
  durationMs?: number
  error?: string
}
export interface HostStatusRecord {
  type: 'host-status'
  host: string
  status: HostStatus
  error?: string
  at: string
}
export interface BatchRecord {
  type: 'batch'
  index: number
  hosts: string[]
  result: 'ok' | 'partial' | 'aborted' | 'interrupted'
  at: string
}
export interface EventRecord {
  type: 'event'
  event: FleetEvent
}
export interface EndRecord {
  type: 'end'
  exitCode: number
  summary?: RunSummary
  at: string
}

export type JournalRecord = RunRecord | PlanRecord | StepRecord | HostStatusRecord | BatchRecord | EventRecord | EndRecord

/** What a caller appends: everything is stamped by the caller except the run header, which `create` writes. */
export type AppendableRecord = Exclude<JournalRecord, RunRecord>

// Every member of each union, so a new state or verb that is not added here fails to compile rather than to read.
const keys = <T extends string>(all: Record<T, true>): T[] => Object.keys(all) as T[]
const VERBS = keys<Verb>({ shutdown: true, suspend: true, destroy: true, start: true, 'sync-time': true, agent: true, ready: true })
const GUEST_STATES = keys<GuestState>({
  running: true,
  idle: true,
  paused: true,
  'in shutdown': true,
  'shut off': true,
  crashed: true,
  pmsuspended: true,
  unknown: true,
})
const HOST_STATUSES = keys<HostStatus>({ ok: true, partial: true, unreachable: true, failed: true, skipped: true, interrupted: true })
// Every outcome, checked by the compiler: a new outcome without a line here does not build.
const OUTCOMES = keys<GuestOutcome>({
  ...{ stopped: true, suspended: true, destroyed: true, 'already-off': true, 'still-running': true },
  ...{ started: true, 'already-running': true, 'not-started': true, 'not-ready': true, migrated: true },
  ...{ planned: true, failed: true, interrupted: true },
})
const RESULTS = ['ok', 'failed', 'timeout', 'interrupted']
const REASONS = ['primary', 'fallback', 'host-budget']
const STEP_STATUSES = keys<StepStatus>({ started: true, ok: true, failed: true, skipped: true })

const count = int(0, Number.MAX_SAFE_INTEGER)
const strings = arrayOf(str)
const guestRef = obj({ uri: str, uuid: str, name: str })
const attempt = obj(
  { action: oneOf(...VERBS), startedAt: time, endedAt: time, durationMs: num, result: oneOf(...RESULTS), reason: oneOf(...REASONS) },
  { error: str },
)
const guestReport = obj(
  {
    uri: str,
    uuid: str,
    name: str,
    initialState: oneOf(...GUEST_STATES),
    persistent: bool,
    outcome: oneOf(...OUTCOMES),
    ok: bool,
    attempts: arrayOf(attempt),
    durationMs: num,
    inSavedList: bool,
  },
  {
    finalState: oneOf(...GUEST_STATES),
    plan: arrayOf(oneOf(...VERBS)),
    note: str,
    error: str,
    migration: obj({ from: str, to: str, durationMs: num }, { bytes: count, downtimeMs: num }),
    runningAfterMs: num,
    readyAfterMs: num,
    readyAt: time,
    ready: str,
  },
)
const stepReport = obj({ step: str, status: oneOf('ok', 'failed', 'skipped'), durationMs: num }, { error: str, detail: str })
const hostReport = obj(
  { host: str, status: oneOf(...HOST_STATUSES), durationMs: num, guests: arrayOf(guestReport) },
  { error: str, savedList: obj({ path: str, entries: count }), steps: arrayOf(stepReport), predicted: obj({ durationMs: num, withoutHistory: count }) },
)
const summary = obj({ hosts: count, hostsOk: count, hostsFailed: count, hostsUnreachable: count, guests: count, guestsOk: count, guestsFailed: count })
const runReport = obj(
  {
    command: str,
    runId: str,
    check: bool,
    startedAt: time,
    endedAt: time,
    durationMs: num,
    exitCode: int(0, 255),
    interrupted: bool,
    summary,
    hosts: arrayOf(hostReport),
  },
  { predicted: obj({ durationMs: num }) },
)

const hostEvent = (extra: Record<string, Check> = {}, optional: Record<string, Check> = {}) => obj({ host: str, at: time, ...extra }, optional)
const EVENT_CHECKS: Record<FleetEvent['type'], Check> = {
  'run-start': obj({ command: str, runId: str, hosts: strings, check: bool, at: time }),
  'host-start': hostEvent(),
  'host-connected': hostEvent(),
  'host-planned': hostEvent({ guests: arrayOf(obj({ uri: str, uuid: str, name: str, plan: arrayOf(oneOf(...VERBS)) })) }),
  'saved-list-written': hostEvent({ path: str, entries: count }),
  'guest-action': hostEvent({ guest: guestRef, action: oneOf(...VERBS), reason: oneOf(...REASONS) }),
  'guest-action-result': hostEvent({ guest: guestRef, action: oneOf(...VERBS), result: oneOf(...RESULTS) }, { error: str }),
  'guest-done': hostEvent({ guest: guestReport }),
  migration: hostEvent(
    { guest: guestRef, source: str, destination: str, status: oneOf('started', 'progress', 'migrated', 'failed') },
    { percent: num, bytes: count, downtimeMs: num, durationMs: num, error: str },
  ),
  'host-done': hostEvent({ report: hostReport }),
  'host-step': hostEvent({ step: str, status: oneOf(...STEP_STATUSES) }, { error: str, durationMs: num, detail: str }),
  batch: obj({ index: count, of: count, hosts: strings, status: oneOf('started', 'ok', 'failed', 'aborted'), at: time }),
  log: obj({ level: oneOf('info', 'warn', 'error'), message: str, at: time }, { host: str }),
  'run-done': obj({ report: runReport, at: time }),
}
// An event type from a newer virtfleet: readers skip types they do not know, but still rely on these two fields.
const unknownEvent = obj({ at: time }, { host: str })

const RECORD_CHECKS: Record<JournalRecord['type'], Check> = {
  run: obj({
    v: int(0, Number.MAX_SAFE_INTEGER),
    runId: str,
    command: str,
    argv: strings,
    options: anyObject,
    startedAt: time,
    hosts: strings,
    pid: int(1, 2 ** 31 - 1),
    hostname: str,
  }),
  plan: obj({ host: str, guests: arrayOf(obj({ name: str, steps: strings }, { uuid: str, uri: str })), at: time }, { steps: strings }),
  step: obj({ host: str, step: str, status: oneOf(...STEP_STATUSES), at: time }, { guest: str, durationMs: num, error: str }),
  'host-status': obj({ host: str, status: oneOf(...HOST_STATUSES), at: time }, { error: str }),
  batch: obj({ index: count, hosts: strings, result: oneOf('ok', 'partial', 'aborted', 'interrupted'), at: time }),
  event: obj({ event: byType(EVENT_CHECKS, unknownEvent) }),
  end: obj({ exitCode: int(0, 255), at: time }, { summary }),
}
const recordCheck = byType(RECORD_CHECKS)

/** Undefined when `x` is a well-formed record, else what is wrong with it (e.g. `record.event.at: missing`). */
export function recordProblem(x: unknown): string | undefined {
  return recordCheck(x, 'record')
}

/** Same checks for a report found elsewhere (e.g. a run-done event), exported for renderers that read files. */
export function runReportProblem(x: unknown): string | undefined {
  return runReport(x, 'report')
}
