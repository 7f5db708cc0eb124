// Planning is pure: from a host's settings, its live guests (and saved list) and the options, decide which guest gets
// which chain of actions, in which order. `--check` prints these plans; the executors apply them.

import type { HostSpec } from '../inventory/types.js'
import type { Action } from '../core/types.js'
import type { Guest } from '../libvirt/types.js'
import { isActive } from '../libvirt/types.js'
import { byName } from '../libvirt/driver.js'
import type { SavedEntry, SavedList } from '../state/saved-list.js'
import { matchesAny } from '../core/glob.js'
import { guestTags, type PhaseBarrier } from './ordering.js'
import type { ReadyProbe } from '../libvirt/readiness.js'
import { guestOrdering } from '../inventory/guest-ordering.js'
import type { GuestTags } from '../libvirt/describe.js'
import type { DurationHistory } from '../state/journal/history.js'
import { orderLongestFirst } from './longest-first.js'

export const DEFAULTS = {
  action: 'shutdown' as Action,
  parallel: 4,
  timeoutMs: 300_000,
  startTimeoutMs: 120_000,
}

export interface StopOptions {
  /** Undefined = the host's inventory value, else the default. */
  action?: Action
  fallback?: Action[]
  parallel?: number
  timeoutMs?: number
  hostTimeoutMs?: number
  persistentOnly?: boolean
  bypassCache?: boolean
  mode?: 'acpi' | 'agent'
  guests?: string[]
  libvirtGuestsList?: boolean
  /** Fleet-wide tier phases, in stop order (`--tiers app,db`). */
  tiers?: string[]
  /** Shared by all hosts of a run when tiers are used. */
  barrier?: PhaseBarrier
  /** Durations earlier runs recorded: queues longer than `parallel` go longest-first, and the run is predicted. */
  history?: DurationHistory
}

export interface StopSettings {
  action: Action
  fallback: Action[]
  parallel: number
  timeoutMs: number
  hostTimeoutMs?: number
}

/** Command line beats inventory beats defaults (as Ansible's extra vars beat inventory vars). */
export function stopSettings(host: HostSpec, o: StopOptions): StopSettings {
  return {
    action: o.action ?? host.action ?? DEFAULTS.action,
    fallback: o.fallback ?? host.fallback ?? [],
    parallel: o.parallel ?? host.parallel ?? DEFAULTS.parallel,
    timeoutMs: o.timeoutMs ?? host.timeoutMs ?? DEFAULTS.timeoutMs,
    hostTimeoutMs: o.hostTimeoutMs ?? host.hostTimeoutMs,
  }
}

export interface StopTarget {
  guest: Guest
  /** Primary action first, then the fallbacks, each tried when the previous fails or times out. */
  chain: Action[]
  note?: string
  tags?: GuestTags
}

export interface HostStopPlan {
  host: string
  settings: StopSettings
  /** Guests to act on, in order. */
  targets: StopTarget[]
  /** Running guests that cannot be acted on (reported as failures, never silently dropped). */
  impossible: Array<{ guest: Guest; reason: string }>
  /** Guests already off that matched the selection (reported for completeness). */
  alreadyOff: Guest[]
  /** Excluded by --persistent-only (reported, left running on purpose). */
  excluded: Array<{ guest: Guest; reason: string }>
  /** New saved-list entries (persistent guests this stop will turn off). */
  save: Guest[]
}

export function guestSelected(g: Guest, patterns?: readonly string[]): boolean {
  return !patterns || patterns.length === 0 || matchesAny(patterns, g.name, g.uuid)
}

