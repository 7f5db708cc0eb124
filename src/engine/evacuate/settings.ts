// The inventory's migration vars, read once into typed values at the edge: `migration_uri`, `migration_data_uri`,
// `shared_storage` (list of path prefixes) and `evacuate_strategy`. A bad value is an InputError naming the var
// and the host, never a guess; nothing downstream looks at raw vars again.

import { InputError } from '../../core/errors.js'
import type { HostSpec } from '../../inventory/types.js'
import { defaultDestinationUri } from '../../libvirt/migration.js'
import { EVACUATION_STRATEGIES, type EvacuationStrategy } from '../placement.js'

export interface HostMigrationSettings {
  /** Where a source host's virsh reaches this host's libvirtd (as a destination). */
  uri: string
  /** Where QEMU sends the data to this host, when set. */
  dataUri?: string
  /** Path prefixes every host sees alike: disks under them need no copying. */
  sharedStorage: string[]
  /** Per host/group default strategy for its guests. */
  strategy?: EvacuationStrategy
}

const str = (host: HostSpec, name: string): string | undefined => {
  const v = host.vars[name]
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw new InputError(`host ${host.name}: var ${name} must be a string, got ${JSON.stringify(v)}`)
  return v
}

export function parseStrategy(text: string, what: string): EvacuationStrategy {
  if ((EVACUATION_STRATEGIES as readonly string[]).includes(text)) return text as EvacuationStrategy
  throw new InputError(`${what}: unknown evacuation strategy ${JSON.stringify(text)} (one of ${EVACUATION_STRATEGIES.join(', ')})`)
}

export function migrationSettings(host: HostSpec): HostMigrationSettings {
  const uri = str(host, 'migration_uri') ?? defaultDestinationUri(host.address, host.user, host.port)
  if (!/^[a-z0-9+]+:\/\//i.test(uri)) throw new InputError(`host ${host.name}: var migration_uri is not a libvirt URI: ${JSON.stringify(uri)}`)
  const dataUri = str(host, 'migration_data_uri')
  if (dataUri !== undefined && !/^[a-z0-9+]+:\/\//i.test(dataUri))
    throw new InputError(`host ${host.name}: var migration_data_uri is not a URI: ${JSON.stringify(dataUri)}`)
  const raw = host.vars.shared_storage
  let sharedStorage: string[] = []
  if (typeof raw === 'string') sharedStorage = raw.split(',').map((s) => s.trim())
  else if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) sharedStorage = raw as string[]
  else if (raw !== undefined && raw !== null) throw new InputError(`host ${host.name}: var shared_storage must be a list of paths, got ${JSON.stringify(raw)}`)
  sharedStorage = sharedStorage.filter((p) => p !== '')
  const bad = sharedStorage.find((p) => !p.startsWith('/'))
  if (bad) throw new InputError(`host ${host.name}: var shared_storage: ${JSON.stringify(bad)} is not an absolute path`)
  const s = str(host, 'evacuate_strategy')
  return {
    uri,
    ...(dataUri ? { dataUri } : {}),
    sharedStorage,
    ...(s ? { strategy: parseStrategy(s, `host ${host.name}: var evacuate_strategy`) } : {}),
  }
}
