// Turn one inventory host into a HostSpec: merge vars with Ansible precedence, read virtfleet keys and their
// Ansible equivalents (the more specific definition wins; at the same level the virtfleet key wins), validate
// every value, and report a bad one with the host, the var and the place it was defined.

import { InputError } from '../core/errors.js'
import { parseDuration } from '../core/duration.js'
import { hostGroups, mergedHostVars, type Inventory, type MergedVar } from './model.js'
import { localUser, parseHostKeyChecking, parseSshArgs, type SshOptions } from './ssh-options.js'
import { type ExplicitConnectionFields, type HostKeyChecking, type HostSpec } from './types.js'
import { ACTIONS, type Action } from '../core/types.js'

export interface ResolveDefaults {
  /** Default SSH user (else the local user name). */
  user?: string
  /** Default SSH port (else 22). */
  port?: number
  /** Default libvirt URIs (else qemu:///system). */
  uris?: string[]
}

export const DEFAULT_URIS = ['qemu:///system']

/** virtfleet key → accepted Ansible aliases (first = preferred). */
const ALIASES = {
  address: ['address', 'ansible_host', 'ansible_ssh_host'],
  port: ['port', 'ansible_port', 'ansible_ssh_port'],
  user: ['user', 'ansible_user', 'ansible_ssh_user'],
  identity_file: ['identity_file', 'ansible_ssh_private_key_file', 'ansible_private_key_file'],
  uris: ['uris', 'libvirt_uris'],
  become: ['become', 'ansible_become'],
  become_user: ['become_user', 'ansible_become_user'],
  connect_timeout: ['connect_timeout', 'ansible_ssh_timeout'],
} as const

class HostVars {
  constructor(
    readonly host: string,
    readonly vars: Map<string, MergedVar>,
  ) {}

  /** The winning definition among aliases: highest merge rank, ties to the earlier alias. */
  pick(keys: readonly string[]): { key: string; v: MergedVar } | undefined {
    let best: { key: string; v: MergedVar } | undefined
    for (const key of keys) {
      const v = this.vars.get(key)
      if (v !== undefined && v.value !== null && (best === undefined || v.rank > best.v.rank)) best = { key, v }
    }
    return best
  }

  fail(key: string, v: MergedVar, expected: string): never {
    throw new InputError(`host ${this.host}: ${key}: expected ${expected}, got ${JSON.stringify(v.value)}`, v.origin)
  }
}

function str(h: HostVars, key: string, v: MergedVar): string {
  if (typeof v.value === 'string' && v.value.trim() !== '') return v.value.trim()
  if (typeof v.value === 'number') return String(v.value)
  return h.fail(key, v, 'a non-empty string')
}

function strList(h: HostVars, key: string, v: MergedVar, split: RegExp, allowEmpty = false): string[] {
  const items = typeof v.value === 'string' ? v.value.split(split) : Array.isArray(v.value) ? v.value : h.fail(key, v, 'a string or a list of strings')
  const out: string[] = []
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') h.fail(key, v, 'a string or a list of strings')
    const s = String(item).trim()
    if (s !== '') out.push(s)
  }
  if (out.length === 0 && !allowEmpty) h.fail(key, v, 'at least one value')
  return out
}

function int(h: HostVars, key: string, v: MergedVar, min: number, max: number, what: string): number {
  const n = typeof v.value === 'number' ? v.value : typeof v.value === 'string' && /^\s*\d+\s*$/.test(v.value) ? Number(v.value) : NaN
  if (!Number.isInteger(n) || n < min || n > max) h.fail(key, v, what)
  return n
}

function bool(h: HostVars, key: string, v: MergedVar): boolean {
  if (typeof v.value === 'boolean') return v.value
  if (v.value === 1 || v.value === 0) return v.value === 1
  if (typeof v.value === 'string') {
    const s = v.value.trim().toLowerCase()
    if (['yes', 'true', 'on', '1', 'y'].includes(s)) return true
    if (['no', 'false', 'off', '0', 'n'].includes(s)) return false
  }
  return h.fail(key, v, 'a boolean (true/false, yes/no)')
}

function duration(h: HostVars, key: string, v: MergedVar): number {
  if (typeof v.value !== 'string' && typeof v.value !== 'number') h.fail(key, v, 'seconds or a duration like 90s, 5m, 1h30m (at most 7d)')
  try {
    return parseDuration(v.value as string | number, key)
  } catch {
    return h.fail(key, v, 'seconds or a duration like 90s, 5m, 1h30m (at most 7d)')
  }
}

function action(h: HostVars, key: string, v: MergedVar, value: unknown): Action {
  const s = typeof value === 'string' ? value.trim() : value
  if (typeof s === 'string' && (ACTIONS as readonly string[]).includes(s)) return s as Action
  return h.fail(key, v, `one of ${ACTIONS.join(', ')}`)
}

const JUMP = /^(?:ssh:\/\/)?(?:[^@\s/]+@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:@/[\]]+)(?::\d{1,5})?$/

