// Words every floor shares: the stop actions and the guest states libvirt reports.

export type Action = 'shutdown' | 'suspend' | 'destroy'
export const ACTIONS: readonly Action[] = ['shutdown', 'suspend', 'destroy']

export type GuestState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'unknown'
