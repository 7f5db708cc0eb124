// Apply the user's OpenSSH client config (~/.ssh/config) to a HostSpec, as `ssh` would: HostName, User, Port,
// IdentityFile, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout, ServerAliveInterval and
// ServerAliveCountMax fill what the inventory did not set explicitly (values read by the inventory's one ssh option
// parser), and jump hosts that are Host aliases are resolved to their HostName/User/Port. Matching and "first value
// wins" come from the `ssh-config` package's compute(); `Include` is not followed (a limit of that package). The
// lookup key is the address (as Ansible does: `ssh <ansible_host>`).

import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SSHConfig from 'ssh-config'
import { applySshOption, localUser as defaultLocalUser, type SshOptions } from '../inventory/ssh-options.js'
import type { ExplicitConnectionFields, HostSpec } from '../inventory/types.js'

export { SSHConfig }
export type { ExplicitConnectionFields }

export interface SshConfigOptions {
  /** Config file path; wins over VIRTFLEET_SSH_CONFIG and ~/.ssh/config. */
  path?: string
  env?: NodeJS.ProcessEnv
  /** Home directory for `~` and %d (default os.homedir()). */
  home?: string
  /** Local user name for %u (default os.userInfo().username). */
  localUser?: string
  /** Evaluate `Match exec` lines (default true, as OpenSSH). */
  matchExec?: boolean
}

export function sshConfigPath(options: SshConfigOptions = {}): string {
  const env = options.env ?? process.env
  const p = options.path ?? env.VIRTFLEET_SSH_CONFIG ?? path.join(options.home ?? os.homedir(), '.ssh', 'config')
  return expandTilde(p, options.home ?? os.homedir())
}

export function parseSshConfig(text: string): SSHConfig {
  return SSHConfig.parse(text)
}

