// Longest-first stop queues and the predicted window, as specifications: the planner given recorded durations (an
// input, no I/O), and the list-scheduling simulation with numbers worked out by hand.

import { describe, expect, it } from 'vitest'
import type { Verb } from '../../../src/core/report.js'
import { listScheduleMs, orderLongestFirst, predictFleetMs, predictHostStop, UNSEEN_GUEST_MS } from '../../../src/engine/longest-first.js'
import { planHostStop, type StopOptions } from '../../../src/engine/plan.js'
import type { Guest } from '../../../src/libvirt/types.js'
import { NO_HISTORY, type DurationHistory } from '../../../src/state/journal/history.js'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import { runRolling, type HostStep } from '../../../src/engine/rolling.js'
import { FakeTransport, fakeUuid, hostSpec } from '../../support/fake-fleet.js'

const guest = (name: string): Guest => ({
  uri: 'qemu:///system',
  uuid: fakeUuid(),
  name,
  state: 'running',
  persistent: true,
  managedSave: false,
  autostart: false,
})

/** Recorded shutdown (or other action) durations by guest name on hv1; 'timeout' = the last attempt timed out. */
function history(byName: Record<string, number | 'timeout'>, action: Verb = 'shutdown', extra: Record<string, number> = {}): DurationHistory {
  return {
    runs: 1,
    estimate: (host, g, a) => {
      if (host !== 'hv1') return undefined
      const ms = a === action ? byName[g.name] : extra[`${g.name} ${a}`]
      if (ms === undefined) return undefined
      return ms === 'timeout' ? { durationMs: 0, timedOut: true, samples: 1 } : { durationMs: ms, timedOut: false, samples: 1 }
    },
  }
}

const names = (o: StopOptions, guests = ['g1', 'g2', 'g3', 'g4'], vars: Record<string, unknown> = {}) =>
  planHostStop(hostSpec('hv1', { vars }), guests.map(guest), o).targets.map((t) => t.guest.name)

// libvirt-guests' verification delays: 1.5, 3, 6 and 2 s.
const LAB = { g1: 1500, g2: 3000, g3: 6000, g4: 2000 }

describe('longest-first stop queue', () => {
  it('with recorded durations and fewer slots than guests, the longest guest is asked first', () => {
    expect(names({ parallel: 2, history: history(LAB) })).toEqual(['g3', 'g2', 'g4', 'g1'])
  })

  it('without any record the natural-name order stays (no history given, or an empty one)', () => {
    expect(names({ parallel: 2 })).toEqual(['g1', 'g2', 'g3', 'g4'])
    expect(names({ parallel: 2, history: NO_HISTORY })).toEqual(['g1', 'g2', 'g3', 'g4'])
  })

  it('guests never seen go first, in name order, then the recorded ones longest-first', () => {
    expect(names({ parallel: 2, history: history({ g2: 3000, g4: 9000 }) })).toEqual(['g1', 'g3', 'g4', 'g2'])
  })

  it('equal durations keep the natural-name order', () => {
    expect(names({ parallel: 1, history: history({ g1: 2000, g2: 5000, g3: 2000, g4: 2000 }) })).toEqual(['g2', 'g1', 'g3', 'g4'])
  })

  it('parallel at least the guest count leaves the order alone (every guest is asked at once anyway)', () => {
    expect(names({ parallel: 4, history: history(LAB) })).toEqual(['g1', 'g2', 'g3', 'g4'])
    expect(names({ parallel: 8, history: history(LAB) })).toEqual(['g1', 'g2', 'g3', 'g4'])
  })

  it('a guest that last timed out counts as its timeout: it goes before any that finished', () => {
    expect(names({ parallel: 1, timeoutMs: 5000, history: history({ g1: 'timeout', g2: 3000, g3: 6000, g4: 2000 }) })).toEqual(['g3', 'g1', 'g2', 'g4'])
    expect(names({ parallel: 1, timeoutMs: 60_000, history: history({ g1: 'timeout', g2: 3000, g3: 6000, g4: 2000 }) })).toEqual(['g1', 'g3', 'g2', 'g4'])
  })

  it('order groups win: longest-first only reorders within each group, each group keeps its places', () => {
    const vars = { guest_order: { g1: 1, g2: 1 } }
    const h = history({ g1: 1000, g2: 9000, g3: 1000, g4: 5000, g5: 3000 })
    // g2 is the longest of all but stays in its group (order 1, stopped after the untagged ones).
    expect(names({ parallel: 1, history: h }, ['g1', 'g2', 'g3', 'g4', 'g5'], vars)).toEqual(['g2', 'g1', 'g4', 'g5', 'g3'])
  })

  it('a group no larger than parallel keeps its order even when the host has more guests than slots', () => {
    const vars = { guest_order: { g1: 1, g2: 1 } }
    const h = history({ g1: 1000, g2: 9000, g3: 1000, g4: 5000, g5: 3000 })
    expect(names({ parallel: 2, history: h }, ['g1', 'g2', 'g3', 'g4', 'g5'], vars)).toEqual(['g1', 'g2', 'g4', 'g5', 'g3'])
  })

  it('tiers win: a long guest of a later tier is not pulled into an earlier one', () => {
    const vars = { guest_tiers: { g1: 'db', g2: 'app', g3: 'db', g4: 'app' } }
    const plan = planHostStop(hostSpec('hv1', { vars }), ['g1', 'g2', 'g3', 'g4'].map(guest), {
      parallel: 1,
      tiers: ['app', 'db'],
      history: history({ g1: 1000, g2: 2000, g3: 8000, g4: 4000 }),
    })
    // Positions of db guests (0, 2) and app guests (1, 3) are kept; each tier is ordered within itself.
    expect(plan.targets.map((t) => [t.guest.name, t.tags?.tier])).toEqual([
      ['g3', 'db'],
      ['g4', 'app'],
      ['g1', 'db'],
      ['g2', 'app'],
    ])
  })

  it('orderLongestFirst leaves the plan it is given untouched', () => {
    const plan = planHostStop(hostSpec('hv1'), ['g1', 'g2', 'g3', 'g4'].map(guest), { parallel: 2 })
    const ordered = orderLongestFirst(plan, history(LAB))
    expect(ordered.map((t) => t.guest.name)).toEqual(['g3', 'g2', 'g4', 'g1'])
    expect(plan.targets.map((t) => t.guest.name)).toEqual(['g1', 'g2', 'g3', 'g4'])
  })
})

