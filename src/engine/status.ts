// Read-only look at the fleet: every host's guests with state and saved-list membership.

import pMap from 'p-map'
import { errorMessage } from '../core/errors.js'
import type { HostSpec } from '../inventory/types.js'
import { VirshDriver } from '../libvirt/driver.js'
import type { Guest } from '../libvirt/types.js'
import { SavedListStore } from '../state/saved-list.js'
import type { SavedEntry } from '../state/saved-list.js'
import type { Transport } from '../ssh/transport.js'
import { guestId } from '../core/report.js'

export interface HostStatusView {
  host: string
  reachable: boolean
  error?: string
  savedList?: { path: string; entries: SavedEntry[] }
  guests: Array<Guest & { inSavedList: boolean }>
  /** Saved entries whose guest is no longer defined on the host. */
  missing: SavedEntry[]
}

export async function collectStatus(hosts: HostSpec[], transport: Transport, forks = 10): Promise<HostStatusView[]> {
  return pMap(
    hosts,
    async (host): Promise<HostStatusView> => {
      try {
        const session = await transport.connect(host)
        const driver = new VirshDriver(session)
        const store = new SavedListStore(session, host.stateDir, false)
        const saved = await store.read()
        const listed = new Set(saved.entries.map(guestId))
        const guests = await driver.listAll(host.uris)
        const defined = new Set(guests.map(guestId))
        return {
          host: host.name,
          reachable: true,
          savedList: { path: store.path, entries: saved.entries },
          guests: guests.map((g) => ({ ...g, inSavedList: listed.has(guestId(g)) })),
          missing: saved.entries.filter((e) => !defined.has(guestId(e))),
        }
      } catch (err) {
        return { host: host.name, reachable: false, error: errorMessage(err), guests: [], missing: [] }
      }
    },
    { concurrency: Math.max(1, forks), stopOnError: false },
  )
}