export function planHostStop(host: HostSpec, guests: Guest[], o: StopOptions, described?: Map<string, GuestTags>): HostStopPlan {
  const settings = stopSettings(host, o)
  const ordering = guestOrdering(host)
  const chain = dedupe([settings.action, ...settings.fallback])
  const plan: HostStopPlan = { host: host.name, settings, targets: [], impossible: [], alreadyOff: [], excluded: [], save: [] }
  for (const g of byName(guests)) {
    if (!guestSelected(g, o.guests)) continue
    if (!isActive(g.state)) {
      plan.alreadyOff.push(g)
      continue
    }
    if (!g.persistent && o.persistentOnly) {
      plan.excluded.push({ guest: g, reason: 'transient guest excluded by --persistent-only' })
      continue
    }
    // managedsave needs a persistent definition to restore from; a transient guest skips that step.
    const own = g.persistent ? chain : chain.filter((a) => a !== 'suspend')
    if (own.length === 0) {
      plan.impossible.push({ guest: g, reason: 'transient guest cannot be suspended (managedsave needs a persistent definition); add --fallback shutdown' })
      continue
    }
    const note =
      own.length < chain.length
        ? 'transient: suspend skipped, cannot be restored by start'
        : !g.persistent
          ? 'transient: cannot be restored by start'
          : undefined
    const tags = guestTags(ordering, g, described)
    plan.targets.push({ guest: g, chain: own, ...(note ? { note } : {}), ...(tags.order !== undefined || tags.tier !== undefined ? { tags } : {}) })
    if (g.persistent) plan.save.push(g)
  }
  if (o.history) plan.targets = orderLongestFirst(plan, o.history, o.tiers)
  return plan
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}

export interface StartOptions {
  parallel?: number
  timeoutMs?: number
  startDelayMs?: number
  syncTime?: boolean
  bypassCache?: boolean
  /** Start these guests (names, globs or UUIDs) instead of, or filtering, the saved list. */
  guests?: string[]
  libvirtGuestsList?: boolean
  /** Fleet-wide tier phases, given in stop order; start runs them in reverse. */
  tiers?: string[]
  barrier?: PhaseBarrier
  /** Pause between two order groups on a host (Proxmox's startup "up" delay). */
  groupDelayMs?: number
  /** Alias kept for `--wait-agent D`: the same as ready = agent, readyTimeoutMs = D. */
  waitAgentMs?: number
  /** The run's readiness probe, for guests whose tag and host var set none. */
  ready?: ReadyProbe
  readyTimeoutMs?: number
}

export interface StartTarget {
  entry?: SavedEntry
  guest?: Guest
  tags?: GuestTags
  /** What to do: 'start', 'already-running' (drop from list), 'missing' (not defined: keep in list, report). */
  kind: 'start' | 'already-running' | 'missing'
}

export interface HostStartPlan {
  host: string
  parallel: number
  timeoutMs: number
  startDelayMs: number
  targets: StartTarget[]
}

/**
 * Without --guests: every saved entry. With --guests: saved entries whose name/UUID matches, plus defined guests that
 * match and are not in the list (started, but there is no entry to remove).
 */
export function planHostStart(host: HostSpec, saved: SavedList, live: Guest[], o: StartOptions, described?: Map<string, GuestTags>): HostStartPlan {
  const byKey = new Map(live.map((g) => [`${g.uri} ${g.uuid}`, g]))
  const ordering = guestOrdering(host)
  const targets: StartTarget[] = []
  const listed = new Set<string>()
  for (const entry of saved.entries) {
    // Migrated away, not stopped: the return step brings it home by migration, there is nothing to start here.
    if (entry.migratedTo) continue
    const k = `${entry.uri} ${entry.uuid}`
    listed.add(k)
    const guest = byKey.get(k)
    if (o.guests && o.guests.length > 0 && !matchesAny(o.guests, entry.name, entry.uuid, guest?.name ?? entry.name)) continue
    if (!guest) targets.push({ entry, kind: 'missing' })
    else targets.push({ entry, guest, kind: isActive(guest.state) ? 'already-running' : 'start', tags: guestTags(ordering, guest, described) })
  }
  if (o.guests && o.guests.length > 0) {
    for (const g of byName(live)) {
      if (listed.has(`${g.uri} ${g.uuid}`) || !guestSelected(g, o.guests)) continue
      targets.push({ guest: g, kind: isActive(g.state) ? 'already-running' : 'start', tags: guestTags(ordering, g, described) })
    }
  }
  return {
    host: host.name,
    parallel: o.parallel ?? host.parallel ?? DEFAULTS.parallel,
    timeoutMs: o.timeoutMs ?? DEFAULTS.startTimeoutMs,
    startDelayMs: o.startDelayMs ?? 0,
    targets,
  }
}
