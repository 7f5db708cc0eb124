import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { collectStatus } from '../../../src/engine/status.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

describe('status', () => {
  it("lists guests in natural name order (web2 before web10), not virsh's domain-id order", async () => {
    const transport = new FakeTransport(new FakeClock())
    const host = transport.addHost('hv1')
    for (const name of ['web10', 'db1', 'web2']) host.addGuest({ name })
    const [view] = await collectStatus([hostSpec('hv1')], transport)
    expect(view?.guests.map((g) => g.name)).toEqual(['db1', 'web2', 'web10'])
  })

  it('orders the guests of every URI of a host as one list, the order stop and start plan in', async () => {
    const transport = new FakeTransport(new FakeClock())
    const host = transport.addHost('hv1')
    host.addGuest({ name: 'b', uri: 'qemu:///system' })
    host.addGuest({ name: 'c', uri: 'qemu:///session' })
    host.addGuest({ name: 'a', uri: 'qemu:///session' })
    const [view] = await collectStatus([hostSpec('hv1', { uris: ['qemu:///system', 'qemu:///session'] })], transport)
    expect(view?.guests.map((g) => [g.name, g.uri])).toEqual([
      ['a', 'qemu:///session'],
      ['b', 'qemu:///system'],
      ['c', 'qemu:///session'],
    ])
  })

  it('marks saved-list membership and reports entries whose guest is gone', async () => {
    const transport = new FakeTransport(new FakeClock())
    const host = transport.addHost('hv1')
    const kept = host.addGuest({ name: 'kept', state: 'shut off' })
    host.addGuest({ name: 'other' })
    const entry = (name: string, uuid: string) => ({ uri: 'qemu:///system', uuid, name, action: 'shutdown', savedAt: '2026-01-01T00:00:00.000Z', runId: 'r' })
    const gone = '00000000-0000-4000-8000-00000000ffff'
    host.files.set(savedListPath(), JSON.stringify({ version: 1, entries: [entry('kept', kept.uuid), entry('gone', gone)] }))
    const [view] = await collectStatus([hostSpec('hv1')], transport)
    expect(view?.guests.map((g) => [g.name, g.inSavedList])).toEqual([
      ['kept', true],
      ['other', false],
    ])
    expect(view?.missing.map((e) => e.name)).toEqual(['gone'])
  })
})
