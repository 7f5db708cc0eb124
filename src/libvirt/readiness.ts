// Readiness probes: when does a started guest count as up? The probe spec (from `--ready`, the `ready` inventory
// var or a `virtfleet:ready=` description tag), and the one remote command per probe that exits 0 when the guest
// is ready. Commands are argv arrays (quoted once by the transport); values from users only ever travel as data.

import { InputError } from '../core/errors.js'
import { quoteCommand } from '../ssh/quote.js'
import { isUuid, virsh } from './virsh.js'

export type ReadyProbe =
  | { kind: 'none' }
  /** The QEMU guest agent answers guest-ping. */
  | { kind: 'agent' }
  /** A TCP port on the guest's address (from `virsh domifaddr`) accepts a connection, checked from the host. */
  | { kind: 'tcp'; port: number; source?: AddressSource }
  /** The guest's serial console log (its file, from the domain XML) contains this text. */
  | { kind: 'console'; text: string }
  /** A command run on the host, with the guest in $VIRTFLEET_GUEST / $VIRTFLEET_GUEST_UUID, exits 0. */
  | { kind: 'command'; command: string }

export type AddressSource = 'agent' | 'lease' | 'arp'
const SOURCES: readonly AddressSource[] = ['lease', 'agent', 'arp']

/**
 * `none`, `agent`, `tcp:22`, `tcp:22@lease`, `console:login:`, `command:test -e /run/ok`.
 * `what` names the value's origin in the error (a flag, an inventory var, a guest tag).
 */
export function parseReadyProbe(text: string, what: string): ReadyProbe {
  const t = text.trim()
  if (t === 'none' || t === '') return { kind: 'none' }
  if (t === 'agent') return { kind: 'agent' }
  const colon = t.indexOf(':')
  const kind = colon < 0 ? t : t.slice(0, colon)
  const rest = colon < 0 ? '' : t.slice(colon + 1)
  if (kind === 'tcp') {
    const m = /^(\d{1,5})(?:@(agent|lease|arp))?$/.exec(rest)
    const port = m ? Number(m[1]) : NaN
    if (!m || port < 1 || port > 65535)
      throw new InputError(`${what}: "tcp:" takes a port 1-65535, optionally @agent|@lease|@arp (got ${JSON.stringify(text)})`)
    return m[2] ? { kind: 'tcp', port, source: m[2] as AddressSource } : { kind: 'tcp', port }
  }
  if (kind === 'console') {
    if (rest === '') throw new InputError(`${what}: "console:" needs the text to wait for, e.g. console:login:`)
    return { kind: 'console', text: rest }
  }
  if (kind === 'command') {
    if (rest.trim() === '') throw new InputError(`${what}: "command:" needs a command to run on the host`)
    return { kind: 'command', command: rest }
  }
  throw new InputError(`${what}: unknown readiness probe ${JSON.stringify(text)} (expected none, agent, tcp:PORT, console:TEXT or command:CMD)`)
}

export function describeProbe(p: ReadyProbe): string {
  switch (p.kind) {
    case 'none':
      return 'none'
    case 'agent':
      return 'guest agent answers'
    case 'tcp':
      return `tcp port ${p.port} accepts`
    case 'console':
      return `console shows ${JSON.stringify(p.text)}`
    case 'command':
      return `host command exits 0`
  }
}

/**
 * Remote script for the tcp probe: $1 = URI, $2 = UUID, $3 = port, $4.. = address sources to try in order.
 * Prints nothing; exits 0 when one IPv4 address of the guest accepts a TCP connection within 2 s.
 */
const TCP_SCRIPT = [
  'u=$1; d=$2; p=$3; shift 3',
  'for s in "$@"; do',
  '  for a in $(virsh -c "$u" domifaddr "$d" --source "$s" 2>/dev/null | awk \'$3 == "ipv4" { sub(/\\/.*/, "", $4); print $4 }\'); do',
  '    if command -v nc >/dev/null 2>&1; then nc -z -w 2 "$a" "$p" 2>/dev/null && exit 0',
  '    else timeout 2 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$a" "$p" 2>/dev/null && exit 0; fi',
  '  done',
  'done',
  'exit 1',
].join('\n')

/** Remote script for the console probe: $1 = URI, $2 = UUID, $3 = text. The log file comes from the domain XML. */
const CONSOLE_SCRIPT = [
  'u=$1; d=$2; t=$3',
  'f=$(virsh -c "$u" dumpxml "$d" 2>/dev/null | awk -F"\'" \'/<serial type=.file./ { s = 1 } s && /<source path=/ { print $2; exit }\')',
  '[ -n "$f" ] || f=$(virsh -c "$u" dumpxml "$d" 2>/dev/null | sed -n "s/.*<log file=[\'\\"]\\([^\'\\"]*\\)[\'\\"].*/\\1/p" | head -n 1)',
  '[ -n "$f" ] && [ -r "$f" ] && grep -qF -- "$t" "$f"',
].join('\n')

