// The command-line flags every command shares, grouped by what they control, and their mapping to engine options.
// Pure: parsing a value either returns the option or throws a typed UsageError/InputError; nothing runs here.

import { Flags } from '@oclif/core'
import { UsageError } from '../core/errors.js'
import { parseDuration } from '../core/duration.js'
import { ACTIONS, type Action } from '../core/types.js'
import type { HostKeyChecking } from '../inventory/types.js'
import type { SSHConfig } from '../ssh/ssh-config.js'
import type { ConnectionOverrides } from './select-hosts.js'
import type { StartOptions, StopOptions } from '../engine/plan.js'
import type { RollingOptions } from '../engine/rolling.js'
import { PhaseBarrier } from '../engine/ordering.js'
import { parseSerial } from '../engine/batches.js'
import { parseReadyProbe } from '../libvirt/readiness.js'

/** Upper bounds that keep a typo (`--forks 99999999999999999999`) a usage error instead of a crash deep in p-map. */
export const MAX_FORKS = 10_000
export const MAX_PARALLEL = 1_000

const stateDirFlag = Flags.string({ summary: 'Where the local run journal lives (default $XDG_STATE_HOME/virtfleet).' })

/** Inventory and selection: every command that loads hosts. */
export const inventoryFlags = {
  inventory: Flags.string({
    char: 'i',
    multiple: true,
    multipleNonGreedy: true,
    summary: 'Inventory file or folder (repeatable; later wins). Default: $VIRTFLEET_INVENTORY, then ./inventory.',
  }),
  limit: Flags.string({ char: 'l', summary: 'Host pattern (Ansible syntax: all, g1:g2, g1:&g2, g1:!g2, web*, ~regex, g[0:2], @file).' }),
}

export const connectionFlags = {
  ...inventoryFlags,
  limit: Flags.string({
    char: 'l',
    summary: 'Host pattern (Ansible syntax: all, g1:g2, g1:&g2, g1:!g2, web*, ~regex, g[0:2], @file); @failed: the last failed hosts.',
  }),
  // Exact host names as data (used by `retry`): never parsed as a pattern, so a recorded name cannot widen a run.
  'only-host': Flags.string({ multiple: true, hidden: true, summary: 'Only this inventory host (exact name; repeatable).' }),
  forks: Flags.integer({ char: 'f', min: 1, max: MAX_FORKS, summary: 'Hosts handled at once.', default: 10 }),
  'host-key-checking': Flags.string({
    options: ['strict', 'accept-new', 'off'],
    summary: 'Like StrictHostKeyChecking: strict (default) refuses unknown or changed keys.',
  }),
  'known-hosts': Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    summary: 'known_hosts file(s) to check host keys against (default ~/.ssh/known_hosts).',
  }),
  'ssh-config': Flags.string({ summary: 'ssh_config file to honour (default ~/.ssh/config; $VIRTFLEET_SSH_CONFIG).' }),
  'connect-timeout': Flags.string({
    summary: 'SSH connect timeout, all attempts of one host together (seconds or 10s, 1m; default 10s, or the inventory/ssh_config value).',
  }),
  keepalive: Flags.string({
    summary:
      'SSH keepalive INTERVAL[,COUNT]: a host that sends nothing (no output, no answer) while COUNT+1 keepalives go INTERVAL apart is lost (0 disables; default 2s,3, or the inventory/ssh_config ServerAlive values).',
  }),
  json: Flags.boolean({ summary: 'Print a JSON report on stdout (no live output).' }),
  output: Flags.string({
    options: ['auto', 'tree', 'plain'],
    default: 'auto',
    summary: 'Live output: the listr2 tree on a terminal, plain timestamped lines in CI or pipes.',
  }),
  'state-dir': stateDirFlag,
}

/** For commands that only read the journal (runs, resume, retry). */
export const journalFlags = { 'state-dir': Flags.string({ summary: 'Journal location (default $XDG_STATE_HOME/virtfleet).' }) }

