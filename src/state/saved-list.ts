// The saved-guest list lives on each host (default /var/lib/virtfleet/saved-guests.json): the guests a stop found
// running, so a later start brings back exactly those. It is written atomically (temp file + fsync + rename) before
// any guest is touched, merged (never shrunk) by a second stop, and shrinks only for guests confirmed running again.
// Every update is atomic against other runs on the same host (flock on the list's directory, digest check).
// Optionally mirrored to libvirt-guests' own list file (`URI UUID UUID ...` per line) for hosts booting with ON_BOOT=start.

import { createHash } from 'node:crypto'
import { InputError, RemoteError } from '../core/errors.js'
import { ACTIONS, type Action } from '../core/types.js'
import type { ExecResult, HostSession } from '../ssh/transport.js'

export const DEFAULT_STATE_DIR = '/var/lib/virtfleet'
export const LIBVIRT_GUESTS_FILE = '/var/lib/libvirt/libvirt-guests'
const FILE_NAME = 'saved-guests.json'

export interface SavedEntry {
  uri: string
  uuid: string
  name: string
  /** What the stop did (or tried first): suspend means the next start resumes a managed-save image. */
  action: Action
  savedAt: string
  runId: string
  /** Moved away by live migration to this inventory host (not stopped): it comes home by migration too. */
  migratedTo?: string
}

export interface SavedList {
  version: 1
  entries: SavedEntry[]
}

export const emptyList = (): SavedList => ({ version: 1, entries: [] })

export function savedListPath(stateDir = DEFAULT_STATE_DIR): string {
  return `${stateDir.replace(/\/+$/, '')}/${FILE_NAME}`
}

const key = (e: { uri: string; uuid: string }) => `${e.uri} ${e.uuid}`

/** Union by (uri, uuid); an existing entry keeps its first savedAt/action: a second stop never loses the first one's facts. */
export function mergeEntries(list: SavedList, added: SavedEntry[]): SavedList {
  const seen = new Set(list.entries.map(key))
  const entries = [...list.entries]
  for (const e of added) {
    if (!seen.has(key(e))) {
      seen.add(key(e))
      entries.push(e)
    }
  }
  return { version: 1, entries }
}

