// The rolling planner, pure: hosts in play order (Ansible's `order`), cut into batches (`serial`), and per host the
// steps with that host's defaults filled in by each step's handler. `--check` prints this; the executor runs it.

import type { HostSpec } from '../../inventory/types.js'
import { planBatches } from '../batches.js'
import { STEP_HANDLERS } from '../steps/registry.js'
import type { StepHandler } from '../steps/handler.js'
import type { HostOrder, HostPlan, HostStep, PlanOptions, PlannedStep, RollingPlan, StepKind } from './types.js'

/** The journaled name of a step: its kind and position, after the play's prefix. */
export const stepName = (s: HostStep, i: number, prefix = ''): string => `${prefix}${s.kind}#${i}`

export function planRolling(hosts: readonly HostSpec[], o: PlanOptions): RollingPlan {
  const order = o.order ?? 'inventory'
  const ordered = orderHosts(hosts, order, o.random ?? Math.random)
  const tiers = [...new Set(o.steps.flatMap((s) => (s.kind === 'stop' || s.kind === 'start' ? (s.options.tiers ?? []) : [])))]
  return {
    order,
    batches: planBatches(
      ordered.map((h) => h.name),
      o.serial,
    ),
    hosts: ordered.map((h) => planHost(h, o)),
    ...(o.maxFailPercentage !== undefined ? { maxFailPercentage: o.maxFailPercentage } : {}),
    ...(o.pauseMs ? { pauseMs: o.pauseMs } : {}),
    ...(tiers.length > 0 ? { tiers } : {}),
  }
}

export function planHost(host: HostSpec, o: Pick<PlanOptions, 'steps' | 'ignoreErrors' | 'stepPrefix'>): HostPlan {
  const steps: PlannedStep[] = o.steps.map((step, index) => ({
    index,
    name: stepName(step, index, o.stepPrefix),
    step: resolveStep(step, host),
    ignoreErrors: o.ignoreErrors?.has(index) ?? false,
  }))
  return { host: host.name, steps }
}

function resolveStep(step: HostStep, host: HostSpec): HostStep {
  const handler = STEP_HANDLERS[step.kind] as StepHandler<StepKind>
  return handler.resolve(step as never, host)
}

/** As Ansible: inventory order, its reverse, by name (plain string order, as Python's sorted), or shuffled. */
export function orderHosts(hosts: readonly HostSpec[], order: HostOrder, random: () => number): HostSpec[] {
  const byName = (a: HostSpec, b: HostSpec) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  switch (order) {
    case 'inventory':
      return [...hosts]
    case 'reverse_inventory':
      return [...hosts].reverse()
    case 'sorted':
      return [...hosts].sort(byName)
    case 'reverse_sorted':
      return [...hosts].sort(byName).reverse()
    case 'shuffle': {
      const out = [...hosts]
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[out[i], out[j]] = [out[j] as HostSpec, out[i] as HostSpec]
      }
      return out
    }
  }
}
