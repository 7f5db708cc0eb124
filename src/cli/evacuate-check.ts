// `evacuate --check` and `drain|reboot --evacuate --check`: the rolling plan, then, per host to evacuate, the
// placement plan read from the hosts themselves (capacity, guests, reachability; nothing is changed, no mark set).
// Text or, with --json, one JSON document. Hosts are planned one by one, in run order, each against today's
// capacity minus what the plans before it put on each destination (reboot: within its batch, as the guests of a
// batch come home before the next). Guests that land on a host evacuated later are not planned twice.

import { realClock, type Clock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { EventBus } from '../core/events.js'
import { ExitCode } from '../core/exit-codes.js'
import type { HostSpec } from '../inventory/types.js'
import type { EvacuateOptions } from '../engine/evacuate/options.js'
import type { StopOptions } from '../engine/plan.js'
import { planRolling, type HostStep } from '../engine/rolling.js'
import { gatherAndPlan } from '../engine/steps/evacuate.js'
import type { StepContext } from '../engine/steps/handler.js'
import { formatPlacement, placementToJson, type HostPlacementCheck } from '../render/placement.js'
import { formatRollingPlan, rollingPlanToJson } from '../render/rolling-plan.js'
import type { Transport } from '../ssh/transport.js'
import { trapSignals, withFleetConnections, type RunDeps } from './assemble-run.js'
import { rollingOptionsFromFlags, type ConnectionFlagValues, type RollingFlagValues } from './flags.js'

/**
 * Which hosts a host's evacuation may not use, as the run would see them: its own batch always; with `keepsMark`
 * (evacuate, drain: an emptied host stays in maintenance) also every earlier batch. Reboot brings each batch back.
 */
export function excludedFor(batches: readonly string[][], keepsMark: boolean): (host: string) => string[] {
  return (host) => {
    const i = batches.findIndex((b) => b.includes(host))
    return (keepsMark ? batches.slice(0, i + 1) : batches.slice(i, i + 1)).flat()
  }
}

/** The placement plan of every host, read-only; `excluded(host)` are the hosts that cannot take its guests. */
export async function placementCheck(
  hosts: readonly HostSpec[],
  transport: Transport,
  options: EvacuateOptions,
  stop: StopOptions,
  excluded: (host: string) => string[],
  signal?: AbortSignal,
  clock: Clock = realClock,
  /** Whether the load planned so far is forgotten before this host (a new reboot batch: the guests came home). */
  resetBefore: (host: string) => boolean = () => false,
): Promise<HostPlacementCheck[]> {
  const out: HostPlacementCheck[] = []
  const pending = new Map<string, { memoryKiB: number; vcpus: number }>()
  for (const host of hosts) {
    if (resetBefore(host.name)) pending.clear()
    try {
      const session = await transport.connect(host, signal)
      const ctx: StepContext = {
        host,
        run: { transport, clock, bus: new EventBus(), runId: 'check', command: 'evacuate', check: true, ...(signal ? { signal } : {}) },
        connection: { get: async () => session, drop: async () => undefined, adopt: () => undefined },
        state: { guests: new Map(), locked: false },
        reconnectEveryMs: 1000,
        fleet: { hosts: options.pool ?? hosts, batch: excluded(host.name) },
        at: () => clock.wallTime().toISOString(),
      }
      const facts = await gatherAndPlan(ctx, session, { ...options, stop }, pending)
      await Promise.all(facts.destinations.map((d) => d.session.close().catch(() => undefined)))
      for (const p of facts.plan.placements) {
        if (p.kind !== 'migrate') continue
        const load = pending.get(p.destination) ?? { memoryKiB: 0, vcpus: 0 }
        pending.set(p.destination, { memoryKiB: load.memoryKiB + p.guest.memoryKiB, vcpus: load.vcpus + p.guest.vcpus })
      }
      out.push({ host: host.name, plan: facts.plan, refused: facts.refused })
    } catch (err) {
      out.push({ host: host.name, refused: [], error: errorMessage(err) })
    }
  }
  return out
}

export interface EvacuateCheckRequest {
  command: 'evacuate' | 'drain' | 'reboot'
  flags: ConnectionFlagValues & RollingFlagValues & { check?: boolean }
  steps: HostStep[]
  evacuate: EvacuateOptions
  stop: StopOptions
}

/** Print the rolling plan and the placement plans (text or JSON); exit 0, or 2 when a guest is blocked or a host cannot be planned. */
export async function printEvacuateCheck(req: EvacuateCheckRequest, deps: RunDeps = {}): Promise<HostPlacementCheck[]> {
  const stdout = deps.stdout ?? process.stdout
  const signals = deps.trapSignals === false ? undefined : trapSignals()
  try {
    const { plan, checks } = await withFleetConnections(req.flags, deps, async (hosts, transport) => {
      const plan = planRolling(hosts, { steps: req.steps, ...rollingOptionsFromFlags(req.flags) })
      const excluded = excludedFor(plan.batches, req.command !== 'reboot')
      const byName = new Map(hosts.map((h) => [h.name, h]))
      const inOrder = plan.batches.flat().map((n) => byName.get(n) as HostSpec)
      // Reboot: each batch's guests are home before the next batch, so its load is gone.
      const firsts = new Set(plan.batches.map((b) => b[0]))
      const reset = (host: string) => req.command === 'reboot' && firsts.has(host)
      return { plan, checks: await placementCheck(inOrder, transport, req.evacuate, req.stop, excluded, signals?.signal, deps.clock, reset) }
    })
    if (req.flags.json) stdout.write(rollingPlanToJson(plan, { placement: placementToJson(checks) }) + '\n')
    else
      stdout.write(
        [
          formatRollingPlan(plan, `${req.command} --check`),
          ...checks.map((c) => (c.plan ? formatPlacement(c.host, c.plan, c.refused) : `${c.host}: cannot plan: ${c.error}`)),
        ].join('\n\n') + '\n',
      )
    process.exitCode = placementOk(checks) ? ExitCode.ok : ExitCode.partial
    return checks
  } finally {
    signals?.release()
  }
}

export const placementOk = (checks: readonly HostPlacementCheck[]): boolean =>
  checks.every((c) => c.plan && !c.plan.placements.some((p) => p.kind === 'blocked'))
