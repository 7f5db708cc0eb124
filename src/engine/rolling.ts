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
import type { EvacuateOptions, ReturnOptions } from './evacuate/options.js'

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
  /** Live-migrate guests away instead of stopping them (what cannot move is stopped with `stop`'s options). */
  evacuate?: EvacuateOptions
  /** Bring migrated guests home before the start (`leave`: forget them where they are). */
  returnGuests?: ReturnOptions
}): HostStep[] {
  return [
    { kind: 'preflight', suspend: o.stop?.action === 'suspend' },
    { kind: 'lock', ...(o.breakLock ? { breakLock: true } : {}) },
    ...(o.evacuate ? [{ kind: 'evacuate' as const, options: { ...o.evacuate, ...(o.stop ? { stop: o.stop } : {}) } }] : []),
    ...(o.stop && !o.evacuate ? [{ kind: 'stop' as const, options: o.stop }] : []),
    // Never reboot a host that is not empty: a guest still running there fails the host, untouched.
    ...(o.evacuate && o.reboot ? [{ kind: 'assert' as const, guests: 'off' as const, msg: 'host not empty, not rebooted' }] : []),
    ...(o.reboot ? [{ kind: 'reboot' as const, ...o.reboot }] : []),
    ...(o.returnGuests ? [{ kind: 'return' as const, options: o.returnGuests }] : []),
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
