// The migration vars read once at the inventory edge: defaults, typed values, and errors naming the host and var.
import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.js'
import { migrationSettings } from '../../../src/engine/evacuate/settings.js'
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

describe('virtfleet:evacuate= tag', () => {
  it('is read from the description beside the other tags', () => {
    expect(parseDescriptionTags('db virtfleet:order=2 virtfleet:evacuate=migrate-or-stop')).toEqual({ order: 2, evacuate: 'migrate-or-stop' })
    expect(parseDescriptionTags('virtfleet:evacuate=stop').evacuate).toBe('stop')
    expect(parseDescriptionTags('virtfleet:evacuate=teleport').evacuate).toBeUndefined()
  })
})
