// virsh command builders (argv arrays; quoting happens once in the transport) and parsers for virsh 9.x output.
// Guests are always addressed by UUID: names may contain anything, UUIDs cannot be confused.

import type { Guest } from './types.js'
import type { GuestState } from '../core/types.js'

export interface VirshOptions {
  bypassCache?: boolean
  /** shutdown mode: 'acpi' (default) or 'agent' (guest agent). */
  mode?: 'acpi' | 'agent'
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(s: string): boolean {
  return UUID_RE.test(s)
}

function requireUuid(uuid: string): string {
  if (!isUuid(uuid)) throw new Error(`not a UUID: ${JSON.stringify(uuid)}`)
  return uuid
}

export function virsh(uri: string, ...args: string[]): string[] {
  return ['virsh', '-c', uri, ...args]
}

/** One virsh process lists every guest with UUID, name and the facts we need, in marked sections. */
export const LIST_SECTIONS = ['all', 'running', 'paused', 'shutoff', 'transient', 'managed-save', 'autostart'] as const
const SECTION_COMMANDS: Record<(typeof LIST_SECTIONS)[number], string> = {
  all: 'list --all --uuid --name',
  running: 'list --uuid --state-running',
  paused: 'list --uuid --state-paused',
  shutoff: 'list --uuid --state-shutoff',
  transient: 'list --uuid --transient',
  'managed-save': 'list --all --uuid --with-managed-save',
  autostart: 'list --all --uuid --autostart',
}
export const LIST_SCRIPT = [...LIST_SECTIONS.map((s) => `echo @@${s}; ${SECTION_COMMANDS[s]}`), 'echo @@end'].join('; ')

export const listArgv = (uri: string): string[] => virsh(uri, LIST_SCRIPT)
export const domstateArgv = (uri: string, uuid: string): string[] => virsh(uri, 'domstate', requireUuid(uuid))
/**
 * Several guests' states in one virsh process: a script of `domstate` commands between `@@UUID` markers, ended by
 * `@@end` (virsh runs every command of a script even after one fails, and prints a failure on stderr only).
 */
export const domstatesArgv = (uri: string, uuids: readonly string[]): string[] =>
  virsh(uri, [...uuids.map((u) => `echo @@${requireUuid(u)}; domstate ${u}`), 'echo @@end'].join('; '))

/**
 * The states printed by a domstatesArgv script, by UUID; 'failed' for a guest whose domstate printed nothing (it
 * failed: missing guest or another error, which only a domstate of its own tells apart). Throws on cut output.
 */
export function parseDomstates(stdout: string, uuids: readonly string[]): Map<string, GuestState | 'failed'> {
  const sections = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of stdout.split('\n')) {
    const marker = /^@@(\S+)\s*$/.exec(line)
    if (marker) sections.set(marker[1] as string, (current = []))
    else if (line.trim() !== '') current?.push(line)
  }
  if (!sections.has('end')) throw new Error('domstate output ended early (no end marker)')
  const states = new Map<string, GuestState | 'failed'>()
  for (const u of uuids) {
    const first = sections.get(u)?.[0]
    states.set(u, first === undefined ? 'failed' : parseDomstate(first))
  }
  return states
}

// An explicit mode is passed on: without `--mode`, libvirt asks a connected guest agent first, so `--mode acpi`
// would silently become an agent shutdown on a guest that runs one.
export const shutdownArgv = (uri: string, uuid: string, o: VirshOptions = {}): string[] =>
  virsh(uri, 'shutdown', requireUuid(uuid), ...(o.mode ? ['--mode', o.mode] : []))
/**
 * Several guests' shutdown requests in one virsh process, between `@@UUID` markers and ended by `@@end`, the way
 * domstatesArgv reads states: virsh runs every command of a script even after one fails (exit status: the last
 * command's), so each guest's result is read from its own section.
 */