/** Load the config file; undefined when it does not exist (an explicitly given path that is missing is an error). */
export async function loadSshConfig(options: SshConfigOptions = {}): Promise<SSHConfig | undefined> {
  const file = sshConfigPath(options)
  const explicit = options.path !== undefined || (options.env ?? process.env).VIRTFLEET_SSH_CONFIG !== undefined
  try {
    return parseSshConfig(await readFile(file, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return undefined
    throw new Error(`cannot read ssh config ${file}: ${(err as Error).message}`, { cause: err })
  }
}

export function expandTilde(p: string, home: string): string {
  if (p === '~') return home
  if (p.startsWith('~/')) return path.join(home, p.slice(2))
  return p
}

/** Expand ssh_config(5) TOKENS: %% %d %h %n %p %r %u %l %L. Unknown tokens are left as written. */
export function expandTokens(
  value: string,
  t: { home: string; host: string; originalHost: string; port: number; remoteUser: string; localUser: string },
): string {
  return value.replace(/%(.)/g, (all, c: string) => {
    switch (c) {
      case '%':
        return '%'
      case 'd':
        return t.home
      case 'h':
        return t.host
      case 'n':
        return t.originalHost
      case 'p':
        return String(t.port)
      case 'r':
        return t.remoteUser
      case 'u':
        return t.localUser
      case 'l':
        return os.hostname()
      case 'L':
        return os.hostname().split('.')[0] ?? ''
      default:
        return all
    }
  })
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(/\s+/)).filter((s) => s !== '')
}

/** An ssh_config value read by the one option parser; a value it rejects is ignored here, as before. */
function option(key: string, values: string[]): SshOptions {
  const out: SshOptions = {}
  try {
    for (const v of values) applySshOption(out, key, v)
  } catch {
    return {}
  }
  return out
}

type ComputeOptions = { ignoreCase: true; matchExec: boolean }

/**
 * A jump entry naming a Host alias of the config (one with a HostName) becomes the alias's real
 * "user@hostname:port"; the entry's own user and port win. Entries without a HostName are kept as written.
 */
function resolveJump(entry: string, config: SSHConfig, computeOptions: ComputeOptions, tokens: { home: string; localUser: string }): string {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(entry)
  if (!m) return entry
  const [, user, host, port] = m as unknown as [string, string | undefined, string, string | undefined]
  const c = config.compute(host, computeOptions)
  const hostName = first(c.hostname)
  if (!hostName) return entry
  const u = user ?? option('User', [first(c.user) ?? '']).user
  const p = port ?? option('Port', [first(c.port) ?? '']).port
  const address = expandTokens(hostName, { ...tokens, host, originalHost: host, port: Number(p ?? 22), remoteUser: u ?? tokens.localUser })
  return `${u ? `${u}@` : ''}${address.includes(':') ? `[${address}]` : address}${p ? `:${p}` : ''}`
}

/**
 * Return a copy of `spec` with ssh_config values filled in for every connection field the inventory did not set
 * explicitly (`spec.explicit`; missing means nothing explicit, so the parser's defaults name/22/local user are
 * overridden). knownHostsFiles and hostKeyChecking are filled only when undefined.
 */
export function applySshConfig(
  spec: HostSpec,
  config: SSHConfig | undefined,
  options: Pick<SshConfigOptions, 'home' | 'localUser' | 'matchExec'> = {},
): HostSpec {
  if (!config) return spec
  const explicit: ExplicitConnectionFields = spec.explicit ?? {}
  const home = options.home ?? os.homedir()
  const localUser = options.localUser ?? defaultLocalUser()
  const lookup = spec.address || spec.name
  const computeOptions: ComputeOptions = { ignoreCase: true, matchExec: options.matchExec ?? true }
  const c = explicit.user ? config.compute({ Host: lookup, User: spec.user }, computeOptions) : config.compute(lookup, computeOptions)
  const out: HostSpec = { ...spec }

  const hostName = first(c.hostname)
  if (!explicit.address && hostName) {
    out.address = expandTokens(hostName, { home, host: lookup, originalHost: spec.name, port: spec.port, remoteUser: spec.user, localUser })
  }
  const port = option('Port', [first(c.port) ?? '']).port
  if (!explicit.port && port !== undefined) out.port = port
  const user = option('User', [first(c.user) ?? '']).user
  if (!explicit.user && user) out.user = user

  const tokens = { home, host: out.address, originalHost: spec.name, port: out.port, remoteUser: out.user, localUser }
  const expandPath = (p: string) => expandTilde(expandTokens(p.replace(/^"(.*)"$/, '$1'), tokens), home)

  const ids = all(c.identityfile)
  if (!explicit.identityFiles && ids.length > 0 && !ids.some((i) => i.toLowerCase() === 'none')) {
    out.identityFiles = ids.map(expandPath)
  }
  const proxyJump = option('ProxyJump', [first(c.proxyjump) ?? '']).jump
  if (!explicit.jump && proxyJump && first(c.proxyjump)) out.jump = proxyJump
  out.jump = out.jump.map((j) => resolveJump(j, config, computeOptions, { home, localUser }))
  const khfRaw = all(c.userknownhostsfile)
  if (spec.knownHostsFiles === undefined && khfRaw.length > 0) {
    out.knownHostsFiles = (option('UserKnownHostsFile', [khfRaw.join(' ')]).knownHostsFiles ?? []).map(expandPath)
  }
  const shk = option('StrictHostKeyChecking', [first(c.stricthostkeychecking) ?? '']).hostKeyChecking
  if (spec.hostKeyChecking === undefined && shk) out.hostKeyChecking = shk
  const timing = {
    ...option('ConnectTimeout', [first(c.connecttimeout) ?? '']),
    ...option('ServerAliveInterval', [first(c.serveraliveinterval) ?? '']),
    ...option('ServerAliveCountMax', [first(c.serveralivecountmax) ?? '']),
  }
  if (spec.connectTimeoutMs === undefined && timing.connectTimeoutMs !== undefined) out.connectTimeoutMs = timing.connectTimeoutMs
  if (spec.keepaliveIntervalMs === undefined && timing.keepaliveIntervalMs !== undefined) out.keepaliveIntervalMs = timing.keepaliveIntervalMs
  if (spec.keepaliveCountMax === undefined && timing.keepaliveCountMax !== undefined) out.keepaliveCountMax = timing.keepaliveCountMax
  return out
}
