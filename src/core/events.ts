// The engine emits these; the listr2 tree, the plain CI log, the JSON report and the run journal subscribe.
// The engine never knows who is listening.

import type { GuestRef, GuestReport, HostReport, RunReport, Verb } from './report.js'

export type FleetEvent =
  | { type: 'run-start'; command: string; runId: string; hosts: string[]; check: boolean; at: string }
  | { type: 'host-start'; host: string; at: string }
  | { type: 'host-connected'; host: string; at: string }
  /** The guests this host will act on, in order, with the planned chain of actions. */
  | { type: 'host-planned'; host: string; guests: Array<GuestRef & { plan: Verb[] }>; at: string }
  | { type: 'saved-list-written'; host: string; path: string; entries: number; at: string }
  | { type: 'guest-action'; host: string; guest: GuestRef; action: Verb; reason: 'primary' | 'fallback' | 'host-budget'; at: string }
  | {
      type: 'guest-action-result'
      host: string
      guest: GuestRef
      action: Verb
      result: 'ok' | 'failed' | 'timeout' | 'interrupted'
      error?: string
      at: string
    }
  | { type: 'guest-done'; host: string; guest: GuestReport; at: string }
  /** A live migration run by `host`'s step, of a guest from `source` to `destination`: started, percent (domjobinfo), done or not. */
  | {
      type: 'migration'
      host: string
      guest: GuestRef
      source: string
      destination: string
      status: 'started' | 'progress' | 'migrated' | 'failed'
      percent?: number
      bytes?: number
      downtimeMs?: number
      durationMs?: number
      error?: string
      at: string
    }
  | { type: 'host-done'; host: string; report: HostReport; at: string }
  /** A host-level step of a rolling run or playbook (preflight, lock, stop, reboot, wait_for_ssh, start, ...). */
  | {
      type: 'host-step'
      host: string
      step: string
      status: 'started' | 'ok' | 'failed' | 'skipped'
      error?: string
      durationMs?: number
      detail?: string
      at: string
    }
  /** A batch of a rolling run begins or ends (index is 0-based; renderers show index + 1). */
  | { type: 'batch'; index: number; of: number; hosts: string[]; status: 'started' | 'ok' | 'failed' | 'aborted'; at: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; host?: string; message: string; at: string }
  | { type: 'run-done'; report: RunReport; at: string }

export type FleetEventListener = (event: FleetEvent) => void

/** A tiny synchronous event bus; listener errors are isolated so a renderer bug never stops a run. */
export class EventBus {
  private listeners: FleetEventListener[] = []
  on(listener: FleetEventListener): () => void {
    this.listeners.push(listener)
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener)
    }
  }
  emit(event: FleetEvent): void {
    for (const l of this.listeners) {
      try {
        l(event)
      } catch {
        // a broken subscriber must not break the run
      }
    }
  }
}
