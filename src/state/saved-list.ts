// The saved-guest list lives on each host (default /var/lib/virtfleet/saved-guests.json): the guests a stop found
// running, so a later start brings back exactly those. It is written atomically (temp file + fsync + rename) before
// any guest is touched, merged (never shrunk) by a second stop, and shrinks only for guests confirmed running again.
// Optionally mirrored to libvirt-guests' own list file (`URI UUID UUID ...` per line) for hosts booting with ON_BOOT=start.

import { RemoteError } from '../core/errors.js'
import type { Action } from '../core/types.js'
import { quoteCommand } from '../ssh/quote.js'
import type { HostSession } from '../ssh/transport.js'

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

export function parseSavedList(text: string, where: string): SavedList {
  if (text.trim() === '') return emptyList()
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new Error(`${where}: saved-guest list is not valid JSON (${(err as Error).message}); refusing to overwrite it`)
  }
  const d = data as { version?: unknown; entries?: unknown }
  if (d.version !== 1 || !Array.isArray(d.entries)) throw new Error(`${where}: unknown saved-guest list format; refusing to overwrite it`)
  const entries: SavedEntry[] = []
  for (const e of d.entries as Array<Record<string, unknown>>) {
    if (typeof e.uri !== 'string' || typeof e.uuid !== 'string') throw new Error(`${where}: saved-guest entry without uri/uuid`)
    entries.push({
      uri: e.uri,
      uuid: e.uuid,
      name: typeof e.name === 'string' ? e.name : e.uuid,
      action: (e.action as Action) ?? 'shutdown',
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
/** $1 = directory, $2 = file; stdin = new content. Atomic: temp file in the same dir, fsync, rename. Empty stdin removes the file. */
export const WRITE_SCRIPT = [
  'set -eu',
  'umask 077',
  'mkdir -p -- "$1"',
  'tmp=$(mktemp "$1/.virtfleet.XXXXXX")',
  'trap \'rm -f -- "$tmp"\' EXIT',
  'cat > "$tmp"',
  'if [ ! -s "$tmp" ]; then rm -f -- "$2"; exit 0; fi',
  'sync -- "$tmp" 2>/dev/null || sync',
  'mv -f -- "$tmp" "$2"',
  'trap - EXIT',
].join('\n')

function dirOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

export async function readRemoteFile(session: HostSession, path: string): Promise<string> {
  const argv = ['sh', '-c', READ_SCRIPT, 'sh', path]
  const res = await session.exec(argv)
  if (res.code !== 0) throw new RemoteError(session.host, quoteCommand(argv), res.code, res.stderr)
  return res.stdout
}

export async function writeRemoteFile(session: HostSession, path: string, content: string): Promise<void> {
  const argv = ['sh', '-c', WRITE_SCRIPT, 'sh', dirOf(path), path]
  const res = await session.exec(argv, { stdin: content })
  if (res.code !== 0) throw new RemoteError(session.host, quoteCommand(argv), res.code, res.stderr)
}

/** Reads and writes one host's saved list; writes are serialized so concurrent removals never race. */
export class SavedListStore {
  readonly path: string
  private chain: Promise<unknown> = Promise.resolve()
  private current?: SavedList

  constructor(
    private readonly session: HostSession,
    stateDir: string | undefined,
    private readonly mirrorLibvirtGuests: boolean,
  ) {
    this.path = savedListPath(stateDir)
  }

  async read(): Promise<SavedList> {
    const text = await readRemoteFile(this.session, this.path)
    this.current = parseSavedList(text, `${this.session.host}:${this.path}`)
    return this.current
  }

  /** Apply `change` to the latest list and write it; returns the new list. */
  update(change: (list: SavedList) => SavedList): Promise<SavedList> {
    const next = this.chain.then(async () => {
      const base = this.current ?? (await this.read())
      const updated = change(base)
      const text = updated.entries.length > 0 ? JSON.stringify(updated, null, 2) + '\n' : ''
      await writeRemoteFile(this.session, this.path, text)
      if (this.mirrorLibvirtGuests) await writeRemoteFile(this.session, LIBVIRT_GUESTS_FILE, formatLibvirtGuests(updated))
      this.current = updated
      return updated
    })
    this.chain = next.catch(() => undefined)
    return next
  }
}
