// The inventory's migration vars, read once into typed values at the edge: `migration_uri`, `migration_data_uri`,
// `shared_storage` (list of path prefixes), `evacuate_strategy`, and a destination's `memory_headroom` and
// `vcpu_overcommit`. A bad value is an InputError naming the var and the host, never a guess; nothing downstream
// looks at raw vars again. The headroom and overcommit parsers are the same for flags and playbook steps.

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
  /** As a destination: the fraction of its memory that stays free, and its vCPUs per physical CPU. */
  headroom?: number
  vcpuOvercommit?: number
}

/** Most vCPUs per physical CPU anyone could mean (a typo guard, not a recommendation). */
export const MAX_VCPU_OVERCOMMIT = 64
export const MIN_VCPU_OVERCOMMIT = 0.1

/**
 * A memory headroom as written ("10%", "10", 10 or "12.5 %": a percentage, 0 up to but not including 100) to the
 * fraction placement keeps free. A bare number is a percentage too, so 0.1 means 0.1 %, never 10 %.
 */
export function parseHeadroom(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined
  const m = text === undefined ? null : /^(\d+(?:\.\d+)?)\s*%?$/.exec(text)
  const n = m ? Number(m[1]) : NaN
  if (!Number.isFinite(n) || n >= 100)
    throw new InputError(`${what}: expected a percentage of memory to keep free, from 0% to below 100% (e.g. 10%), got ${JSON.stringify(value)}`)
  return n / 100
}

/** A vCPU overcommit cap (vCPUs per physical CPU, e.g. 4 or 1.5): from MIN_VCPU_OVERCOMMIT to MAX_VCPU_OVERCOMMIT. */
export function parseOvercommit(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined
  const m = text === undefined ? null : /^(\d+(?:\.\d+)?)$/.exec(text)
  const n = m ? Number(m[1]) : NaN
  if (!Number.isFinite(n) || n < MIN_VCPU_OVERCOMMIT || n > MAX_VCPU_OVERCOMMIT)
    throw new InputError(
      `${what}: expected vCPUs per physical CPU, from ${MIN_VCPU_OVERCOMMIT} to ${MAX_VCPU_OVERCOMMIT} (e.g. 4), got ${JSON.stringify(value)}`,
    )
  return n
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
  const set = (name: string) => host.vars[name] !== undefined && host.vars[name] !== null && host.vars[name] !== ''
  return {
    uri,
    ...(dataUri ? { dataUri } : {}),
    sharedStorage,
    ...(s ? { strategy: parseStrategy(s, `host ${host.name}: var evacuate_strategy`) } : {}),
    ...(set('memory_headroom') ? { headroom: parseHeadroom(host.vars.memory_headroom, `host ${host.name}: var memory_headroom`) } : {}),
    ...(set('vcpu_overcommit') ? { vcpuOvercommit: parseOvercommit(host.vars.vcpu_overcommit, `host ${host.name}: var vcpu_overcommit`) } : {}),
  }
}
