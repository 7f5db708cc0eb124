// Pre-flight of an evacuation: each source must reach each destination it will use, the way the migration will
// (`virsh -c DEST_URI uri` run on the source). Placement and checking alternate: place, check the destinations the
// plan uses, re-place without the unreachable ones, until every used destination answered. Only used destinations
// are checked (a fleet of 1000 hosts is not probed from every source), and each at most once.

import type { Clock } from '../../core/clock.js'
import { errorMessage } from '../../core/errors.js'
import { anySignal } from '../../core/semaphore.js'
import { reachArgv } from '../../libvirt/migration.js'
import type { HostSession } from '../../ssh/transport.js'
import { planPlacement, type DestinationFacts, type GuestFacts, type PlacementOptions, type PlacementPlan } from '../placement.js'

/** Time one reach check may take (an SSH that hangs must not hold the evacuation). */
export const REACH_TIMEOUT_MS = 30_000

/** Why `source` cannot reach `destinationUri`, or undefined when it can. */
export async function reachFailure(
  source: HostSession,
  destinationUri: string,
  clock: Clock,
  signal?: AbortSignal,
  timeoutMs = REACH_TIMEOUT_MS,
): Promise<string | undefined> {
  const timer = new AbortController()
  const stop = new AbortController()
  let timedOut = false
  void clock.sleep(timeoutMs, anySignal([stop.signal, signal])).then(
    () => {
      timedOut = true
      timer.abort()
    },
    () => undefined,
  )
  const late = () => `no answer within ${Math.round(timeoutMs / 1000)}s`
  try {
    const r = await source.exec(reachArgv(destinationUri), { signal: anySignal([timer.signal, signal]) })
    if (timedOut) return late()
    return r.code === 0 ? undefined : r.stderr.trim().split('\n').pop() || `virsh exited ${r.code ?? r.signal}`
  } catch (err) {
    return timedOut ? late() : errorMessage(err)
  } finally {
    stop.abort()
  }
}

/**
 * Place, then check the destinations the plan uses with `reach` (cached per destination); a destination that fails
 * is kept in the plan with its refusal (so the guests' reasons name it) and the guests are placed again.
 */
export async function placeReachable(
  source: string,
  guests: readonly GuestFacts[],
  destinations: readonly DestinationFacts[],
  options: PlacementOptions,
  reach: (destination: string) => Promise<string | undefined>,
): Promise<PlacementPlan> {
  const refusals = new Map<string, string>()
  const checked = new Set<string>()
  for (;;) {
    const plan = planPlacement(
      guests,
      destinations.map((d) => (refusals.has(d.host) ? { ...d, refusal: refusals.get(d.host) as string } : d)),
      options,
    )
    const used = [...new Set(plan.placements.flatMap((p) => (p.kind === 'migrate' ? [p.destination] : [])))].filter((h) => !checked.has(h))
    if (used.length === 0) return plan
    const answers = await Promise.all(used.map(async (h) => [h, await reach(h)] as const))
    for (const [h, why] of answers) {
      checked.add(h)
      if (why !== undefined) refusals.set(h, `not reachable from ${source}: ${why}`)
    }
    if (answers.every(([, why]) => why === undefined)) return plan
  }
}