export const shutdownsArgv = (uri: string, uuids: readonly string[], o: VirshOptions = {}): string[] =>
  virsh(uri, [...uuids.map((u) => `echo @@${requireUuid(u)}; shutdown ${u}${o.mode ? ` --mode ${o.mode}` : ''}`), 'echo @@end'].join('; '))

/**
 * Which requests of a shutdownsArgv script virsh confirmed ("Domain '…' is being shutdown" in the guest's section);
 * 'failed' for the others, whose error went to stderr with nothing to tell them apart. Throws on cut output.
 */
export function parseShutdowns(stdout: string, uuids: readonly string[]): Map<string, 'ok' | 'failed'> {
  const ok = new Set<string>()
  let current: string | undefined
  let ended = false
  for (const line of stdout.split('\n')) {
    const marker = /^@@(\S+)\s*$/.exec(line)
    if (marker) {
      current = marker[1]
      ended ||= current === 'end'
    } else if (current !== undefined && /^Domain '.*' is being shutdown\s*$/.test(line)) ok.add(current)
  }
  if (!ended) throw new Error('shutdown output ended early (no end marker)')
  return new Map(uuids.map((u) => [u, ok.has(u) ? 'ok' : 'failed']))
}
export const managedsaveArgv = (uri: string, uuid: string, o: VirshOptions = {}): string[] =>
  virsh(uri, 'managedsave', requireUuid(uuid), ...(o.bypassCache ? ['--bypass-cache'] : []))
export const destroyArgv = (uri: string, uuid: string): string[] => virsh(uri, 'destroy', requireUuid(uuid))
export const startArgv = (uri: string, uuid: string, o: VirshOptions = {}): string[] =>
  virsh(uri, 'start', requireUuid(uuid), ...(o.bypassCache ? ['--bypass-cache'] : []))
/**
 * Several guests' starts from one shell, all at once: virsh runs a script's commands one after another, and a start
 * (a restore from a managed save above all) takes seconds, so each `virsh start` is a background job of its own.
 * Each job prints its output (stdout and stderr) and then the trailer `@@UUID EXIT`, with one printf as it ends: one
 * write, which a pipe keeps whole up to 4 KiB (PIPE_BUF; a start prints a line or two), so a guest's result arrives
 * whole as soon as it is known. `@@end` follows once every job has ended. Every value is an argument, never code.
 * Arguments: the URI, `--bypass-cache` or an empty word, then the UUIDs.
 */
export const STARTS_SCRIPT =
  'u=$1; b=$2; shift 2; for g; do ( o=$(virsh -c "$u" start "$g" ${b:+"$b"} 2>&1); r=$?; printf \'%s\\n@@%s %s\\n\' "$o" "$g" "$r" ) & done; wait; echo @@end'
export const startsArgv = (uri: string, uuids: readonly string[], o: VirshOptions = {}): string[] => [
  'sh',
  '-c',
  STARTS_SCRIPT,
  'sh',
  uri,
  o.bypassCache ? '--bypass-cache' : '',
  ...uuids.map(requireUuid),
]

/** One guest's result in a startsArgv script's output. */
export interface StartResult {
  uuid: string
  code: number
  /** What its virsh printed, blank lines left out. */
  output: string
}

/**
 * Reads a startsArgv script's output line by line: the lines before a guest's trailer are its output (each job's
 * section is one write, so sections do not mix; a section over 4 KiB could, and would then only lend its tail to the
 * next guest's error text: the exit codes are in the trailers). `push` returns a guest's result at its trailer, 'end' at the end.
 */
export class StartsOutput {
  private lines: string[] = []
  constructor(private readonly uuids: ReadonlySet<string>) {}

