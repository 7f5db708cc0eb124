// The migration vars read once at the inventory edge: defaults, typed values, and errors naming the host and var.
import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.js'
import { migrationSettings, parseHeadroom, parseOvercommit } from '../../../src/engine/evacuate/settings.js'
import { parseDescriptionTags } from '../../../src/libvirt/describe.js'
import { hostSpec } from '../../support/fake-fleet.js'

describe('migrationSettings', () => {
  it('defaults the destination URI to the host’s SSH address, user and port', () => {
    expect(migrationSettings(hostSpec('hv2', { address: '10.0.0.2', port: 2202, user: 'ops' }))).toEqual({
      uri: 'qemu+ssh://ops@10.0.0.2:2202/system',
      sharedStorage: [],
    })
  })

  it('reads migration_uri, migration_data_uri, shared_storage (list or comma string) and evacuate_strategy', () => {
    const s = migrationSettings(
      hostSpec('hv2', {
        vars: {
          migration_uri: 'qemu+ssh://root@hv2/system?keyfile=/k',
          migration_data_uri: 'tcp://10.1.0.2',
          shared_storage: ['/srv/nfs', '/var/lib/lab'],
          evacuate_strategy: 'stop',
        },
      }),
    )
    expect(s).toEqual({
      uri: 'qemu+ssh://root@hv2/system?keyfile=/k',
      dataUri: 'tcp://10.1.0.2',
      sharedStorage: ['/srv/nfs', '/var/lib/lab'],
      strategy: 'stop',
    })
    expect(migrationSettings(hostSpec('a', { vars: { shared_storage: '/a, /b' } })).sharedStorage).toEqual(['/a', '/b'])
  })

  it('rejects bad values with an InputError naming the host and the var', () => {
    const bad = (vars: Record<string, unknown>) => () => migrationSettings(hostSpec('hv9', { vars }))
    expect(bad({ evacuate_strategy: 'teleport' })).toThrow(InputError)
    expect(bad({ evacuate_strategy: 'teleport' })).toThrow(/host hv9: var evacuate_strategy: unknown evacuation strategy "teleport"/)
    expect(bad({ migration_uri: 'hv2' })).toThrow(/host hv9: var migration_uri is not a libvirt URI/)
    expect(bad({ shared_storage: 'relative/path' })).toThrow(/var shared_storage: "relative\/path" is not an absolute path/)
    expect(bad({ shared_storage: 3 })).toThrow(/var shared_storage must be a list of paths/)
    expect(bad({ migration_uri: 5 })).toThrow(/var migration_uri must be a string/)
  })
})

describe('memory headroom and vCPU overcommit values (flags, vars, playbook steps)', () => {
  it('reads a headroom as a percentage, with or without %, to the fraction kept free', () => {
    expect(parseHeadroom('10%', '--memory-headroom')).toBe(0.1)
    expect(parseHeadroom(' 12.5 % ', '--memory-headroom')).toBe(0.125)
    expect(parseHeadroom(25, 'x')).toBe(0.25)
    expect(parseHeadroom('0', 'x')).toBe(0)
  })

  it('refuses a headroom of 100 % or more, negative, or not a number, naming where it came from', () => {
    for (const bad of ['100%', '150', '-5%', 'ten', '', '10%%', 1e300, true, null])
      expect(() => parseHeadroom(bad, '--memory-headroom'), String(bad)).toThrow(InputError)
    expect(() => parseHeadroom('100%', '--memory-headroom')).toThrow(/^--memory-headroom: expected a percentage of memory to keep free, from 0% to below 100%/)
  })

  it('reads an overcommit cap as vCPUs per physical CPU, from 0.1 to 64', () => {
    expect(parseOvercommit('4', '--vcpu-overcommit')).toBe(4)
    expect(parseOvercommit(1.5, 'x')).toBe(1.5)
    for (const bad of ['0', '0.05', '65', '-1', '4x', '', 'lots', 0]) expect(() => parseOvercommit(bad, '--vcpu-overcommit'), String(bad)).toThrow(InputError)
    expect(() => parseOvercommit('0', '--vcpu-overcommit')).toThrow(/^--vcpu-overcommit: expected vCPUs per physical CPU, from 0.1 to 64/)
  })

  it('a destination’s memory_headroom and vcpu_overcommit vars are read once, typed, with the host named on error', () => {
    expect(migrationSettings(hostSpec('hv2', { vars: { memory_headroom: '20%', vcpu_overcommit: 2 } }))).toMatchObject({ headroom: 0.2, vcpuOvercommit: 2 })
    expect(migrationSettings(hostSpec('hv2')).headroom).toBeUndefined()
    expect(() => migrationSettings(hostSpec('hv9', { vars: { memory_headroom: '120%' } }))).toThrow(/^host hv9: var memory_headroom: expected a percentage/)
    expect(() => migrationSettings(hostSpec('hv9', { vars: { vcpu_overcommit: 'many' } }))).toThrow(/^host hv9: var vcpu_overcommit: expected vCPUs/)
  })
})

describe('virtfleet:evacuate= tag', () => {
  it('is read from the description beside the other tags', () => {
    expect(parseDescriptionTags('db virtfleet:order=2 virtfleet:evacuate=migrate-or-stop')).toEqual({ order: 2, evacuate: 'migrate-or-stop' })
    expect(parseDescriptionTags('virtfleet:evacuate=stop').evacuate).toBe('stop')
    expect(parseDescriptionTags('virtfleet:evacuate=teleport').evacuate).toBeUndefined()
  })
})
