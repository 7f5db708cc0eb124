// The one reading of OpenSSH client options, whether they come from ~/.ssh/config, from
// ansible_ssh_common_args / ansible_ssh_extra_args (`-o Key=Value`, `-o Key Value`, `-oKey=Value`, -J, -i, -p, -l)
// or from inventory vars (host_key_checking), plus the local user name every default falls back to.

import os from 'node:os'
import { shellSplit } from './ini-values.js'
import type { HostKeyChecking } from './types.js'

/** The local user name (the default SSH user, ssh_config's %u). */
export function localUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? process.env.USERNAME ?? 'root'
  }
}

/** The connection options virtfleet understands; a field is set only when the source gave it. */
export interface SshOptions {
  jump?: string[]
  knownHostsFiles?: string[]
  hostKeyChecking?: HostKeyChecking
  identityFiles?: string[]
  port?: number
  user?: string
  /** ConnectTimeout (0 = unset: the run's --connect-timeout applies). */
  connectTimeoutMs?: number
  /** ServerAliveInterval (0 = keepalive off). */
  keepaliveIntervalMs?: number
  /** ServerAliveCountMax. */
  keepaliveCountMax?: number
}

/** StrictHostKeyChecking (yes/ask/accept-new/no/off) and the inventory's own words (strict, true/false, booleans). */
export function parseHostKeyChecking(value: unknown): HostKeyChecking | undefined {
  if (typeof value === 'boolean') return value ? 'strict' : 'off'
  switch (typeof value === 'string' ? value.trim().toLowerCase() : undefined) {
    case 'yes':
    case 'ask':
    case 'strict':
    case 'true':
      return 'strict'
    case 'accept-new':
      return 'accept-new'
    case 'no':
    case 'off':
    case 'false':
      return 'off'
    default:
      return undefined
  }
}

/** ProxyJump's value: comma-separated jump hosts, or `none` for none. */
export function parseProxyJump(value: string): string[] {
  if (value.trim().toLowerCase() === 'none') return []
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * Apply one `Key value` option to `out` (keys are case-insensitive, as in ssh_config). Options virtfleet does not
 * use are ignored; a bad value of one it uses throws an Error (the caller adds where it was written).
 */
export function applySshOption(out: SshOptions, key: string, rawValue: string): void {
  const value = rawValue.trim().replace(/^"(.*)"$/, '$1')
  switch (key.toLowerCase()) {
    case 'proxyjump':
      out.jump = parseProxyJump(value)
      break
    case 'userknownhostsfile':
      out.knownHostsFiles = value.toLowerCase() === 'none' ? [] : value.split(/\s+/).filter(Boolean)
      break
    case 'stricthostkeychecking': {
      const v = parseHostKeyChecking(value)
      if (v === undefined || ['strict', 'true', 'false'].includes(value.toLowerCase())) {
        throw new Error(`StrictHostKeyChecking=${value}: expected yes, accept-new or no`)
      }
      out.hostKeyChecking = v
      break
    }
    case 'identityfile':
      out.identityFiles = [...(out.identityFiles ?? []), value]
      break
    case 'port':
      if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new Error(`Port=${value}: expected a port number`)
      out.port = Number(value)
      break
    case 'user':
      if (value === '') throw new Error('User needs a value')
      out.user = value
      break
    case 'connecttimeout': {
      const ms = sshTime('ConnectTimeout', value)
      if (ms > 0) out.connectTimeoutMs = ms
      break
    }
    case 'serveraliveinterval':
      out.keepaliveIntervalMs = sshTime('ServerAliveInterval', value)
      break
    case 'serveralivecountmax':
      if (!/^\d{1,4}$/.test(value) || Number(value) > 1000) throw new Error(`ServerAliveCountMax=${value}: expected a whole number up to 1000`)
      out.keepaliveCountMax = Number(value)
      break
  }
}

/** ssh_config(5) TIME FORMATS (seconds, or 90s, 1m30s, 1h; units s m h d w, either case), in ms; at most 7 days. */
function sshTime(key: string, value: string): number {
  const text = value.trim().toLowerCase()
  const unit: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }
  let seconds = 0
  let rest = text
  while (rest !== '') {
    const m = /^(\d{1,9})([smhdw]?)/.exec(rest)
    if (!m) throw new Error(`${key}=${value}: expected seconds or a time like 30s, 1m30s`)
    seconds += Number(m[1]) * (unit[m[2] as string] as number)
    rest = rest.slice(m[0].length)
  }
  if (text === '' || seconds > 604_800) throw new Error(`${key}=${value}: expected seconds or a time like 30s, 1m30s (at most 7 days)`)
  return seconds * 1000
}

/** ssh(1) flags that take an argument: their argument is never read as a flag. */
const FLAGS_WITH_ARG = new Set('bcDEeFIiJLlmOopQRSWw'.split(''))

/** The options in an ssh command-line fragment (ansible_ssh_common_args / ansible_ssh_extra_args). */
export function parseSshArgs(args: string): SshOptions {
  const tokens = shellSplit(args, false).map((t) => t.text)
  const out: SshOptions = {}
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string
    const flag = /^-([A-Za-z])/.exec(t)?.[1]
    if (!flag || !FLAGS_WITH_ARG.has(flag)) continue
    let arg = t.slice(2)
    if (arg.trim() === '') {
      const next = tokens[++i]
      if (next === undefined) throw new Error(`${t} needs a value`)
      arg = next
    }
    arg = arg.trim()
    if (flag === 'o') {
      // -o Key=Value, -o Key Value (one word), -o "Key Value", or -o Key followed by the value as the next word.
      const m = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(arg)
      if (m) applySshOption(out, m[1] as string, m[2] as string)
      else if (/^[A-Za-z]+$/.test(arg)) {
        const value = tokens[++i]
        if (value === undefined) throw new Error(`-o ${arg} needs a value`)
        applySshOption(out, arg, value)
      } else throw new Error(`-o ${arg}: expected Key=Value`)
    } else if (flag === 'J') applySshOption(out, 'ProxyJump', arg)
    else if (flag === 'i') applySshOption(out, 'IdentityFile', arg)
    else if (flag === 'p') applySshOption(out, 'Port', arg)
    else if (flag === 'l') applySshOption(out, 'User', arg)
  }
  return out
}
