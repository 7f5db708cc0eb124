// The planners as specifications: from a host, its live guests (and saved list) and the options, which guest gets
// which chain, in which order. No I/O.

import { describe, expect, it } from 'vitest'
import { planHostStart, planHostStop } from '../../../src/engine/plan.js'
import type { Guest } from '../../../src/libvirt/types.js'
import { emptyList, type SavedList } from '../../../src/state/saved-list.js'
import { fakeUuid, hostSpec } from '../../support/fake-fleet.js'

const guest = (name: string, extra: Partial<Guest> = {}): Guest => ({
  uri: 'qemu:///system',
  uuid: fakeUuid(),
  name,
  state: 'running',
  persistent: true,
  managedSave: false,
  autostart: false,
  ...extra,
})
const names = (xs: Array<{ guest?: Guest; entry?: { name: string } }>) => xs.map((t) => t.guest?.name ?? t.entry?.name)

describe('planHostStop', () => {
  const host = hostSpec('hv1')
  const live = ['web10', 'web1', 'web2', 'web3', 'db1'].map((n) => guest(n))

  it('plans guests in natural name order whatever order virsh listed them in', () => {
    expect(names(planHostStop(host, live, {}).targets)).toEqual(['db1', 'web1', 'web2', 'web3', 'web10'])
  })

  it("--guests 'web[12]' selects with the same glob dialect as --limit: a character class", () => {
    expect(names(planHostStop(host, live, { guests: ['web[12]'] }).targets)).toEqual(['web1', 'web2'])
    expect(names(planHostStop(host, live, { guests: ['web[!12]*'] }).targets)).toEqual(['web3'])
  })

  it('--guests matches a UUID as well as a name', () => {
    const g = live[3] as Guest
    expect(names(planHostStop(host, live, { guests: [g.uuid] }).targets)).toEqual(['web3'])
  })

  it('the chain is the action then its fallbacks, without repeats', () => {
    const plan = planHostStop(host, [guest('a')], { action: 'shutdown', fallback: ['shutdown', 'destroy'] })
    expect(plan.targets[0]?.chain).toEqual(['shutdown', 'destroy'])
  })

  it('guests already off are reported, not acted on; only persistent running guests are saved', () => {
    const plan = planHostStop(host, [guest('on'), guest('off', { state: 'shut off' }), guest('tmp', { persistent: false })], {})
    expect(names(plan.targets)).toEqual(['on', 'tmp'])
    expect(plan.alreadyOff.map((g) => g.name)).toEqual(['off'])
    expect(plan.save.map((g) => g.name)).toEqual(['on'])
  })

  it('takes order and tier from the typed guest_order / guest_tiers settings', () => {
    const h = hostSpec('hv1', { vars: { guest_order: { 'db*': 1 }, guest_tiers: { 'web*': 'app' } } })
    const plan = planHostStop(h, [guest('db1'), guest('web1')], {})
    expect(plan.targets.map((t) => [t.guest.name, t.tags])).toEqual([
      ['db1', { order: 1 }],
      ['web1', { tier: 'app' }],
    ])
  })
})

describe('planHostStart', () => {
  const host = hostSpec('hv1')
  const live = ['web1', 'web2', 'web3'].map((n) => guest(n, { state: 'shut off' }))
  const saved: SavedList = {
    version: 1,
    entries: live.map((g) => ({ uri: g.uri, uuid: g.uuid, name: g.name, action: 'shutdown', savedAt: '2026-01-01T00:00:00.000Z', runId: 'r' })),
  }

  it('starts every saved entry without --guests', () => {
    expect(names(planHostStart(host, saved, live, {}).targets)).toEqual(['web1', 'web2', 'web3'])
  })

  it("--guests 'web[12]' filters the saved list with the host-pattern glob dialect", () => {
    expect(names(planHostStart(host, saved, live, { guests: ['web[12]'] }).targets)).toEqual(['web1', 'web2'])
  })

  it('--guests also starts matching defined guests that are not listed, in natural name order', () => {
    const extra = [guest('web10', { state: 'shut off' }), guest('web9', { state: 'shut off' })]
    const plan = planHostStart(host, emptyList(), [...extra, ...live], { guests: ['web?', 'web1?'] })
    expect(names(plan.targets)).toEqual(['web1', 'web2', 'web3', 'web9', 'web10'])
    expect(plan.targets.every((t) => t.kind === 'start' && t.entry === undefined)).toBe(true)
  })
})
