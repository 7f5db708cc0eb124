// Jump-host chains: parsing "user@host:port" entries (a bad one is an InputError, exit 4) and turning one into the
// bastion's HostSpec, with ssh_config applied to it as OpenSSH does for ProxyJump hops.

import { InputError } from '../core/errors.js'
import type { HostSpec } from '../inventory/types.js'
import { applySshConfig, type SSHConfig } from './ssh-config.js'

export interface JumpHost {
  user?: string
  host: string
  port?: number
}

/** "user@host:port", "host", "[v6addr]:port", "ssh://user@host:port". */
export function parseJump(jump: string): JumpHost {
  const bad = (why: string) => new InputError(`invalid jump host "${jump}": ${why} (expected [user@]host[:port])`)
  let s = jump.trim().replace(/^ssh:\/\//, '')
  let user: string | undefined
  const at = s.lastIndexOf('@')
  if (at >= 0) {
    user = s.slice(0, at)
    s = s.slice(at + 1)
    if (!user) throw bad('empty user name')
    if (/[\s/]/.test(user)) throw bad('user name contains white space or "/"')
  }
  let host = s
  let portText: string | undefined
  const v6 = /^\[([^\]]+)\](?::([^:]*))?$/.exec(s)
  if (v6) {
    host = v6[1]!
    portText = v6[2]
  } else if (s.startsWith('[')) {
    throw bad('unclosed "["')
  } else {
    const colon = s.indexOf(':')
    if (colon >= 0) {
      if (s.indexOf(':', colon + 1) >= 0) throw bad('an IPv6 address must be in brackets')
      host = s.slice(0, colon)
      portText = s.slice(colon + 1)
    }
  }
  if (!host) throw bad('no host name')
  if (/[\s/@]/.test(host)) throw bad('host name contains white space, "/" or "@"')
  let port: number | undefined
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`port "${portText}" is not 1-65535`)
    port = Number(portText)
  }
  return { ...(user ? { user } : {}), host, ...(port ? { port } : {}) }
}

/** Every jump entry of a host parses; the InputError names the host. */
export function checkJumps(spec: Pick<HostSpec, 'name' | 'jump'>): void {
  for (const j of spec.jump) {
    try {
      parseJump(j)
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`host ${spec.name}: ${err.message}`)
      throw err
    }
  }
}

/** The bastion's HostSpec for one jump entry: it inherits the target's keys and known_hosts policy. */
export function bastionSpec(jump: string, target: HostSpec, sshConfig: SSHConfig | undefined, home: string | undefined, defaultUser: string): HostSpec {
  const parsed = parseJump(jump)
  const spec: HostSpec = {
    ...target,
    name: parsed.host,
    address: parsed.host,
    port: parsed.port ?? 22,
    user: parsed.user ?? defaultUser,
    jump: [],
    // The entry's host is the ssh_config lookup key, so HostName may replace it (as for `ssh -J gw`).
    explicit: { ...(parsed.port ? { port: true as const } : {}), ...(parsed.user ? { user: true as const } : {}) },
  }
  return applySshConfig(spec, sshConfig, { home })
}
