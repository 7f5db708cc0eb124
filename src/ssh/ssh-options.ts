// The SSH transport's options and their defaults, shared by the modules that make up the transport (pool, handshake,
// auth, host keys, connection). Kept apart so those modules need not import the transport itself.

import type { Clock } from '../core/clock.js'
import type { HostKeyChecking } from '../inventory/types.js'
import type { SSHConfig } from './ssh-config.js'

export interface SshTransportOptions {
  /** Handshake timeout, ms (ssh2 readyTimeout); also bounds all attempts of one connect together. Default 10 000. */
  readyTimeoutMs?: number
  /** SSH keepalive interval, ms. Default 2 000; 0 disables. */
  keepaliveIntervalMs?: number
  /** Unanswered keepalives before the connection is declared lost (after about interval × (count + 1)). Default 3. */
  keepaliveCountMax?: number
  /** How long a graceful close may take before the socket is destroyed, ms. Default 1 000. */
  closeGraceMs?: number
  /** Extra attempts after a transient connect failure (refused, reset, dropped handshake). Default 2. */
  retries?: number
  /** First backoff delay, ms; doubles each retry (with ±20% jitter). Default 500. */
  retryBaseDelayMs?: number
  /** Concurrent exec/stream channels per connection. Default 8 (sshd's MaxSessions is 10). */
  maxChannelsPerHost?: number
  /** Concurrent handshakes across the transport (the control machine's own bound). Default 64. */
  maxConcurrentHandshakes?: number
  /**
   * Concurrent handshakes with one sshd (address and port): sshd's MaxStartups (10:30:100 by default) starts
   * dropping unauthenticated connections at 10, and it counts per server, so hosts behind one address share it. Default 8.
   */
  maxHandshakesPerServer?: number
  /** Host key policy for hosts whose spec has no hostKeyChecking. Default 'strict'. */
  hostKeyChecking?: HostKeyChecking
  /** known_hosts files for hosts whose spec has no knownHostsFiles. Default ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts. */
  knownHostsFiles?: string[]
  /** Passphrase for an encrypted identity file (after VIRTFLEET_SSH_PASSPHRASE); undefined = skip that key. */
  askPassphrase?: (file: string) => Promise<string | undefined> | string | undefined
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false
  /** Environment (VIRTFLEET_SSH_PASSPHRASE, SSH_AUTH_SOCK). Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Home directory for default identity and known_hosts files. Default os.homedir(). */
  homeDir?: string
  /** ssh_config applied to jump hosts ("bastion" → its HostName/User/Port/IdentityFile). */
  sshConfig?: SSHConfig
  /** Clock for retry backoff and the connect deadline. Default the real clock. */
  clock?: Clock
  /** Non-fatal notices: host key checking off, unreadable identity file, agent failure. */
  onWarning?: (message: string, host: string) => void
  /** ssh2 debug output. */
  debug?: (message: string) => void
}

export const SSH_DEFAULTS = {
  readyTimeoutMs: 10_000,
  // A frozen peer (no RST) is noticed after about 2 s × (3 + 1) = 8 s, not after the per-guest timeout.
  keepaliveIntervalMs: 2_000,
  keepaliveCountMax: 3,
  closeGraceMs: 1_000,
  retries: 2,
  retryBaseDelayMs: 500,
  maxChannelsPerHost: 8,
  maxConcurrentHandshakes: 64,
  maxHandshakesPerServer: 8,
}

export type ResolvedSshOptions = SshTransportOptions & typeof SSH_DEFAULTS

/** Defaults for every option left undefined (an explicit `undefined` does not override a default). */
export function resolveSshOptions(options: SshTransportOptions): ResolvedSshOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  return { ...SSH_DEFAULTS, ...defined } as ResolvedSshOptions
}
