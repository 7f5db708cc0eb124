// Which readiness probe and budget apply to one guest: the `ready` / `ready_timeout` host vars parsed once into
// typed settings (an InputError names the host and the var), and the precedence between a guest's tag, its host's
// var and the run's flag. Most specific wins: guest tag > host (or group) var > flag > none.

import { InputError } from '../core/errors.js'
import { parseDuration } from '../core/duration.js'
import { perHost } from '../inventory/per-host.js'
import type { HostSpec } from '../inventory/types.js'
import { parseReadyProbe, type ReadyProbe } from '../libvirt/readiness.js'

export const DEFAULT_READY_TIMEOUT_MS = 120_000

export interface HostReadySettings {
  probe?: ReadyProbe
  timeoutMs?: number
}

/** What the run itself asks (`--ready`, `--ready-timeout`, or the playbook step's keys). */
export interface ReadyFlags {
  ready?: ReadyProbe
  readyTimeoutMs?: number
}

export interface GuestReady {
  probe: ReadyProbe
  timeoutMs: number
  /** Where the probe came from, for the report: 'tag', 'host' or 'flag'. */
  from: 'tag' | 'host' | 'flag' | 'default'
}

export function parseHostReady(host: string, vars: Readonly<Record<string, unknown>>): HostReadySettings {
  const out: HostReadySettings = {}
  const ready = vars.ready
  if (ready !== undefined && ready !== null) {
    if (typeof ready !== 'string')
      throw new InputError(`host ${host}: ready: expected a probe (none, agent, tcp:PORT, console:TEXT, command:CMD), got ${JSON.stringify(ready)}`)
    out.probe = parseReadyProbe(ready, `host ${host}: ready`)
  }
  const t = vars.ready_timeout
  if (t !== undefined && t !== null) {
    if (typeof t !== 'string' && typeof t !== 'number') throw new InputError(`host ${host}: ready_timeout: expected a duration, got ${JSON.stringify(t)}`)
    out.timeoutMs = parseDuration(t, `host ${host}: ready_timeout`)
  }
  return out
}

/** A resolved host's readiness settings, parsed on first use and kept with the host. */
export const hostReady: (host: HostSpec) => HostReadySettings = perHost(parseHostReady)

/**
 * The probe for one guest. A guest's own tag knows its service best, the inventory knows its hosts, and the flag is
 * the run-wide default for guests nobody described; the budget follows the same order (host var > flag > 2m).
 */
export function guestReady(host: HostSpec, guest: string, tag: string | undefined, flags: ReadyFlags): GuestReady {
  const h = hostReady(host)
  const timeoutMs = h.timeoutMs ?? flags.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS
  if (tag !== undefined) return { probe: parseReadyProbe(tag, `guest ${guest} on ${host.name}: virtfleet:ready tag`), timeoutMs, from: 'tag' }
  if (h.probe) return { probe: h.probe, timeoutMs, from: 'host' }
  if (flags.ready) return { probe: flags.ready, timeoutMs, from: 'flag' }
  return { probe: { kind: 'none' }, timeoutMs, from: 'default' }
}

/** The probe as it is written (`agent`, `tcp:22@lease`, `console:login:`), for reports. */
export function probeSpec(p: ReadyProbe): string {
  switch (p.kind) {
    case 'none':
    case 'agent':
      return p.kind
    case 'tcp':
      return `tcp:${p.port}${p.source ? `@${p.source}` : ''}`
    case 'console':
      return `console:${p.text}`
    case 'command':
      return `command:${p.command}`
  }
}
