// Typed playbook data, as the parser returns it: durations in milliseconds, serial parsed, aliases resolved.
// Options left out stay undefined; the engine applies its defaults (and the play/inventory vars).

import type { SerialSpec } from '../engine/batches.js'
import type { Action } from '../core/types.js'
import type { HostOrder, StepOf as HostStepOf } from '../engine/rolling/types.js'
import type { StepKind } from './spec.js'
import type { ReadyProbe } from '../libvirt/readiness.js'
import type { MigrationTuning } from '../engine/evacuate/options.js'
import type { EvacuationStrategy } from '../engine/placement.js'

export interface SourcePos {
  file: string
  line: number
  column: number
}

interface StepBase {
  kind: StepKind
  /** Display name: `name:` if given, else the kind. */
  name: string
  ignoreErrors: boolean
  pos: SourcePos
}

export interface StopOptions {
  fallback?: Action[]
  timeoutMs?: number
  hostTimeoutMs?: number
  parallel?: number
}
export interface ShutdownStep extends StepBase, StopOptions {
  kind: 'shutdown'
  action?: Action
}
export interface SuspendStep extends StepBase, StopOptions {
  kind: 'suspend'
}
export interface StartStep extends StepBase {
  kind: 'start'
  startDelayMs?: number
  syncTime?: boolean
  parallel?: number
  timeoutMs?: number
  ready?: ReadyProbe
  readyTimeoutMs?: number
}
// reboot, wait_for_ssh, command and assert carry exactly the engine step's fields (one definition, in the engine).
export interface RebootStep extends StepBase, Omit<HostStepOf<'reboot'>, 'kind'> {
  kind: 'reboot'
}
export interface WaitForSshStep extends StepBase, Omit<HostStepOf<'wait_for_ssh'>, 'kind'> {
  kind: 'wait_for_ssh'
}
export interface CommandStep extends StepBase, Omit<HostStepOf<'command'>, 'kind'> {
  kind: 'command'
  /** A string is a shell command line; an array is an argv, quoted at the edge. */
  run: string | string[]
}
export interface PauseStep extends StepBase {
  kind: 'pause'
  /** The fixed wait (with a prompt, the prompt is shown that long); a prompt alone waits for Enter. */
  durationMs?: number
  prompt?: string
}
export interface ConfirmStep extends StepBase {
  kind: 'confirm'
  prompt?: string
}
export interface AssertStep extends StepBase, Omit<HostStepOf<'assert'>, 'kind'> {
  kind: 'assert'
}

// evacuate and return carry the engine's migration tuning fields as they are (one definition, in the engine).
export interface EvacuateStep extends StepBase, MigrationTuning {
  kind: 'evacuate'
  strategy?: EvacuationStrategy
  /** An inventory host pattern: where guests may go (resolved against the inventory when the play runs). */
  destinations?: string
  headroom?: number
  vcpuOvercommit?: number
  /** How guests that do not move are stopped. */
  action?: Action
  fallback?: Action[]
  stopTimeoutMs?: number
  parallel?: number
}
export interface ReturnStep extends StepBase, MigrationTuning {
  kind: 'return'
  leave?: boolean
}

export type Step =
  ShutdownStep | SuspendStep | StartStep | RebootStep | WaitForSshStep | CommandStep | PauseStep | ConfirmStep | AssertStep | EvacuateStep | ReturnStep

export type { HostOrder }

export interface Play {
  name: string
  /** The host pattern; a YAML list of patterns is joined with ','. Syntax-checked, not resolved. */
  hosts: string
  serial?: SerialSpec
  maxFailPercentage?: number
  order?: HostOrder
  vars: Record<string, unknown>
  steps: Step[]
  pos: SourcePos
}

export interface Playbook {
  file: string
  plays: Play[]
}
