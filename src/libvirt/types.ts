// Guest model as virtfleet sees it on a host, parsed from virsh output.

import type { GuestState } from '../core/types.js'

export interface Guest {
  uri: string
  uuid: string
  name: string
  state: GuestState
  persistent: boolean
  /** A managed-save image exists (the next start resumes it). */
  managedSave: boolean
  autostart?: boolean
}

/** States that count as "on" for stopping purposes (libvirt-guests treats running/paused/idle as active). */
export function isActive(state: GuestState): boolean {
  return state === 'running' || state === 'idle' || state === 'paused' || state === 'in shutdown' || state === 'pmsuspended'
}