/** For commands that replay a recorded run (resume, retry): given, they replace the recorded output choice. */
export const replayOutputFlags = {
  json: Flags.boolean({ summary: "Print a JSON report on stdout (instead of the recorded run's output)." }),
  output: Flags.string({ options: ['auto', 'tree', 'plain'], summary: "Live output (instead of the recorded run's)." }),
}

export const changeFlags = {
  check: Flags.boolean({ char: 'C', summary: 'Connect and list, print exactly what would be done to which guest, change nothing.' }),
  guests: Flags.string({
    char: 'g',
    multiple: true,
    multipleNonGreedy: true,
    summary: 'Only these guests (names, globs or UUIDs; repeatable or comma-separated).',
  }),
  parallel: Flags.integer({ char: 'p', min: 1, max: MAX_PARALLEL, summary: "Guests handled at once per host (default 4, or the host's `parallel` var)." }),
  'bypass-cache': Flags.boolean({ summary: 'Pass --bypass-cache to virsh (managedsave / start): avoid filling the host page cache.' }),
  'libvirt-guests-list': Flags.boolean({ summary: "Also keep libvirt-guests' own list file (/var/lib/libvirt/libvirt-guests) in step." }),
}

export const stopFlags = {
  action: Flags.string({
    char: 'a',
    options: ['shutdown', 'suspend', 'destroy'],
    summary: "First action per guest (suspend = managedsave). Default shutdown, or the host's `action` var.",
  }),
  fallback: Flags.string({ summary: 'Escalation chain tried in order when the previous action fails or times out, e.g. shutdown,destroy.' }),
  timeout: Flags.string({
    char: 't',
    summary: 'Per-guest time for each action (seconds, or 90s, 5m). Default 5m; destroy, the last resort, always gets at least 30s.',
  }),
  'host-timeout': Flags.string({ summary: 'Per-host budget; when it runs out, every guest not yet off escalates to its next fallback.' }),
  'persistent-only': Flags.boolean({ summary: 'Leave transient guests alone (they cannot be restored by start anyway).' }),
  tiers: Flags.string({ summary: 'Fleet-wide phases by guest tier, in stop order (e.g. app,db: app everywhere before db). Start runs them in reverse.' }),
  mode: Flags.string({ options: ['acpi', 'agent'], summary: 'How shutdown asks the guest (virsh shutdown --mode). Default acpi.' }),
}

export const startFlags = {
  'start-timeout': Flags.string({ summary: 'Per-guest time to be running after start (default 2m).' }),
  'start-delay': Flags.string({ summary: "Minimum time between two starts on a host (libvirt-guests' START_DELAY)." }),
  'sync-time': Flags.boolean({ summary: 'After resuming a suspended guest, sync its clock (virsh domtime --sync; needs the guest agent).' }),
  'group-delay': Flags.string({ summary: 'Pause between two guest order groups on a host (guest_order var / virtfleet:order= tag).' }),
  'wait-agent': Flags.string({
    summary: 'Alias of --ready agent --ready-timeout D: wait up to D for each guest agent to answer.',
  }),
  ready: Flags.string({
    summary:
      'When a started guest counts as up: none, agent (guest-ping), tcp:PORT[@agent|lease|arp], console:TEXT or command:CMD (on the host). ' +
      "A guest's virtfleet:ready= tag and its host's `ready` var take precedence. The next order group / tier starts once the previous is ready.",
  }),
  'ready-timeout': Flags.string({ summary: "How long each guest may take to be ready after it runs (default 2m, or the host's ready_timeout var)." }),
}

export const rollingFlags = {
  serial: Flags.string({ summary: "Hosts per batch, as Ansible's serial: 1, 25%, or 1,5,20% (the last value repeats). Default: all at once." }),
  'max-fail-percentage': Flags.integer({
    min: 0,
    max: 100,
    default: 0,
    summary: 'Stop the roll when more than this percentage of a batch fails (0: any failure).',
  }),
  pause: Flags.string({ summary: 'Wait between batches (e.g. 30s).' }),
  confirm: Flags.boolean({ summary: 'Ask before each batch after the first (needs a terminal).' }),
  'break-lock': Flags.boolean({ summary: 'Take over a host lock held by another run (after checking that run is dead).' }),
  yes: Flags.boolean({ char: 'y', summary: 'Answer yes to confirmations (non-interactive runs).' }),
  'resume-run': Flags.string({ hidden: true, summary: 'Continue this journaled run (used by `virtfleet resume`).' }),
}

