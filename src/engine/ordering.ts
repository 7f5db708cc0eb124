// Guest ordering, as Proxmox's startup order: each guest may carry an order number and a tier.
// Sources, first match wins: the host's inventory vars `guest_order: {GLOB: N}` / `guest_tiers: {GLOB: NAME}`
// (typed once by inventory/guest-ordering.ts), then a tag in the guest's libvirt description (`virtfleet:order=N`,
// `virtfleet:tier=NAME`).
// Stop goes in descending order (highest first), start in ascending order; guests without an order come last
// on start and first on stop. Tiers order whole phases across the fleet: `--tiers app,db` stops tier app
// everywhere before tier db (and starts db everywhere before app).

import { ruleFor, type GuestOrdering } from '../inventory/guest-ordering.js'
import type { Guest } from '../libvirt/types.js'
import type { GuestTags } from '../libvirt/describe.js'

/** A guest's order and tier: the inventory's globs beat its description tags. */
export function guestTags(ordering: GuestOrdering, g: Guest, described?: Map<string, GuestTags>): GuestTags {
  const fromDesc = described?.get(g.uuid) ?? {}
  const order = ruleFor(ordering.order, g.name)
  const tier = ruleFor(ordering.tiers, g.name)
  return { ...fromDesc, ...(order !== undefined ? { order } : {}), ...(tier !== undefined ? { tier } : {}) }
}

/** Split into groups run one after the other: stop = descending order (untagged first), start = ascending (untagged last). */
export function orderGroups<T>(items: T[], orderOf: (t: T) => number | undefined, direction: 'stop' | 'start'): T[][] {
  // Untagged guests: first on stop, last on start — one key (+Infinity) does both with the two sort directions.
  const key = (t: T) => orderOf(t) ?? Number.POSITIVE_INFINITY
  const keys = [...new Set(items.map(key))].sort((a, b) => (direction === 'stop' ? b - a : a - b))
  return keys.map((k) => items.filter((t) => key(t) === k))
}

/**
 * The order guests get their turn in: per phase (each tier with `--tiers`, else one phase), its order groups. A group
 * finishes before the next starts, a phase before the next (behind the fleet-wide barrier). The same for a stop and
 * a start, in opposite directions.
 */
export function turns<T extends { tags?: GuestTags }>(items: readonly T[], tiers: readonly string[], direction: 'stop' | 'start'): T[][][] {
  const phases: T[][] = Array.from({ length: tiers.length + 1 }, () => [])
  for (const t of items) phases[tiers.length > 0 ? tierPhase(t.tags?.tier, tiers, direction) : 0]!.push(t)
  return phases.map((inPhase) => orderGroups(inPhase, (t) => t.tags?.order, direction))
}

/**
 * Fleet-wide phases (tiers): a host waits at the end of each phase until every other host still in the run has
 * finished that phase too. Hosts that end early (unreachable, failed) leave and are no longer waited for.
 */
export class PhaseBarrier {
  private reached = new Map<string, number>()
  private active: Set<string>
  private waiters: Array<{ phase: number; resolve: () => void }> = []

  constructor(hosts: string[] = []) {
    this.active = new Set(hosts)
  }

  /** Set the hosts of the run (before any host starts). */
  setHosts(hosts: string[]): void {
    this.active = new Set(hosts)
  }

  arrive(host: string, phase: number): Promise<void> {
    this.reached.set(host, Math.max(this.reached.get(host) ?? -1, phase))
    return new Promise<void>((resolve) => {
      this.waiters.push({ phase, resolve })
      this.check()
    })
  }

  leave(host: string): void {
    this.active.delete(host)
    this.check()
  }

  private check(): void {
    const done = (phase: number) => [...this.active].every((h) => (this.reached.get(h) ?? -1) >= phase)
    this.waiters = this.waiters.filter((w) => {
      if (!done(w.phase)) return true
      w.resolve()
      return false
    })
  }
}

/** Phase index of a tier: untagged guests (and tiers not listed) go first on stop, last on start. */
export function tierPhase(tier: string | undefined, tiers: readonly string[], direction: 'stop' | 'start'): number {
  const ordered = direction === 'stop' ? tiers : [...tiers].reverse()
  const i = tier === undefined ? -1 : ordered.indexOf(tier)
  if (direction === 'stop') return i === -1 ? 0 : i + 1
  return i === -1 ? ordered.length : i
}
