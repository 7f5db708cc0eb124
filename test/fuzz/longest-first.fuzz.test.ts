// Longest-first on any host: a reorder within each tier phase and order group (never across), longest first within
// each reordered group, and a prediction bounded by the obvious limits of list scheduling.

import fc from 'fast-check'
import { expect, it } from 'vitest'
import { listScheduleMs, predictHostStop } from '../../src/engine/longest-first.js'
import { planHostStop } from '../../src/engine/plan.js'
import type { Guest } from '../../src/libvirt/types.js'
import type { DurationHistory } from '../../src/state/journal/history.js'
import { hostSpec } from '../support/fake-fleet.js'
import { fuzz } from './params.js'

const guestArb = fc.record({
  ms: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
  order: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  tier: fc.constantFrom('app', 'db', undefined),
})

it('longest-first only reorders within each tier phase and order group, longest first there', async () => {
  await fuzz(
    'longest-first partitions',
    fc.property(fc.array(guestArb, { maxLength: 12 }), fc.integer({ min: 1, max: 6 }), (specs, parallel) => {
      const guests: Guest[] = specs.map((_, i) => ({
        uri: 'qemu:///system',
        uuid: `u${i}`,
        name: `g${i}`,
        state: 'running',
        persistent: true,
        managedSave: false,
        autostart: false,
      }))
      const ms = new Map(specs.map((s, i) => [`g${i}`, s.ms]))
      const history: DurationHistory = {
        runs: 1,
        estimate: (_h, g) => (ms.get(g.name) === undefined ? undefined : { durationMs: ms.get(g.name) as number, timedOut: false, samples: 1 }),
      }
      const vars = {
        guest_order: Object.fromEntries(specs.flatMap((s, i) => (s.order === undefined ? [] : [[`g${i}`, s.order]]))),
        guest_tiers: Object.fromEntries(specs.flatMap((s, i) => (s.tier === undefined ? [] : [[`g${i}`, s.tier]]))),
      }
      const o = { parallel, tiers: ['app', 'db'] }
      const before = planHostStop(hostSpec('hv1', { vars }), guests, o).targets
      const after = planHostStop(hostSpec('hv1', { vars }), guests, { ...o, history }).targets
      const part = (t: (typeof before)[number]) => `${t.tags?.tier ?? '-'} ${t.tags?.order ?? '-'}`
      expect(after.map(part)).toEqual(before.map(part))
      expect(after.map((t) => t.guest.name).sort()).toEqual(before.map((t) => t.guest.name).sort())
      const rank = (t: (typeof after)[number]) => ms.get(t.guest.name) ?? Number.POSITIVE_INFINITY
      for (const key of new Set(after.map(part))) {
        const members = after.filter((t) => part(t) === key)
        if (members.length <= parallel) expect(members).toEqual(before.filter((t) => part(t) === key))
        else for (let i = 1; i < members.length; i++) expect(rank(members[i - 1]!)).toBeGreaterThanOrEqual(rank(members[i]!))
      }
      const plan = planHostStop(hostSpec('hv1', { vars }), guests, { ...o, history })
      expect(predictHostStop(plan, history, o.tiers).durationMs).toBeGreaterThanOrEqual(0)
    }),
    100,
  )
})

it('list scheduling lies between the longest job (or the even share) and the sum of all jobs', async () => {
  await fuzz(
    'list scheduling bounds',
    fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (jobs, slots) => {
      const m = listScheduleMs(jobs, slots)
      const sum = jobs.reduce((a, b) => a + b, 0)
      expect(m).toBeLessThanOrEqual(sum)
      expect(m).toBeGreaterThanOrEqual(Math.max(0, ...jobs))
      expect(m).toBeGreaterThanOrEqual(Math.ceil(sum / slots))
      // Graham's bound for any list order: at most the even share plus the longest job.
      expect(m).toBeLessThanOrEqual(sum / slots + Math.max(0, ...jobs))
    }),
    300,
  )
})