/** What the connection flags parse to (oclif's inferred type, spelled out so modules below commands can take it). */
export interface ConnectionFlagValues {
  inventory?: string[]
  limit?: string
  'only-host'?: string[]
  forks: number
  'host-key-checking'?: string
  'known-hosts'?: string[]
  'ssh-config'?: string
  'connect-timeout'?: string
  keepalive?: string
  json: boolean
  output: string
  'state-dir'?: string
}

export interface RollingFlagValues {
  check?: boolean
  'resume-run'?: string
  yes?: boolean
  confirm?: boolean
  serial?: string
  'max-fail-percentage'?: number
  pause?: string
}

export function stopOptionsFromFlags(flags: {
  action?: string
  fallback?: string
  timeout?: string
  'host-timeout'?: string
  'persistent-only'?: boolean
  mode?: string
  parallel?: number
  'bypass-cache'?: boolean
  guests?: string[]
  'libvirt-guests-list'?: boolean
  tiers?: string
}): StopOptions {
  const fallback = parseActions(flags.fallback, '--fallback')
  if (flags.fallback !== undefined && !fallback) throw new UsageError('--fallback: give at least one action')
  return {
    action: flags.action as Action | undefined,
    fallback,
    parallel: flags.parallel,
    timeoutMs: optionalDuration(flags.timeout, '--timeout'),
    hostTimeoutMs: optionalDuration(flags['host-timeout'], '--host-timeout'),
    persistentOnly: flags['persistent-only'],
    bypassCache: flags['bypass-cache'],
    mode: flags.mode as 'acpi' | 'agent' | undefined,
    guests: splitList(flags.guests),
    libvirtGuestsList: flags['libvirt-guests-list'],
    ...tierOptions(flags.tiers),
  }
}

function tierOptions(tiers: string | undefined): { tiers?: string[]; barrier?: PhaseBarrier } {
  const list = splitList(tiers === undefined ? undefined : [tiers])
  return list ? { tiers: list, barrier: new PhaseBarrier() } : {}
}

export function startOptionsFromFlags(
  flags: {
    'start-timeout'?: string
    timeout?: string
    'start-delay'?: string
    'sync-time'?: boolean
    parallel?: number
    'bypass-cache'?: boolean
    guests?: string[]
    'libvirt-guests-list'?: boolean
    tiers?: string
    'group-delay'?: string
    'wait-agent'?: string
    ready?: string
    'ready-timeout'?: string
  },
  timeoutFlag: 'timeout' | 'start-timeout',
): StartOptions {
  if (flags['wait-agent'] !== undefined && (flags.ready !== undefined || flags['ready-timeout'] !== undefined))
    throw new UsageError('--wait-agent D is --ready agent --ready-timeout D: give one or the other')
  return {
    parallel: flags.parallel,
    timeoutMs: optionalDuration(flags[timeoutFlag], `--${timeoutFlag}`),
    startDelayMs: optionalDuration(flags['start-delay'], '--start-delay'),
    syncTime: flags['sync-time'],
    bypassCache: flags['bypass-cache'],
    guests: splitList(flags.guests),
    libvirtGuestsList: flags['libvirt-guests-list'],
    groupDelayMs: optionalDuration(flags['group-delay'], '--group-delay'),
    waitAgentMs: optionalDuration(flags['wait-agent'], '--wait-agent'),
    ...(flags.ready !== undefined ? { ready: parseReadyProbe(flags.ready, '--ready') } : {}),
    ...(flags['ready-timeout'] !== undefined ? { readyTimeoutMs: parseDuration(flags['ready-timeout'], '--ready-timeout') } : {}),
    ...tierOptions(flags.tiers),
  }
}

