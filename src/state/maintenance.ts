// The maintenance mark on a host's own disk (`STATE_DIR/maintenance`, next to the lock): set by an evacuating drain,
// cleared when the guests come back. Placement never picks a host so marked; the mark survives our process.

import type { HostSession } from '../ssh/transport.js'
import { DEFAULT_STATE_DIR, readRemoteFile, writeRemoteFile } from './saved-list.js'
import { lockDir } from './host-lock.js'

export const maintenancePath = (stateDir = DEFAULT_STATE_DIR): string => `${stateDir.replace(/\/+$/, '')}/maintenance`

export interface MaintenanceMark {
  runId: string
  since: string
}

export async function readMaintenance(session: HostSession, stateDir?: string): Promise<MaintenanceMark | undefined> {
  const text = (await readRemoteFile(session, maintenancePath(stateDir))).trim()
  if (text === '') return undefined
  try {
    const m = JSON.parse(text) as Partial<MaintenanceMark>
    return { runId: String(m.runId ?? ''), since: String(m.since ?? '') }
  } catch {
    return { runId: '', since: '' }
  }
}

export async function markMaintenance(session: HostSession, runId: string, since: string, stateDir?: string): Promise<void> {
  await writeRemoteFile(session, maintenancePath(stateDir), JSON.stringify({ runId, since }) + '\n')
}

/** Empty content removes the file (the write script's rule). */
export async function clearMaintenance(session: HostSession, stateDir?: string): Promise<void> {
  await writeRemoteFile(session, maintenancePath(stateDir), '')
}

/** The run id holding this host's lock, when one does (read only; the lock module owns taking it). */
export async function lockHolder(session: HostSession, stateDir?: string): Promise<string | undefined> {
  const text = (await readRemoteFile(session, `${lockDir(stateDir)}/owner`)).trim()
  if (text === '') return undefined
  try {
    return String((JSON.parse(text) as { runId?: unknown }).runId ?? '?')
  } catch {
    return '?'
  }
}
