// The resolved model of an inventory: what every other module consumes. Parsers (own YAML, Ansible YAML/INI)
// produce it; nothing downstream knows which format a host came from.

import type { Action } from '../core/types.js'

export type HostKeyChecking = 'strict' | 'accept-new' | 'off'

/** Everything needed to reach and handle one hypervisor host, after vars precedence and ssh_config were applied. */
export interface HostSpec {
  /** Inventory name (what the user types in --limit). */
  name: string
  /** Address to connect to (ansible_host / address / ssh_config HostName), default = name. */
  address: string
  port: number
  user: string
  identityFiles: string[]
  /** Jump hosts, outermost first ("user@host:port" each), from inventory or ssh_config ProxyJump. */
  jump: string[]
  /** libvirt URIs handled on this host (like libvirt-guests' URIS), default ['qemu:///system']. */
  uris: string[]
  /** Run remote commands via `sudo -n` (for non-root users). */
  become: boolean
  becomeUser?: string
  /** Per-host knobs; undefined = use the command-line/global value. */
  parallel?: number
  timeoutMs?: number
  hostTimeoutMs?: number
  action?: Action
  fallback?: Action[]
  /** Command used by rolling reboot (default `systemctl reboot`). */
  rebootCommand?: string
  /** Directory on the host holding the saved-guest list (default /var/lib/virtfleet). */
  stateDir?: string
  knownHostsFiles?: string[]
  hostKeyChecking?: HostKeyChecking
  /** SSH connect timeout per attempt (connect_timeout / ansible_ssh_timeout, -o ConnectTimeout, ssh_config); undefined = --connect-timeout. */
  connectTimeoutMs?: number
  /** Keepalive (-o ServerAliveInterval / ServerAliveCountMax, ssh_config); undefined = --keepalive. */
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
  /** All merged vars, for `virtfleet inventory` and playbooks. */
  vars: Record<string, unknown>
  /** Groups the host belongs to (including all ancestors and 'all'). */
  groups: string[]
  /**
   * Which connection fields the inventory set itself (inventory explicit > ~/.ssh/config > defaults): the SSH layer
   * lets ssh_config fill only the others. Always set by resolveHost; optional so hand-built specs (tests) stay valid.
   */
  explicit?: ExplicitConnectionFields
}

export interface ExplicitConnectionFields {
  address?: true
  port?: true
  user?: true
  identityFiles?: true
  jump?: true
}
