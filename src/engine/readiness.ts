// Waiting for a started guest to be ready: run its probe on the host until it succeeds or the readiness budget
// runs out, on the injected clock. A not-ready guest still runs (its saved-list entry goes, as for any running
// guest); the caller reports it as not ready.

import type { Clock } from '../core/clock.js'
import type { Guest } from '../libvirt/types.js'
import { readyProbeArgv, type ReadyProbe } from '../libvirt/readiness.js'
import type { HostSession } from '../ssh/transport.js'

export interface ReadyWait {
  probe: ReadyProbe
  timeoutMs: number
  /** Time between two probes (default 250 ms: readiness is seen within a quarter second plus one round trip). */
  intervalMs?: number
}

export interface ReadyResult {
  ready: boolean
  /** Time from the start of the wait to the first successful probe (or to giving up). */
  waitedMs: number
  probes: number
  /** The last probe's error output when not ready. */
  lastError?: string
}

export async function waitUntilReady(session: HostSession, guest: Guest, w: ReadyWait, clock: Clock, signal?: AbortSignal): Promise<ReadyResult> {
  const argv = readyProbeArgv(w.probe, guest.uri, guest.uuid, guest.name)
  const t0 = clock.now()
  if (!argv) return { ready: true, waitedMs: 0, probes: 0 }
  const deadline = t0 + w.timeoutMs
  const interval = w.intervalMs ?? 250
  let probes = 0
  let lastError: string | undefined
  for (;;) {
    if (signal?.aborted) return { ready: false, waitedMs: Math.round(clock.now() - t0), probes, lastError: 'interrupted' }
    probes++
    const res = await session.exec(argv, signal ? { signal } : {})
    if (res.code === 0) return { ready: true, waitedMs: Math.round(clock.now() - t0), probes }
    lastError = (res.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `probe exited ${res.code ?? res.signal}`
    const left = deadline - clock.now()
    if (left <= 0) return { ready: false, waitedMs: Math.round(clock.now() - t0), probes, lastError }
    try {
      await clock.sleep(Math.min(interval, left), signal)
    } catch {
      return { ready: false, waitedMs: Math.round(clock.now() - t0), probes, lastError: 'interrupted' }
    }
  }
}