describe('predicted window', () => {
  it('list scheduling: each job to the first free slot', () => {
    expect(listScheduleMs([1500, 3000, 6000, 2000], 2)).toBe(7500)
    expect(listScheduleMs([6000, 3000, 2000, 1500], 2)).toBe(6500)
    expect(listScheduleMs([1500, 3000, 6000, 2000], 1)).toBe(12_500)
    expect(listScheduleMs([1500, 3000, 6000, 2000], 10)).toBe(6000)
    expect(listScheduleMs([], 3)).toBe(0)
  })

  it('longest-first beats name order on the lab delays with 2 slots: 6.5 s against 7.5 s', () => {
    const guests = ['g1', 'g2', 'g3', 'g4'].map(guest)
    const h = history(LAB)
    const byName = planHostStop(hostSpec('hv1'), guests, { parallel: 2 })
    const longest = planHostStop(hostSpec('hv1'), guests, { parallel: 2, history: h })
    // The same simulation on both queues: only the order differs.
    expect(predictHostStop(byName, h).durationMs).toBe(7500)
    expect(predictHostStop(longest, h)).toEqual({ durationMs: 6500, phasesMs: [6500], withoutHistory: 0 })
  })

  it(`a guest without a record counts as ${UNSEEN_GUEST_MS / 1000} s and is counted as such`, () => {
    const plan = planHostStop(hostSpec('hv1'), ['g1', 'g2', 'g3'].map(guest), { parallel: 2, history: history({ g2: 1000, g3: 2000 }) })
    // g1 (30 s) in one slot; g3 (2 s) then g2 (1 s) in the other.
    expect(predictHostStop(plan, history({ g2: 1000, g3: 2000 }))).toEqual({ durationMs: 30_000, phasesMs: [30_000], withoutHistory: 1 })
  })

  it('a guest that last timed out counts as its step timeout plus its fallback’s recorded time', () => {
    const h = history({ g1: 'timeout' }, 'shutdown', { 'g1 destroy': 400 })
    const plan = planHostStop(hostSpec('hv1'), [guest('g1')], { parallel: 1, timeoutMs: 10_000, fallback: ['destroy'], history: h })
    expect(predictHostStop(plan, h).durationMs).toBe(10_400)
  })

  it('order groups run one after another, and the host budget caps the prediction', () => {
    const vars = { guest_order: { g1: 1 } }
    const h = history(LAB)
    const plan = planHostStop(hostSpec('hv1', { vars }), ['g1', 'g2', 'g3', 'g4'].map(guest), { parallel: 2, history: h })
    // Untagged g2, g3, g4 first (6 s: g3 alone, g2 then g4 in 5 s), then g1 (1.5 s).
    expect(predictHostStop(plan, h).durationMs).toBe(7500)
    const budget = planHostStop(hostSpec('hv1', { vars }), ['g1', 'g2', 'g3', 'g4'].map(guest), { parallel: 2, hostTimeoutMs: 5000, history: h })
    expect(predictHostStop(budget, h).durationMs).toBe(5000)
  })

  it('the fleet: hosts list-scheduled over forks, or with tiers the slowest host of each phase in turn', () => {
    const a = { durationMs: 6000, phasesMs: [6000], withoutHistory: 0 }
    const b = { durationMs: 4000, phasesMs: [4000], withoutHistory: 0 }
    const c = { durationMs: 3000, phasesMs: [3000], withoutHistory: 0 }
    expect(predictFleetMs([a, b, c], 10)).toBe(6000)
    expect(predictFleetMs([a, b, c], 1)).toBe(13_000)
    expect(predictFleetMs([a, b, c], 2)).toBe(7000)
    const t1 = { durationMs: 5000, phasesMs: [0, 1000, 4000], withoutHistory: 0 }
    const t2 = { durationMs: 5000, phasesMs: [0, 3000, 2000], withoutHistory: 0 }
    // Phase 1 waits for the slower host (3 s), phase 2 too (4 s).
    expect(predictFleetMs([t1, t2], 2)).toBe(7000)
    expect(predictFleetMs([], 4)).toBe(0)
  })
})

describe('longest-first in a rolling stop step', () => {
  it('the run context’s history orders the stop step’s queue, as shutdown’s options do', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    const hv1 = transport.addHost('hv1')
    for (const [name, ms] of Object.entries(LAB)) hv1.addGuest({ name, shutdownDelayMs: ms })
    const ctx = { transport, clock, bus: new EventBus(), runId: 'r1', command: 'drain', check: false }
    const steps: HostStep[] = [{ kind: 'stop', options: { parallel: 2 } }]
    const r = await clock.runUntil(runRolling([hostSpec('hv1')], { ...ctx, history: history(LAB) }, { steps }))
    expect(r.exitCode).toBe(0)
    expect(transport.actions()).toEqual(['hv1 shutdown g3', 'hv1 shutdown g2', 'hv1 shutdown g4', 'hv1 shutdown g1'])
    expect(r.hosts[0]?.durationMs).toBe(6500)
  })
})