export function removeEntries(list: SavedList, gone: Array<{ uri: string; uuid: string }>): SavedList {
  const drop = new Set(gone.map(key))
  return { version: 1, entries: list.entries.filter((e) => !drop.has(key(e))) }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

/**
 * Parse and check a saved list read from `where` (`host:path`). Anything but a well-formed list is refused with an
 * InputError naming that file: a list we cannot understand is never used, emptied or overwritten.
 */
export function parseSavedList(text: string, where: string): SavedList {
  if (text.trim() === '') return emptyList()
  const refuse = (why: string) => new InputError(`saved-guest list ${why}; refusing to overwrite or use it (fix or remove the file)`, { file: where })
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw refuse(`is not valid JSON (${(err as Error).message})`)
  }
  if (!isObject(data)) throw refuse(`is ${data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`}, not an object`)
  if (data.version !== 1 || !Array.isArray(data.entries)) throw refuse('has an unknown format (expected {"version": 1, "entries": [...]})')
  const entries: SavedEntry[] = []
  for (const [i, e] of (data.entries as unknown[]).entries()) {
    const n = `entry ${i + 1}`
    if (!isObject(e)) throw refuse(`${n} is ${e === null ? 'null' : 'not an object'}`)
    if (typeof e.uri !== 'string' || e.uri === '') throw refuse(`${n} has no uri`)
    if (typeof e.uuid !== 'string' || !UUID_RE.test(e.uuid)) throw refuse(`${n} has uuid ${JSON.stringify(e.uuid) ?? 'undefined'}, not a UUID`)
    if (e.name !== undefined && typeof e.name !== 'string') throw refuse(`${n} has a name that is not a string`)
    if (e.action !== undefined && !ACTIONS.includes(e.action as Action)) throw refuse(`${n} has an unknown action ${JSON.stringify(e.action)}`)
    entries.push({
      uri: e.uri,
      uuid: e.uuid,
      name: typeof e.name === 'string' ? e.name : e.uuid,
      action: (e.action as Action | undefined) ?? 'shutdown',
      savedAt: typeof e.savedAt === 'string' ? e.savedAt : '',
      runId: typeof e.runId === 'string' ? e.runId : '',
      ...(typeof e.migratedTo === 'string' ? { migratedTo: e.migratedTo } : {}),
    })
  }
  return { version: 1, entries }
}

/** libvirt-guests' list format: one line per URI, `URI UUID UUID ...`. */
export function formatLibvirtGuests(list: SavedList): string {
  const byUri = new Map<string, string[]>()
  for (const e of list.entries) byUri.set(e.uri, [...(byUri.get(e.uri) ?? []), e.uuid])
  return [...byUri].map(([uri, uuids]) => `${uri} ${uuids.join(' ')}\n`).join('')
}

// Fixed scripts; every value arrives as a positional parameter, never spliced into the script text.
/** $1 = file. Prints the file, or nothing when it does not exist. */
export const READ_SCRIPT = 'if [ -e "$1" ]; then cat -- "$1"; fi'
/** Exit codes of WRITE_SCRIPT besides 0 (written). */
export const WRITE_LOCK_BUSY = 75
export const WRITE_CHANGED = 76
/**
 * $1 = directory, $2 = file; stdin = new content. Atomic: temp file in the same dir, fsync, rename. Empty stdin
 * removes the file. Optional: $3 = directory to lock (flock on its fd, no lock file left behind), $4 = seconds to wait
 * for it (exit 75 when it cannot be had), $5 = guard file and $6 = the sha256 it must still have ("absent" for a
 * missing or empty file; else exit 76, printing the guard file as it is now): the check and the write happen under
 * the lock, so a write based on a list someone else has replaced since it was read never lands.
 */
export const WRITE_SCRIPT = [
  'set -eu',
  'umask 077',
  'mkdir -p -- "$1"',
  'if [ -n "${3:-}" ]; then',
  '  command -v flock >/dev/null || { echo "flock (util-linux) is not installed on this host" >&2; exit 1; }',
  '  mkdir -p -- "$3"',
  '  exec 9<"$3"',
  '  flock -w "${4:-30}" 9 || { cat >/dev/null; echo "could not lock $3 within ${4:-30}s (another run is updating it)" >&2; exit 75; }',
  'fi',
  'if [ -n "${5:-}" ]; then',
  '  command -v sha256sum >/dev/null || { echo "sha256sum (coreutils) is not installed on this host" >&2; exit 1; }',
  '  if [ -s "$5" ]; then cur=$(sha256sum < "$5"); cur=${cur%% *}; else cur=absent; fi',
  '  if [ "$cur" != "${6:-}" ]; then cat >/dev/null; if [ -e "$5" ]; then cat -- "$5"; fi; exit 76; fi',
  'fi',
  'tmp=$(mktemp "$1/.virtfleet.XXXXXX")',
  'trap \'rm -f -- "$tmp"\' EXIT',
  'cat > "$tmp"',
  'if [ ! -s "$tmp" ]; then rm -f -- "$2"; sync -- "$1" 2>/dev/null || true; exit 0; fi',
  'sync -- "$tmp" 2>/dev/null || sync',
  'mv -f -- "$tmp" "$2"',
  'trap - EXIT',
  'sync -- "$1" 2>/dev/null || true',
].join('\n')

/**
 * WRITE_SCRIPT, then, only if it wrote, the command in $7...: the saved list and a host's first wave of guest
 * actions in one round trip, the list still on disk (fsynced, renamed) before any guest is touched. Prints `@@written`
 * before the command's own output; without that line nothing but the write script ran, and its exit code is the
 * write's (75, 76 with the list as it is now, or a failure).
 */
export const WRITE_THEN_SCRIPT = ['(', WRITE_SCRIPT, ')', 'rc=$?', 'if [ "$rc" -ne 0 ]; then exit "$rc"; fi', 'shift 6', 'echo @@written', 'exec "$@"'].join(
  '\n',
)
const WRITTEN = '@@written\n'

function dirOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

/** The guard value WRITE_SCRIPT compares: sha256 of the content as read, "absent" for a missing or empty file. */
export function contentDigest(text: string): string {
  return text === '' ? 'absent' : createHash('sha256').update(text, 'utf8').digest('hex')
}

export async function readRemoteFile(session: HostSession, path: string): Promise<string> {
  const argv = ['sh', '-c', READ_SCRIPT, 'sh', path]
  const res = await session.exec(argv)
  if (res.code !== 0) throw new RemoteError(session.host, `read ${path}`, res.code, res.stderr, `${session.host}: could not read ${path}: ${short(res)}`)
  return res.stdout
}

export interface WriteGuard {
  /** Directory whose flock serializes every writer of the list. */
  lockDir: string
  waitSeconds: number
  /** Write only if this file still has this digest (see contentDigest). */
  file: string
  digest: string
}

export type WriteResult = { written: true; then?: ExecResult } | { written: false; current: string }

/**
 * Write `content` atomically; when the guard file no longer has the expected digest, nothing is written and its
 * current content returned. With `then` (and a guard), that command runs in the same exec once the file is written:
 * its result comes back as `then`; when the write did not happen, it never ran.
 */
export async function writeRemoteFile(session: HostSession, path: string, content: string, guard?: WriteGuard, then?: readonly string[]): Promise<WriteResult> {
  const extra = guard ? [guard.lockDir, String(guard.waitSeconds), guard.file, guard.digest] : []
  const chained = then && guard ? ['sh', '-c', WRITE_THEN_SCRIPT, 'sh', dirOf(path), path, ...extra, ...then] : undefined
  const res = await session.exec(chained ?? ['sh', '-c', WRITE_SCRIPT, 'sh', dirOf(path), path, ...extra], { stdin: content })
  if (chained) {
    if (res.stdout.startsWith(WRITTEN)) return { written: true, then: { ...res, stdout: res.stdout.slice(WRITTEN.length) } }
    if (res.code === 0) throw new RemoteError(session.host, `write ${path}`, res.code, res.stderr, `${session.host}: writing ${path} ended without its mark`)
  }
  if (res.code === 0) return { written: true }
  if (guard && res.code === WRITE_CHANGED) return { written: false, current: res.stdout }
  if (guard && res.code === WRITE_LOCK_BUSY) throw new SavedListBusyError(session.host, path, `the list stayed locked for ${guard.waitSeconds}s by another run`)
  throw new RemoteError(session.host, `write ${path}`, res.code, res.stderr, `${session.host}: could not write ${path}: ${short(res)}`)
}

function short(res: { code: number | null; stderr: string }): string {
  const text = res.stderr.trim().split('\n').slice(-3).join('; ')
  return `${text.length > 300 ? `${text.slice(0, 300)}…` : text || '(no message)'} (exit ${res.code ?? 'by signal'})`
}

/** The saved list could not be updated because other runs kept it locked or kept changing it. */
export class SavedListBusyError extends RemoteError {
  constructor(host: string, path: string, why: string) {
    super(host, `update ${path}`, null, '', `${host}:${path}: saved-guest list not updated: ${why}; nothing was changed, try again`)
    this.name = 'SavedListBusyError'
  }
}

/** How long a writer waits for another run's update of the same list, and how often it re-reads a list that changed. */
export const LOCK_WAIT_SECONDS = 30
export const MAX_UPDATE_ATTEMPTS = 40

/**
 * Reads and writes one host's saved list. Updates are serialized in this process, and against every other writer on
 * the host by WRITE_SCRIPT's flock + digest check: an update computed from a list that changed since it was read
 * is thrown away, and `change` is applied again to the list as it is now.
 */
export class SavedListStore {
  readonly path: string
  private chain: Promise<unknown> = Promise.resolve()
  private current?: { list: SavedList; digest: string }
  /** Changes not yet written, in the order they were asked for. */
  private waiting: WaitingChange[] = []

  constructor(
    private readonly session: HostSession,
    stateDir: string | undefined,
    private readonly mirrorLibvirtGuests: boolean,
    private readonly limits: { waitSeconds?: number; maxAttempts?: number } = {},
  ) {
    this.path = savedListPath(stateDir)
  }

  async read(): Promise<SavedList> {
    return this.adopt(await readRemoteFile(this.session, this.path))
  }

  private adopt(text: string): SavedList {
    const list = parseSavedList(text, `${this.session.host}:${this.path}`)
    this.current = { list, digest: contentDigest(text) }
    return list
  }

  /**
   * Apply `change` to the latest list and write it (durably, before returning); returns the new list. Changes asked
   * for while a write is in flight go together in the next write (a start drops each guest's entry as it comes up:
   * one flock + sync round trip per guest cost more control-machine CPU than the start itself); should that write
   * fail, each change of it is tried on its own, as if it had come alone.
   */
  update(change: (list: SavedList) => SavedList): Promise<SavedList> {
    return new Promise<SavedList>((resolve, reject) => {
      this.waiting.push({ change, resolve, reject })
      if (this.waiting.length > 1) return // the write already queued on the chain takes this change too
      const next = this.chain.then(async () => {
        const batch = this.waiting.splice(0)
        if (batch.length === 1) return this.settle(batch[0]!, () => this.write(batch[0]!.change))
        try {
          const list = await this.write((l) => batch.reduce((acc, b) => b.change(acc), l))
          for (const b of batch) b.resolve(list)
        } catch {
          for (const b of batch) await this.settle(b, () => this.write(b.change))
        }
      })
      this.chain = next.catch(() => undefined)
    })
  }

  /**
   * update(), with `then` run in the same exec once the list is written (the stop's first wave of requests: one round
   * trip for both). `then` is undefined in the result when it did not run: the list had changed since it was read,
   * and was written again without it. Not for a store that mirrors libvirt-guests' list (that is a second write).
   */
  updateThen(change: (list: SavedList) => SavedList, then: readonly string[]): Promise<{ list: SavedList; then?: ExecResult }> {
    if (this.mirrorLibvirtGuests) throw new Error('updateThen: the libvirt-guests mirror must be written before anything runs')
    const next = this.chain.then(() => this.writeThen(change, then))
    this.chain = next.catch(() => undefined)
    return next
  }

  private async settle(w: WaitingChange, write: () => Promise<SavedList>): Promise<void> {
    try {
      w.resolve(await write())
    } catch (err) {
      w.reject(err)
    }
  }

  private async write(change: (list: SavedList) => SavedList): Promise<SavedList> {
    return (await this.writeThen(change)).list
  }

  private async writeThen(change: (list: SavedList) => SavedList, then?: readonly string[]): Promise<{ list: SavedList; then?: ExecResult }> {
    const guardFor = (file: string, digest: string): WriteGuard => ({
      lockDir: dirOf(this.path),
      waitSeconds: this.limits.waitSeconds ?? LOCK_WAIT_SECONDS,
      file,
      digest,
    })
    const attempts = this.limits.maxAttempts ?? MAX_UPDATE_ATTEMPTS
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (!this.current) await this.read()
      const base = this.current as { list: SavedList; digest: string }
      const updated = change(base.list)
      const text = updated.entries.length > 0 ? JSON.stringify(updated, null, 2) + '\n' : ''
      // `then` rides on the first attempt only: after a refused write it is the caller's to send (it never ran).
      const res = await writeRemoteFile(this.session, this.path, text, guardFor(this.path, base.digest), attempt === 1 ? then : undefined)
      if (!res.written) {
        // Another run wrote first: start again from its list (refused like any list read, if it is not valid).
        this.adopt(res.current)
        continue
      }
      const digest = contentDigest(text)
      this.current = { list: updated, digest }
      // The mirror follows the list: skipped when another writer replaced the list meanwhile (it writes its own).
      if (this.mirrorLibvirtGuests) await writeRemoteFile(this.session, LIBVIRT_GUESTS_FILE, formatLibvirtGuests(updated), guardFor(this.path, digest))
      return { list: updated, ...(res.then ? { then: res.then } : {}) }
    }
    throw new SavedListBusyError(this.session.host, this.path, `other runs changed it ${attempts} times in a row`)
  }
}

interface WaitingChange {
  change: (list: SavedList) => SavedList
  resolve: (list: SavedList) => void
  reject: (err: unknown) => void
}
