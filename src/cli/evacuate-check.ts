// `evacuate --check`: connect to each host to evacuate and to the candidate destinations, read the facts, print the
// placement plan per host (nothing is changed, no mark is set). Hosts are planned one by one as they would run.

import { realClock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { EventBus } from '../core/events.js'
import type { HostSpec } from '../inventory/types.js'
import type { EvacuateOptions } from '../engine/evacuate/options.js'
import { gatherAndPlan } from '../engine/steps/evacuate.js'
import type { StepContext } from '../engine/steps/handler.js'
import type { StopOptions } from '../engine/plan.js'
import { formatPlacement } from '../render/placement.js'
import type { Transport } from '../ssh/transport.js'

/** Returns the text to print and whether every host could be planned. */
export async function placementCheck(
  hosts: readonly HostSpec[],
  transport: Transport,
  options: EvacuateOptions,
  stop: StopOptions,
  signal?: AbortSignal,
): Promise<{ text: string; ok: boolean }> {
  const out: string[] = []
  let ok = true
  for (const host of hosts) {
    try {
      const session = await transport.connect(host, signal)
      const ctx: StepContext = {
        host,
        run: { transport, clock: realClock, bus: new EventBus(), runId: 'check', command: 'evacuate', check: true, ...(signal ? { signal } : {}) },
        connection: { get: async () => session, drop: async () => undefined, adopt: () => undefined },
        state: { guests: new Map(), locked: false },
        reconnectEveryMs: 1000,
        // --check plans each host alone: every other selected host counts as being evacuated too (never a destination).
        fleet: { hosts: options.pool ?? [], batch: hosts.map((h) => h.name) },
        at: () => new Date().toISOString(),
      }
      const facts = await gatherAndPlan(ctx, session, { ...options, stop })
      await Promise.all(facts.destinations.map((d) => d.session.close().catch(() => undefined)))
      out.push(formatPlacement(host.name, facts.plan, facts.refused))
      if (facts.plan.placements.some((p) => p.kind === 'blocked')) ok = false
    } catch (err) {
      ok = false
      out.push(`${host.name}: cannot plan: ${errorMessage(err)}`)
    }
  }
  return { text: out.join('\n\n'), ok }
}
