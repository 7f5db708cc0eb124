// Rolling maintenance: hosts in batches (Ansible's serial), each host through a list of steps — preflight, lock,
// stop, reboot, wait for SSH with a new boot id, start, verify, unlock, commands. Planned first (pure, rolling/plan.ts),
// then executed (rolling/execute.ts), each step kind by its handler (steps/registry.ts).

import type { HostSpec } from '../inventory/types.js'
import type { RunReport } from '../core/report.js'
import type { RunContext } from './fleet.js'
import { executeRolling } from './rolling/execute.js'
import { planRolling } from './rolling/plan.js'
import type { HostStep, RollingOptions, StepOf } from './rolling/types.js'
import type { StartRunOptions } from './start.js'
import type { StopRunOptions } from './stop.js'

export type { HostOrder, HostPlan, HostStep, PlannedStep, PlanOptions, RollingOptions, RollingPlan, StepKind, StepOf } from './rolling/types.js'
export { planRolling, stepName } from './rolling/plan.js'
export { executeRolling } from './rolling/execute.js'
export { guestMemoryKiB, parseBalloonTotal } from '../libvirt/host-probes.js'

/**
 * The host steps of the three maintenance commands, as data: drain = stop the guests, restore = start them
 * again and verify, reboot = both with a reboot between. Each runs inside pre-flight + host lock.
 */
export function maintenanceSteps(o: {
  stop?: StopRunOptions
  reboot?: Omit<StepOf<'reboot'>, 'kind'>
  start?: StartRunOptions
  breakLock?: boolean
}): HostStep[] {
  return [
    { kind: 'preflight', suspend: o.stop?.action === 'suspend' },
    { kind: 'lock', ...(o.breakLock ? { breakLock: true } : {}) },
    ...(o.stop ? [{ kind: 'stop' as const, options: o.stop }] : []),
    ...(o.reboot ? [{ kind: 'reboot' as const, ...o.reboot }] : []),
    ...(o.start
      ? [
          { kind: 'start' as const, options: o.start },
          { kind: 'assert' as const, guests: 'running' as const },
        ]
      : []),
    { kind: 'unlock' },
  ]
}

/** Plan, then execute: what the CLI runs for reboot, drain, restore and each play of a playbook. */
export function runRolling(hosts: HostSpec[], ctx: RunContext, o: RollingOptions): Promise<RunReport> {
  return executeRolling(planRolling(hosts, o), hosts, ctx, o)
}