/** The batch settings of a rolling run (`--serial`, `--max-fail-percentage`, `--pause`). */
export function rollingOptionsFromFlags(flags: RollingFlagValues): Pick<RollingOptions, 'serial' | 'maxFailPercentage' | 'pauseMs'> {
  return {
    ...(flags.serial ? { serial: parseSerial(flags.serial) } : {}),
    maxFailPercentage: flags['max-fail-percentage'] ?? 0,
    ...(flags.pause ? { pauseMs: parseDuration(flags.pause, '--pause') } : {}),
  }
}

export function hostKeyCheckingFlag(value: string | undefined): HostKeyChecking | undefined {
  if (value === undefined) return undefined
  if (value === 'strict' || value === 'accept-new' || value === 'off') return value
  throw new UsageError(`--host-key-checking: expected strict, accept-new or off; got "${value}"`)
}

/**
 * The command line's connection overrides. --connect-timeout and --keepalive, when given, beat the inventory's and
 * ssh_config's values (ConnectTimeout, ansible_ssh_timeout, ServerAliveInterval/CountMax), as ssh's -o beats its config.
 */
export function connectionOverrides(flags: ConnectionFlagValues, sshConfig: SSHConfig | undefined): ConnectionOverrides {
  return {
    ...(sshConfig ? { sshConfig } : {}),
    ...(flags['known-hosts'] ? { knownHosts: flags['known-hosts'] } : {}),
    ...(flags['host-key-checking'] !== undefined ? { hostKeyChecking: hostKeyCheckingFlag(flags['host-key-checking']) } : {}),
    ...timingFlags(flags),
  }
}

/** --connect-timeout and --keepalive as given, checked; a flag left out sets nothing. */
export function timingFlags(flags: Pick<ConnectionFlagValues, 'connect-timeout' | 'keepalive'>): {
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
} {
  return {
    ...(flags['connect-timeout'] !== undefined ? { connectTimeoutMs: connectTimeoutFlag(flags['connect-timeout']) } : {}),
    ...keepaliveFlag(flags.keepalive),
  }
}

/** `--connect-timeout D`: a duration above 0. */
function connectTimeoutFlag(value: string): number {
  const ms = parseDuration(value, '--connect-timeout')
  if (ms === 0) throw new UsageError('--connect-timeout: expected a duration above 0; got "0"')
  return ms
}

/**
 * `--keepalive INTERVAL[,COUNT]` (like ssh's ServerAliveInterval / ServerAliveCountMax): a frozen host is declared
 * lost after about INTERVAL × (COUNT + 1). `0` turns keepalives off (a frozen host then waits for the step timeouts).
 */
export function keepaliveFlag(value: string | undefined): { keepaliveIntervalMs: number; keepaliveCountMax: number } | undefined {
  if (value === undefined) return undefined
  const m = /^([^,]+)(?:,(\d+))?$/.exec(value.trim())
  if (!m) throw new UsageError(`--keepalive: expected INTERVAL[,COUNT] (for example 2s,3 or 10s or 0); got "${value}"`)
  const intervalMs = parseDuration(m[1] as string, '--keepalive interval')
  const count = m[2] === undefined ? 3 : Number(m[2])
  if (intervalMs > 0 && intervalMs < 100) throw new UsageError(`--keepalive: an interval under 100 ms would declare a busy host lost; got "${m[1]}"`)
  if (!Number.isSafeInteger(count) || count > 1000) throw new UsageError(`--keepalive: COUNT must be a whole number up to 1000; got "${m[2]}"`)
  return { keepaliveIntervalMs: intervalMs, keepaliveCountMax: count }
}

export function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined
  const out = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
  return out.length > 0 ? out : undefined
}

export function parseActions(text: string | undefined, what: string): Action[] | undefined {
  const list = splitList(text === undefined ? undefined : [text])
  if (!list) return undefined
  for (const a of list) if (!(ACTIONS as readonly string[]).includes(a)) throw new UsageError(`${what}: unknown action "${a}" (expected ${ACTIONS.join(', ')})`)
  return list as Action[]
}

export function optionalDuration(text: string | undefined, what: string): number | undefined {
  return text === undefined ? undefined : parseDuration(text, what)
}