  push(line: string): StartResult | 'end' | undefined {
    if (line === '@@end') return 'end'
    const trailer = /^@@(\S+) (\d+)$/.exec(line)
    if (trailer && this.uuids.has(trailer[1] as string)) {
      const output = this.lines.join('\n')
      this.lines = []
      return { uuid: trailer[1] as string, code: Number(trailer[2]), output }
    }
    if (line.trim() !== '') this.lines.push(line)
    return undefined
  }
}
export const domjobabortArgv = (uri: string, uuid: string): string[] => virsh(uri, 'domjobabort', requireUuid(uuid))
export const domtimeSyncArgv = (uri: string, uuid: string): string[] => virsh(uri, 'domtime', requireUuid(uuid), '--sync')
export const agentPingArgv = (uri: string, uuid: string): string[] => virsh(uri, 'qemu-agent-command', requireUuid(uuid), '{"execute":"guest-ping"}')
export const eventLoopArgv = (uri: string): string[] => virsh(uri, 'event', '--all', '--loop', '--timestamp')

export class ParseError extends Error {}

/**
 * Parse LIST_SCRIPT output. Guests neither running, paused nor shut off (in shutdown, crashed, pmsuspended) come back
 * with state 'unknown' and are listed in `needState` so the caller asks `domstate` for them.
 */
export function parseGuestList(uri: string, stdout: string): { guests: Guest[]; needState: string[] } {
  const sections = new Map<string, string[]>()
  let current: string[] | undefined
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '')
    const marker = /^@@([a-z-]+)$/.exec(line)
    if (marker) {
      current = []
      sections.set(marker[1] as string, current)
      continue
    }
    if (line.trim() === '') continue
    if (!current) throw new ParseError(`unexpected virsh output before first section: ${JSON.stringify(line)}`)
    current.push(line)
  }
  if (!sections.has('end')) throw new ParseError('virsh list output is truncated (no end marker)')
  for (const s of LIST_SECTIONS) if (!sections.has(s)) throw new ParseError(`virsh list output lacks section ${s}`)
  const set = (s: string) => new Set((sections.get(s) ?? []).map((l) => l.trim()))
  const running = set('running')
  const paused = set('paused')
  const shutoff = set('shutoff')
  const transient = set('transient')
  const managed = set('managed-save')
  const autostart = set('autostart')
  const guests: Guest[] = []
  const needState: string[] = []
  for (const line of sections.get('all') ?? []) {
    const m = /^\s*([0-9a-fA-F-]{36})\s(.*)$/.exec(line)
    if (!m || !isUuid(m[1] as string)) throw new ParseError(`cannot parse guest line ${JSON.stringify(line)}`)
    const uuid = (m[1] as string).toLowerCase()
    const name = m[2] as string
    let state: GuestState = 'unknown'
    if (running.has(uuid)) state = 'running'
    else if (paused.has(uuid)) state = 'paused'
    else if (shutoff.has(uuid)) state = 'shut off'
    else needState.push(uuid)
    guests.push({ uri, uuid, name, state, persistent: !transient.has(uuid), managedSave: managed.has(uuid), autostart: autostart.has(uuid) })
  }
  return { guests, needState }
}

const STATES: GuestState[] = ['running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended']

/** Parse `virsh domstate` output ("running", "shut off", "running (booted)" with --reason). */
export function parseDomstate(stdout: string): GuestState {
  const text = stdout.trim().replace(/\s*\(.*\)$/, '')
  return (STATES as string[]).includes(text) ? (text as GuestState) : 'unknown'
}

/** virsh reports a missing guest this way; for a transient guest after it stopped, that means "off". */
export function isNoDomainError(stderr: string): boolean {
  return /failed to get domain|Domain not found|no domain with matching/i.test(stderr)
}

export interface LifecycleEvent {
  name: string
  event: string
  detail: string
}

/**
 * Parse a `virsh event --all --loop --timestamp` line, e.g.
 * `2026-11-23 23:18:35.690+0000: event 'lifecycle' for domain 'h1-g1': Stopped Shutdown`.
 * Names may contain quotes, so the name is everything between "domain '" and the last "': ".
 */
export function parseEventLine(line: string): LifecycleEvent | null {
  const m = /event 'lifecycle' for domain '(.*)': (\S+)(?: (.*))?$/.exec(line.replace(/\r$/, ''))
  if (!m) return null
  return { name: m[1] as string, event: m[2] as string, detail: (m[3] ?? '').trim() }
}
