import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { guestMemoryKiB, parseBalloonTotal, readBootId, saveDirFreeKiB } from '../../../src/libvirt/host-probes.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

describe('host probes', () => {
  it('sums balloon.current over the domstats of every guest', () => {
    expect(parseBalloonTotal("Domain: 'a'\n  balloon.current=2048\n\nDomain: 'b'\n  balloon.current=1024\n  balloon.maximum=4096\n")).toBe(3072)
  })

  it('reads the boot id, the active guests’ memory and the free space of the managed-save folder', async () => {
    const clock = new FakeClock()
    const t = new FakeTransport(clock)
    const h = t.addHost('hv1')
    h.addGuest({ name: 'a' })
    h.addGuest({ name: 'off', state: 'shut off' })
    const s = await t.connect(hostSpec('hv1'))
    expect(await readBootId(s)).toEqual({ ok: true, bootId: 'boot-1' })
    expect(await guestMemoryKiB(s, ['qemu:///system'])).toBe(98304)
    expect(await saveDirFreeKiB(s)).toBe(100000000)
  })
})
