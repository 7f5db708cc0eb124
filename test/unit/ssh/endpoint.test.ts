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

  it("connect timeout and keepalive: the spec's own (inventory, ssh_config), else the run's, else 10 s and 2 s × 3", () => {
    const own = hostSpec('hv1', { connectTimeoutMs: 60_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 6 })
    const run = { readyTimeoutMs: 20_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 1 }
    expect(endpointFor(own, run)).toMatchObject({ connectTimeoutMs: 60_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 6 })
    expect(endpointFor(hostSpec('hv1'), run)).toMatchObject({ connectTimeoutMs: 20_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 1 })
    expect(endpointFor(hostSpec('hv1'), {})).toMatchObject({ connectTimeoutMs: 10_000, keepaliveIntervalMs: 2_000, keepaliveCountMax: 3 })
  })

  it('hopKey identifies a hop by user, address and port', () => {
    expect(hopKey({ user: 'ops', address: 'gw', port: 2222 })).toBe('ops@gw:2222')
  })
})