function jumpList(h: HostVars, key: string, v: MergedVar): string[] {
  const list = strList(h, key, v, /,/)
  if (list.length === 1 && list[0]?.toLowerCase() === 'none') return []
  for (const j of list) if (!JUMP.test(j)) h.fail(key, v, 'jump hosts as "[user@]host[:port]" (a list or comma-separated)')
  return list.map((j) => j.replace(/^ssh:\/\//, ''))
}

/** What ansible_ssh_common_args / ansible_ssh_extra_args set (kept under its old name for importers). */
export type SshArgs = SshOptions
export { parseSshArgs }

function hostKeyChecking(h: HostVars, key: string, v: MergedVar): HostKeyChecking {
  return parseHostKeyChecking(v.value) ?? h.fail(key, v, 'strict, accept-new or off')
}

/** Resolve one inventory host to a validated HostSpec. Throws InputError for an unknown host or a bad value. */
export function resolveHost(inv: Inventory, name: string, defaults: ResolveDefaults = {}): HostSpec {
  if (!inv.hosts.has(name)) throw new InputError(`unknown host "${name}"`)
  const merged = mergedHostVars(inv, name)
  const h: HostVars = new HostVars(name, merged)
  const explicit: ExplicitConnectionFields = {}

  const spec: HostSpec = {
    name,
    address: name,
    port: defaults.port ?? 22,
    user: defaults.user ?? localUser(),
    identityFiles: [],
    jump: [],
    uris: defaults.uris ?? [...DEFAULT_URIS],
    become: false,
    vars: Object.fromEntries([...merged].map(([k, v]) => [k, v.value])),
    groups: hostGroups(inv, name).map((g) => g.name),
    explicit,
  }

  // ssh args first: explicit virtfleet/Ansible keys below override what they say.
  for (const key of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const v = merged.get(key)
    if (!v || v.value === null) continue
    if (typeof v.value !== 'string') h.fail(key, v, 'a string of ssh options')
    let args: SshOptions
    try {
      args = parseSshArgs(v.value)
    } catch (err) {
      throw new InputError(`host ${name}: ${key}: ${(err as Error).message}`, v.origin)
    }
    if (args.jump) {
      spec.jump = args.jump
      explicit.jump = true
    }
    if (args.knownHostsFiles) spec.knownHostsFiles = args.knownHostsFiles
    if (args.hostKeyChecking) spec.hostKeyChecking = args.hostKeyChecking
    if (args.identityFiles) {
      spec.identityFiles = args.identityFiles
      explicit.identityFiles = true
    }
    if (args.port !== undefined) {
      spec.port = args.port
      explicit.port = true
    }
    if (args.user !== undefined) {
      spec.user = args.user
      explicit.user = true
    }
    if (args.connectTimeoutMs !== undefined) spec.connectTimeoutMs = args.connectTimeoutMs
    if (args.keepaliveIntervalMs !== undefined) spec.keepaliveIntervalMs = args.keepaliveIntervalMs
    if (args.keepaliveCountMax !== undefined) spec.keepaliveCountMax = args.keepaliveCountMax
  }

  let p = h.pick(ALIASES.address)
  if (p) {
    spec.address = str(h, p.key, p.v)
    explicit.address = true
  }
  p = h.pick(ALIASES.port)
  if (p) {
    spec.port = int(h, p.key, p.v, 1, 65535, 'a port number (1-65535)')
    explicit.port = true
  }
  p = h.pick(ALIASES.user)
  if (p) {
    spec.user = str(h, p.key, p.v)
    explicit.user = true
  }
  p = h.pick(ALIASES.identity_file)
  if (p) {
    spec.identityFiles = strList(h, p.key, p.v, /,/)
    explicit.identityFiles = true
  }
  p = h.pick(['jump'])
  if (p) {
    spec.jump = jumpList(h, p.key, p.v)
    explicit.jump = true
  }
  p = h.pick(ALIASES.connect_timeout)
  if (p) {
    spec.connectTimeoutMs = duration(h, p.key, p.v)
    if (spec.connectTimeoutMs === 0) h.fail(p.key, p.v, 'a connect timeout above 0')
  }
  p = h.pick(['known_hosts_files'])
  if (p) spec.knownHostsFiles = strList(h, p.key, p.v, /,/)
  p = h.pick(['host_key_checking'])
  if (p) spec.hostKeyChecking = hostKeyChecking(h, p.key, p.v)
  p = h.pick(ALIASES.uris)
  if (p) spec.uris = strList(h, p.key, p.v, /[\s,]+/)
  p = h.pick(ALIASES.become)
  if (p) spec.become = bool(h, p.key, p.v)
  p = h.pick(ALIASES.become_user)
  if (p) spec.becomeUser = str(h, p.key, p.v)
  p = h.pick(['parallel'])
  if (p) spec.parallel = int(h, p.key, p.v, 1, 1_000_000, 'an integer >= 1')
  p = h.pick(['timeout'])
  if (p) spec.timeoutMs = duration(h, p.key, p.v)
  p = h.pick(['host_timeout'])
  if (p) spec.hostTimeoutMs = duration(h, p.key, p.v)
  p = h.pick(['action'])
  if (p) spec.action = action(h, p.key, p.v, p.v.value)
  p = h.pick(['fallback'])
  if (p) {
    const v = p.v
    const key = p.key
    spec.fallback = strList(h, key, v, /,/, true).map((a) => action(h, key, v, a))
  }
  p = h.pick(['reboot_command'])
  if (p) spec.rebootCommand = str(h, p.key, p.v)
  p = h.pick(['state_dir'])
  if (p) spec.stateDir = str(h, p.key, p.v)
  return spec
}

/** Resolve several hosts, in the order given. */
export function resolveHosts(inv: Inventory, names: string[], defaults?: ResolveDefaults): HostSpec[] {
  return names.map((n) => resolveHost(inv, n, defaults))
}
