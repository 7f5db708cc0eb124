// `--check` of reboot, drain and run: the rolling plan as text (batches, then each host's steps with their options)
// and as JSON. Pure: the plan comes from planRolling; nothing is connected to or changed.

import { formatDuration } from '../core/duration.js'
import type { RollingPlan } from '../engine/rolling/types.js'
import { describeStep } from '../engine/steps/registry.js'

export function formatRollingPlan(plan: RollingPlan, title = 'plan'): string {
  const hostCount = plan.hosts.length
  const facts = [
    `${hostCount} host${hostCount === 1 ? '' : 's'} in ${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'}`,
    `order ${plan.order}`,
    ...(plan.maxFailPercentage !== undefined ? [`max-fail-percentage ${plan.maxFailPercentage}%`] : []),
    ...(plan.pauseMs ? [`pause ${formatDuration(plan.pauseMs)} between batches`] : []),
    ...(plan.tiers ? [`tiers ${plan.tiers.join(' → ')} (each phase on every host of a batch before the next)`] : []),
  ]
  const lines = [`${title}: ${facts.join(', ')}`]
  const byHost = new Map(plan.hosts.map((h) => [h.host, h]))
  for (const [i, batch] of plan.batches.entries()) {
    lines.push(`batch ${i + 1}/${plan.batches.length}: ${batch.join(', ')}`)
    for (const name of batch) {
      lines.push(`  ${name}`)
      const steps = byHost.get(name)?.steps ?? []
      const width = Math.max(...steps.map((s) => s.step.kind.length))
      for (const s of steps) {
        const options = describeStep(s.step)
        const extra = s.ignoreErrors ? ' (errors ignored)' : ''
        lines.push(`    ${String(s.index + 1).padStart(2)}. ${s.step.kind.padEnd(width)}${options ? `  ${options}` : ''}${extra}`.trimEnd())
      }
    }
  }
  return lines.join('\n')
}

/**
 * The plan for `--check --json`: the plan's data, each step with its one-line description, and `extra` keys beside
 * (the placement plan of an evacuation). A migration step's host pool is written as host names, not host specs.
 */
export function rollingPlanToJson(plan: RollingPlan, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      check: true,
      ...plan,
      hosts: plan.hosts.map((h) => ({ ...h, steps: h.steps.map((s) => ({ ...s, describe: describeStep(s.step) })) })),
      ...extra,
    },
    (key, value: unknown) => (key === 'pool' && Array.isArray(value) ? value.map((h: { name?: unknown }) => h.name) : value),
    2,
  )
}
