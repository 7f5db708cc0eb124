import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { byName, VirshDriver } from '../../../src/libvirt/driver.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

describe('listing guests', () => {
  it('natural name order: web2 before web10, case and digits as a person reads them', () => {
    expect(byName([{ name: 'web10' }, { name: 'web2' }, { name: 'Db1' }, { name: 'web1' }]).map((g) => g.name)).toEqual(['Db1', 'web1', 'web2', 'web10'])
  })

  it('listAll lists every URI of the host once each, as one list in name order', async () => {
    const transport = new FakeTransport(new FakeClock())
    const host = transport.addHost('hv1')
    host.addGuest({ name: 'sys2', uri: 'qemu:///system' })
    host.addGuest({ name: 'ses1', uri: 'qemu:///session' })
    host.addGuest({ name: 'sys1', uri: 'qemu:///system', state: 'shut off' })
    const session = await transport.connect(hostSpec('hv1'))
    const guests = await new VirshDriver(session).listAll(['qemu:///system', 'qemu:///session'])
    expect(guests.map((g) => [g.name, g.uri, g.state])).toEqual([
      ['ses1', 'qemu:///session', 'running'],
      ['sys1', 'qemu:///system', 'shut off'],
      ['sys2', 'qemu:///system', 'running'],
    ])
    expect(transport.log.map((r) => r.argv[2])).toEqual(['qemu:///system', 'qemu:///session'])
  })
})
