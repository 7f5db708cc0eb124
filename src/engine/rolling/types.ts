// What a rolling run is made of, as data: the host steps (one union member per step kind), the plan the pure
// planner builds from them (batches; per host the steps with this host's defaults filled in) and the options.

import type { SerialSpec } from '../batches.js'
import type { EvacuateOptions, ReturnOptions } from '../evacuate/options.js'
import type { StartRunOptions } from '../start.js'
import type { StopRunOptions } from '../stop.js'

/** Host orders of a play, as Ansible's `order` (the playbook vocabulary should take its list from here). */
export const HOST_ORDERS = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] as const
export type HostOrder = (typeof HOST_ORDERS)[number]

export type HostStep =
  | { kind: 'preflight'; suspend?: boolean }
  | { kind: 'lock'; breakLock?: boolean }
  | { kind: 'unlock' }
  | { kind: 'stop'; options: StopRunOptions }
  | { kind: 'start'; options: StartRunOptions }
  | {
      kind: 'reboot'
      command?: string
      rebootTimeoutMs?: number
      /** Limit of each SSH connection attempt while the host comes back. */
      connectTimeoutMs?: number
      /** Wait after the host is back (new boot id, test command passed) before the next step. */
      postRebootDelayMs?: number
      /** Shell command that must exit 0 before the host counts as back (Ansible's test_command). */
      testCommand?: string
    }
  | { kind: 'wait_for_ssh'; timeoutMs?: number; delayMs?: number; intervalMs?: number }
  | { kind: 'command'; run: string | string[]; become?: boolean; timeoutMs?: number }
  /** A fixed wait; `prompt` is shown while waiting. */
  | { kind: 'pause'; ms: number; prompt?: string }
  | { kind: 'confirm'; prompt: string }
  | { kind: 'assert'; guests: 'running' | 'ready' | 'off'; msg?: string }
  /** Live-migrate the host's guests away (placement first); what cannot move goes through the stop engine. */
  | { kind: 'evacuate'; options: EvacuateOptions }
  /** Bring the guests migrated away from this host back (or, with `leave`, forget them). */
  | { kind: 'return'; options: ReturnOptions }

export type StepKind = HostStep['kind']
export type StepOf<K extends StepKind> = Extract<HostStep, { kind: K }>

export interface PlannedStep {
  /** Position in the host's step list (part of the journal name). */
  index: number
  /** Journaled name (`[prefix]kind#index`), the step part of the resume key. */
  name: string
  /** The step with this host's defaults filled in (what will run, and what --check prints). */
  step: HostStep
  ignoreErrors: boolean
}

export interface HostPlan {
  host: string
  steps: PlannedStep[]
}

export interface RollingPlan {
  order: HostOrder
  /** Host names per batch, in run order. */
  batches: string[][]
  /** Every host of the run, in run order. */
  hosts: HostPlan[]
  maxFailPercentage?: number
  pauseMs?: number
  /** Tier phases of stop/start steps: all hosts of a batch pass each phase together. */
  tiers?: string[]
}

export interface PlanOptions {
  steps: HostStep[]
  serial?: SerialSpec
  maxFailPercentage?: number
  /** Wait between batches. */
  pauseMs?: number
  order?: HostOrder
  /** Random source for `order: shuffle` (injected so plans are reproducible in tests). */
  random?: () => number
  /** Step indexes whose failure is only reported (playbook `ignore_errors`). */
  ignoreErrors?: Set<number>
  /** Prefix of journaled step names, so several plays of one playbook keep distinct steps for resume. */
  stepPrefix?: string
}

export interface RollingOptions extends PlanOptions {
  /** Asked before each batch after the first; false stops the roll (remaining hosts skipped). */
  confirm?: (batch: { index: number; of: number; hosts: string[] }) => Promise<boolean>
  /** Answers a `confirm` step (one question at a time); absent = non-interactive: confirm steps fail. */
  ask?: (question: string) => Promise<boolean>
  /** Steps finished in an earlier attempt of this run, as `stepKey(host, undefined, name)`; skipped on resume. */
  completed?: Set<string>
  /** How often to retry SSH while waiting for a rebooting host. */
  reconnectEveryMs?: number
}
