// known_hosts files parsed once per transport instead of twice per host: with a file naming every host of a large
// fleet, reading and parsing it for each handshake made host key checking O(hosts²). A file is read again whenever
// its stat (device, inode, size, change and modification times) differs, and after this process appended to it.

import { stat } from 'node:fs/promises'
import { readKnownHosts, type KnownHostEntry } from './known-hosts.js'

interface Parsed {
  stamp: string
  entries: KnownHostEntry[]
}

export class KnownHostsCache {
  private readonly parsed = new Map<string, Promise<Parsed | undefined>>()

  /** Every entry of the files, in order; missing files are skipped, unreadable ones throw (as readKnownHosts). */
  async read(files: readonly string[]): Promise<KnownHostEntry[]> {
    const all: KnownHostEntry[] = []
    for (const file of files) for (const e of await this.readOne(file)) all.push(e)
    return all
  }

  /** Drop what is known of a file (this process just wrote to it). */
  forget(file: string): void {
    this.parsed.delete(file)
  }

  private async readOne(file: string): Promise<KnownHostEntry[]> {
    const stamp = await stampOf(file)
    // Not a plain readable file (missing, a FIFO, ...): the uncached reader decides, with its own errors.
    if (stamp === undefined) return readKnownHosts([file])
    const cached = await this.parsed.get(file)
    if (cached?.stamp === stamp) return cached.entries
    // Stat first, then read: a change made while reading gives a new stamp, so the next lookup reads again.
    const pending = readKnownHosts([file]).then(
      (entries) => ({ stamp, entries }),
      () => undefined,
    )
    this.parsed.set(file, pending)
    const now = await pending
    return now ? now.entries : readKnownHosts([file])
  }
}

async function stampOf(file: string): Promise<string | undefined> {
  try {
    const st = await stat(file, { bigint: true })
    if (!st.isFile()) return undefined
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
  } catch {
    return undefined
  }
}
