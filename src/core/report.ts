// Results are data: every guest ends with a typed outcome and the list of actions tried, with timings.
// The JSON report (`--json`), the listr2 tree, the plain CI log and the run journal all read these types.

import type { Action } from './types.js'
import type { GuestState } from './types.js'

export type Verb = Action | 'start' | 'sync-time' | 'agent' | 'ready'

export interface ActionAttempt {
  action: Verb
  /** ISO timestamps (wall clock). */
  startedAt: string
  endedAt: string
  durationMs: number
  result: 'ok' | 'failed' | 'timeout' | 'interrupted'
  /** Why it was tried: 'primary', 'fallback', 'host-budget' (escalated because the host budget ran out). */
  reason: 'primary' | 'fallback' | 'host-budget'
  error?: string
}

export type GuestOutcome =
  // stop side
  | 'stopped'
  | 'suspended'
  | 'destroyed'
  | 'already-off'
  | 'still-running'
  // start side
  | 'started'
  | 'already-running'
  | 'not-started'
  // evacuation: moved by live migration (away, or back home)
  | 'migrated'
  /** Running, but its readiness probe did not succeed in time (its saved-list entry is gone: it runs). */
  | 'not-ready'
  // either
  | 'planned'
  | 'failed'
  | 'interrupted'

export interface GuestRef {
  uri: string
  uuid: string
  name: string
}

/** A guest's identity on a host, as a map key: its URI and UUID (a name can change, and repeat across URIs). */
export function guestId(g: { uri: string; uuid: string }): string {
  return `${g.uri} ${g.uuid}`
}

export interface GuestReport extends GuestRef {
  initialState: GuestState
  finalState?: GuestState
  persistent: boolean
  outcome: GuestOutcome
  /** True when the outcome is the one asked for (off after stop, running after start). */
  ok: boolean
  attempts: ActionAttempt[]
  durationMs: number
  /** In the host's saved-guest list at the end of the run. */
  inSavedList: boolean
  /** What would be done (for --check) or why nothing was done. */
  plan?: Verb[]
  note?: string
  error?: string
  /** Live migration: where the guest went, and what libvirt reported. */
  migration?: { from: string; to: string; bytes?: number; downtimeMs?: number; durationMs: number }
  /** Start side: ms from the start request until the guest was seen running. */
  runningAfterMs?: number
  /** Start side, with a readiness probe: ms from the start request until the probe succeeded. */
  readyAfterMs?: number
  /** Wall-clock time the probe first succeeded (ISO). */
  readyAt?: string
  /** The probe waited on (`agent`, `tcp:22`, ...), when one was set. */
  ready?: string
}

export type HostStatus = 'ok' | 'partial' | 'unreachable' | 'failed' | 'skipped' | 'interrupted'

export interface HostReport {
  host: string
  status: HostStatus
  error?: string
  durationMs: number
  guests: GuestReport[]
  savedList?: { path: string; entries: number }
  /** What went wrong without failing the host (a host budget run out, a silent event stream), in order. */
  warnings?: string[]
  /** Host-level steps of a rolling run or playbook, in order. */
  steps?: StepReport[]
  /** What the durations of earlier runs predicted for this host's guest actions (stop with a history). */
  predicted?: { durationMs: number; withoutHistory: number }
}

export interface StepReport {
  step: string
  status: 'ok' | 'failed' | 'skipped'
  durationMs: number
  error?: string
  detail?: string
}

export interface RunSummary {
  hosts: number
  hostsOk: number
  hostsFailed: number
  hostsUnreachable: number
  guests: number
  guestsOk: number
  guestsFailed: number
}

export interface RunReport {
  command: string
  runId: string
  check: boolean
  startedAt: string
  endedAt: string
  durationMs: number
  exitCode: number
  interrupted: boolean
  summary: RunSummary
  hosts: HostReport[]
  /** The fleet's predicted time, from its hosts' predictions. */
  predicted?: { durationMs: number }
}

/**
 * Each guest counts once per host, by its last row: a rolling reboot reports a guest's stop and its start, and the
 * start is the outcome that counts.
 */
export function summarize(hosts: HostReport[]): RunSummary {
  const guests = hosts.flatMap((h) => [...new Map(h.guests.map((g) => [`${g.uri} ${g.uuid}`, g])).values()])
  return {
    hosts: hosts.length,
    hostsOk: hosts.filter((h) => h.status === 'ok').length,
    hostsFailed: hosts.filter((h) => h.status === 'failed' || h.status === 'partial').length,
    hostsUnreachable: hosts.filter((h) => h.status === 'unreachable').length,
    guests: guests.length,
    guestsOk: guests.filter((g) => g.ok).length,
    guestsFailed: guests.filter((g) => !g.ok).length,
  }
}
