// One hop to connect to (the target or a bastion), with the defaults a HostSpec leaves open filled in: address,
// port, local user name, known_hosts files and the host key policy.

import os from 'node:os'
import path from 'node:path'
import type { HostKeyChecking, HostSpec } from '../inventory/types.js'
import { localUser } from '../inventory/ssh-options.js'

export interface Endpoint {
  /** Name used in errors (inventory name, or "jump host <entry>"). */
  label: string
  address: string
  port: number
  user: string
  identityFiles: string[]
  knownHostsFiles: string[]
  hostKeyChecking: HostKeyChecking
}

export interface EndpointDefaults {
  homeDir?: string
  knownHostsFiles?: string[]
  hostKeyChecking?: HostKeyChecking
}

export function endpointFor(spec: HostSpec, defaults: EndpointDefaults, label = spec.name): Endpoint {
  const home = defaults.homeDir ?? os.homedir()
  return {
    label,
    address: spec.address || spec.name,
    port: spec.port || 22,
    user: spec.user || localUser(),
    identityFiles: spec.identityFiles,
    knownHostsFiles: spec.knownHostsFiles ?? defaults.knownHostsFiles ?? [path.join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'],
    hostKeyChecking: spec.hostKeyChecking ?? defaults.hostKeyChecking ?? 'strict',
  }
}

/** "user@address:port": the identity of a hop in connection cache keys. */
export function hopKey(ep: Pick<Endpoint, 'user' | 'address' | 'port'>): string {
  return `${ep.user}@${ep.address}:${ep.port}`
}
