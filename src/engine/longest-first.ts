// Longest-first stop queues and the predicted window, from the durations earlier runs recorded (an input: this
// module reads nothing). Only the order within what tiers and order groups leave free changes, and only where a
// group has more guests than parallel slots. The prediction is a list-scheduling simulation of the guest actions
// alone: connecting, listing and writing the saved list are not in it.

import type { DurationHistory } from '../state/journal/history.js'
import { orderGroups, tierPhase } from './ordering.js'
import type { HostStopPlan, StopSettings, StopTarget } from './plan.js'

/** What a guest with no recorded duration counts as in a prediction (its place in the queue: first). */
export const UNSEEN_GUEST_MS = 30_000

export interface GuestEstimate {
  ms: number
  /** `unseen`: no record, counted as UNSEEN_GUEST_MS; `timed-out`: its step timeout (+ the next fallback's record). */
  source: 'history' | 'timed-out' | 'unseen'
}

/** The expected time of a guest's stop chain: its primary action's recorded median, or its timeout if it last timed out. */
export function stopEstimate(host: string, t: StopTarget, settings: StopSettings, history: DurationHistory): GuestEstimate {
  const [primary, next] = t.chain
  const e = primary ? history.estimate(host, t.guest, primary) : undefined
  if (!e) return { ms: UNSEEN_GUEST_MS, source: 'unseen' }
  if (!e.timedOut) return { ms: e.durationMs, source: 'history' }
  const fallback = next ? history.estimate(host, t.guest, next) : undefined
  return { ms: settings.timeoutMs + (fallback && !fallback.timedOut ? fallback.durationMs : 0), source: 'timed-out' }
}

/** Which run of the queue a target belongs to: its tier phase, then its order group (each finishes before the next). */
function partitionOf(t: StopTarget, tiers: readonly string[]): string {
  const phase = tiers.length > 0 ? tierPhase(t.tags?.tier, tiers, 'stop') : 0
  return `${phase} ${t.tags?.order ?? 'none'}`
}

/**
 * The targets with each partition larger than `parallel` reordered longest-first: unseen guests first, then by
 * estimate, descending; ties (and a host without any record) keep the given, natural-name order. Each partition keeps
 * its positions in the list, so what the plan shows in order is what runs in order.
 */
export function orderLongestFirst(plan: HostStopPlan, history: DurationHistory, tiers: readonly string[] = []): StopTarget[] {
  const parts = new Map<string, number[]>()
  plan.targets.forEach((t, i) => {
    const k = partitionOf(t, tiers)
    const positions = parts.get(k)
    if (positions) positions.push(i)
    else parts.set(k, [i])
  })
  const out = [...plan.targets]
  for (const positions of parts.values()) {
    if (positions.length <= plan.settings.parallel) continue
    const rank = (t: StopTarget) => {
      const e = stopEstimate(plan.host, t, plan.settings, history)
      return e.source === 'unseen' ? Number.POSITIVE_INFINITY : e.ms
    }
    const members = positions.map((i) => plan.targets[i] as StopTarget)
    const ranks = new Map(members.map((t) => [t, rank(t)]))
    // Array.prototype.sort is stable: equal ranks keep the natural-name order.
    const sorted = [...members].sort((a, b) => (ranks.get(b) as number) - (ranks.get(a) as number) || 0)
    positions.forEach((pos, j) => (out[pos] = sorted[j] as StopTarget))
  }
  return out
}

/** Makespan of jobs taken in order by `slots` workers, each job going to the first free worker. */
export function listScheduleMs(durations: readonly number[], slots: number): number {
  const free = new Array<number>(Math.max(1, Math.min(slots, durations.length || 1))).fill(0)
  for (const d of durations) {
    let i = 0
    for (let j = 1; j < free.length; j++) if ((free[j] as number) < (free[i] as number)) i = j
    free[i] = (free[i] as number) + d
  }
  return Math.max(0, ...free)
}

export interface HostPrediction {
  durationMs: number
  /** Per tier phase (one entry without tiers): the fleet waits for every host at each phase's end. */
  phasesMs: number[]
  /** Guests with no record, each counted as UNSEEN_GUEST_MS. */
  withoutHistory: number
}

/** A host's stop time as the executor will run it: phases, then order groups one after another, each list-scheduled. */
export function predictHostStop(plan: HostStopPlan, history: DurationHistory, tiers: readonly string[] = []): HostPrediction {
  const phasesMs: number[] = []
  let withoutHistory = 0
  for (let p = 0; p <= tiers.length; p++) {
    const inPhase = plan.targets.filter((t) => (tiers.length > 0 ? tierPhase(t.tags?.tier, tiers, 'stop') : 0) === p)
    let ms = 0
    for (const group of orderGroups(inPhase, (t) => t.tags?.order, 'stop')) {
      const estimates = group.map((t) => stopEstimate(plan.host, t, plan.settings, history))
      withoutHistory += estimates.filter((e) => e.source === 'unseen').length
      ms += listScheduleMs(
        estimates.map((e) => e.ms),
        plan.settings.parallel,
      )
    }
    phasesMs.push(ms)
  }
  const total = phasesMs.reduce((a, b) => a + b, 0)
  // The host budget escalates whatever is left when it runs out: the host takes about that long at most.
  const capped = plan.settings.hostTimeoutMs !== undefined ? Math.min(total, plan.settings.hostTimeoutMs) : total
  return { durationMs: capped, phasesMs, withoutHistory }
}

/** The fleet's time: hosts list-scheduled over `forks`, or with tier phases, the slowest host of each phase in turn. */
export function predictFleetMs(hosts: readonly HostPrediction[], forks: number): number {
  const phases = Math.max(0, ...hosts.map((h) => h.phasesMs.length))
  if (phases > 1) {
    let sum = 0
    for (let p = 0; p < phases; p++) sum += Math.max(0, ...hosts.map((h) => h.phasesMs[p] ?? 0))
    return sum
  }
  return listScheduleMs(
    hosts.map((h) => h.durationMs),
    forks,
  )
}
