// One hop to connect to (the target or a bastion), with the defaults a HostSpec leaves open filled in: address,
// port, local user name, known_hosts files, the host key policy, the connect timeout and the keepalive.

import os from 'node:os'
import path from 'node:path'
import type { HostKeyChecking, HostSpec } from '../inventory/types.js'
import { localUser } from '../inventory/ssh-options.js'
import { SSH_DEFAULTS } from './ssh-options.js'

export interface Endpoint {
  /** Name used in errors (inventory name, or "jump host <entry>"). */
  label: string
  address: string
  port: number
  user: string
  identityFiles: string[]
  knownHostsFiles: string[]
  hostKeyChecking: HostKeyChecking
  /** Bounds every connect attempt to this hop together (TCP, key exchange, authentication, retries). */
  connectTimeoutMs: number
  /** 0 = no keepalive. */
  keepaliveIntervalMs: number
  keepaliveCountMax: number
}

export interface EndpointDefaults {
  homeDir?: string
  knownHostsFiles?: string[]
  hostKeyChecking?: HostKeyChecking
  /** The run's --connect-timeout and --keepalive, for hosts whose inventory or ssh_config sets none (else SSH_DEFAULTS). */
  readyTimeoutMs?: number
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
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
    connectTimeoutMs: spec.connectTimeoutMs ?? defaults.readyTimeoutMs ?? SSH_DEFAULTS.readyTimeoutMs,
    keepaliveIntervalMs: spec.keepaliveIntervalMs ?? defaults.keepaliveIntervalMs ?? SSH_DEFAULTS.keepaliveIntervalMs,
    keepaliveCountMax: spec.keepaliveCountMax ?? defaults.keepaliveCountMax ?? SSH_DEFAULTS.keepaliveCountMax,
  }
}

/** "user@address:port": the identity of a hop in connection cache keys. */
export function hopKey(ep: Pick<Endpoint, 'user' | 'address' | 'port'>): string {
  return `${ep.user}@${ep.address}:${ep.port}`
}
