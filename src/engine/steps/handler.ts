// The contract of one step kind: a pure `resolve` (fill this host's defaults, for the plan and --check), a `describe`
// (its options in one line) and `run` (the I/O). Handlers get everything through StepContext, never from globals.

import type { HostSpec } from '../../inventory/types.js'
import type { GuestReport } from '../../core/report.js'
import type { HostSession } from '../../ssh/transport.js'
import type { RunContext } from '../fleet.js'
import type { PhaseBarrier } from '../ordering.js'
import type { StepKind, StepOf } from '../rolling/types.js'

/** What the steps of one host share while it runs (guests acted on, the saved list, the lock). */
export interface HostRunState {
  /** Guest reports by `${step}:${uri} ${uuid}`, in the order they were produced. */
  guests: Map<string, GuestReport>
  savedList?: { path: string; entries: number }
  locked: boolean
}

/** The one SSH session of a host in a rolling run; a reboot replaces it. */
export interface HostConnection {
  /** The current session, connecting if there is none. */
  get(): Promise<HostSession>
  /** Forget the current session (closed, or lost with the link). */
  drop(): Promise<void>
  /** Adopt a session opened elsewhere (the one that saw the new boot id). */
  adopt(session: HostSession): void
}

export interface StepContext {
  host: HostSpec
  run: RunContext
  connection: HostConnection
  state: HostRunState
  /** Asks the operator, one question at a time for the whole run; absent when nobody can answer. */
  ask?: (question: string) => Promise<boolean>
  /** Time between SSH attempts while a host comes back. */
  reconnectEveryMs: number
  /** Every host of the run and this host's batch (a migration step must never pick a host of its own batch). */
  fleet: { hosts: readonly HostSpec[]; batch: readonly string[] }
  /** Fleet-wide tier barrier for this step and batch (stop/start with tiers). */
  barrier?: PhaseBarrier
  at(): string
}

export type StepResult =
  | { ok: true; detail?: string }
  /** `partial`: some guests were handled (stop/start), the host is not simply failed. */
  | { ok: false; error: string; partial?: boolean }

export interface StepHandler<K extends StepKind> {
  kind: K
  /** Pure: the step with this host's defaults filled in. */
  resolve(step: StepOf<K>, host: HostSpec): StepOf<K>
  /** The resolved options in one line, for --check. */
  describe(step: StepOf<K>): string
  run(ctx: StepContext, step: StepOf<K>): Promise<StepResult>
}

export const ok = (detail?: string): StepResult => (detail ? { ok: true, detail } : { ok: true })
export const failed = (error: string): StepResult => ({ ok: false, error })