/** The argv that exits 0 when `uuid` is ready by probe `p` (undefined for `none`). */
export function readyProbeArgv(p: ReadyProbe, uri: string, uuid: string, name: string): string[] | undefined {
  if (!isUuid(uuid)) throw new Error(`not a UUID: ${JSON.stringify(uuid)}`)
  switch (p.kind) {
    case 'none':
      return undefined
    case 'agent':
      return virsh(uri, 'qemu-agent-command', uuid, '--timeout', '2', '{"execute":"guest-ping"}')
    case 'tcp':
      return ['sh', '-c', TCP_SCRIPT, 'virtfleet-ready', uri, uuid, String(p.port), ...(p.source ? [p.source] : SOURCES)]
    case 'console':
      return ['sh', '-c', CONSOLE_SCRIPT, 'virtfleet-ready', uri, uuid, p.text]
    case 'command':
      return ['env', `VIRTFLEET_GUEST=${name}`, `VIRTFLEET_GUEST_UUID=${uuid}`, `VIRTFLEET_URI=${uri}`, 'sh', '-c', p.command]
  }
}

/**
 * Remote script that polls several guests' probes on the host itself, so a probe's period is not an SSH round trip:
 * $1 = passes at most, $2 = seconds between passes, then pairs of (id, probe command line). Each pass runs every
 * probe not yet ready at once; after the first pass where any succeeds it prints `ready ID` for each and exits 0.
 * It prints `pass K` after each pass (so it dies of SIGPIPE soon after the control machine closes the channel), then
 * `ready ID` per ready probe (exit 0), or `error ID LAST-STDERR-LINE` per probe when none got ready (exit 1).
 */
export const READY_POLL_SCRIPT = [
  'n=$1; iv=$2; shift 2',
  't=$(mktemp -d) || exit 70',
  'trap \'rm -rf "$t"\' EXIT',
  'while [ $# -ge 2 ]; do printf %s "$2" >"$t/$1.cmd"; shift 2; done',
  'k=0',
  'while :; do',
  '  k=$((k + 1))',
  '  for f in "$t"/*.cmd; do',
  '    i=${f##*/}; i=${i%.cmd}',
  '    [ -e "$t/$i.ok" ] || { (c=$(cat "$f"); eval "$c") </dev/null >/dev/null 2>"$t/$i.err" && : >"$t/$i.ok"; } &',
  '  done',
  '  wait',
  '  echo "pass $k"',
  '  set -- "$t"/*.ok',
  '  if [ -e "$1" ] || [ "$k" -ge "$n" ]; then break; fi',
  '  sleep "$iv"',
  'done',
  'r=1',
  'for f in "$t"/*.cmd; do',
  '  i=${f##*/}; i=${i%.cmd}',
  '  if [ -e "$t/$i.ok" ]; then echo "ready $i"; r=0',
  '  else printf \'error %s %s\\n\' "$i" "$(tail -n 1 "$t/$i.err" 2>/dev/null | tr -d \'\\r\' | cut -c 1-200)"; fi',
  'done',
  'exit $r',
].join('\n')

/** One round of polling: probes keyed by id (digits only), at most `passes` passes `intervalMs` apart. */
export function readyPollArgv(passes: number, intervalMs: number, probes: ReadonlyArray<{ id: number; argv: readonly string[] }>): string[] {
  const pairs = probes.flatMap((p) => [String(p.id), quoteCommand(p.argv)])
  return ['sh', '-c', READY_POLL_SCRIPT, 'virtfleet-ready-poll', String(Math.max(1, Math.floor(passes))), (intervalMs / 1000).toFixed(3), ...pairs]
}

/** The poll's answer: which ids got ready, how many passes ran, and the last error line of each one that did not. */
export function parseReadyPoll(stdout: string): { ready: Set<number>; passes: number; errors: Map<number, string> } {
  const ready = new Set<number>()
  const errors = new Map<number, string>()
  let passes = 0
  for (const line of stdout.split('\n')) {
    const m = /^(ready|error|pass) (\d+)(?: (.*))?$/.exec(line)
    if (!m) continue
    const n = Number(m[2])
    if (m[1] === 'pass') passes = Math.max(passes, n)
    else if (m[1] === 'ready') ready.add(n)
    else errors.set(n, (m[3] ?? '').trim())
  }
  return { ready, passes, errors }
}
