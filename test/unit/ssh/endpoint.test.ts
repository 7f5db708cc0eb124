import { describe, expect, it } from 'vitest'
import { endpointFor, hopKey } from '../../../src/ssh/endpoint.js'
import { hostSpec } from '../../support/fake-fleet.js'

describe('endpointFor', () => {
  it("fills what the spec leaves open: address = name, port 22, known_hosts under home, 'strict'", () => {
    const ep = endpointFor(hostSpec('hv1', { address: '', port: 0 }), { homeDir: '/home/me' })
    expect(ep).toMatchObject({ label: 'hv1', address: 'hv1', port: 22, hostKeyChecking: 'strict' })
    expect(ep.knownHostsFiles).toEqual(['/home/me/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts'])
  })

  it("the spec's own settings win over the transport's defaults", () => {
    const spec = hostSpec('hv1', { knownHostsFiles: ['/kh'], hostKeyChecking: 'off' })
    expect(endpointFor(spec, { knownHostsFiles: ['/other'], hostKeyChecking: 'accept-new' }, 'jump host x')).toMatchObject({
      label: 'jump host x',
      knownHostsFiles: ['/kh'],
      hostKeyChecking: 'off',
    })
    expect(endpointFor(hostSpec('hv1'), { knownHostsFiles: ['/other'], hostKeyChecking: 'accept-new' })).toMatchObject({
      knownHostsFiles: ['/other'],
      hostKeyChecking: 'accept-new',
    })
  })

  it('hopKey identifies a hop by user, address and port', () => {
    expect(hopKey({ user: 'ops', address: 'gw', port: 2222 })).toBe('ops@gw:2222')
  })
})
