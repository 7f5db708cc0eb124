// Moving guests by live migration, as the placement plan says: `virsh migrate` on the source host, at most N
// outgoing per source and M incoming per destination at once, each under a timeout with a stated action, with
// progress from `virsh domjobinfo`, and a re-check of the destination right before it starts. A guest whose
// migration fails or is aborted still runs on its source: the caller sends it to its fallback (the stop chain).

import type { Clock } from '../core/clock.js'
import { anySignal, Semaphore } from '../core/semaphore.js'
import { domjobabortArgv, domjobinfoArgv, migrateArgv, parseJobInfo, type MigrateOptions } from '../libvirt/migration.js'
import type { HostSession } from '../ssh/transport.js'

/** Pause between domjobabort attempts while the migrate still runs and libvirt has not cancelled its job. */
const ABORT_RETRY_MS = 250

export interface MigrationJob {
  source: string
  destination: string
  uri: string
  uuid: string
  name: string
  options: MigrateOptions
}

export type MigrationOutcome = 'migrated' | 'failed' | 'timeout' | 'interrupted' | 'destination-refused'

export interface MigrationResult {
  job: MigrationJob
  outcome: MigrationOutcome
  durationMs: number
  downtimeMs?: number
  bytes?: number
  error?: string
}

export interface MigrationLimits {
  /** Outgoing migrations per source host at once (default 2). */
  perSource: number
  /** Incoming migrations per destination at once (default 2). */
  perDestination: number
  /** Per-migration time before the stated action. */
  timeoutMs: number
  /** On timeout: abort (domjobabort; the guest stays on its source) or let libvirt suspend it to finish. */
  onTimeout: 'abort' | 'suspend'
  /** Progress poll interval (default 1 s). */
  progressMs?: number
}

export interface MigrationHooks {
  session(host: string): Promise<HostSession>
  /** Checked right before a migration starts: a destination now in maintenance or locked is refused. */
  destinationUsable?(destination: string): Promise<string | undefined>
  /** The migration is about to begin (slots held, destination re-checked). */
  started?(job: MigrationJob): void
  progress?(job: MigrationJob, percent: number): void
  done?(result: MigrationResult): void
}

export async function runMigrations(
  jobs: readonly MigrationJob[],
  limits: MigrationLimits,
  hooks: MigrationHooks,
  clock: Clock,
  signal?: AbortSignal,
): Promise<MigrationResult[]> {
  const out = new Map<MigrationJob, MigrationResult>()
  const sources = new Map<string, Semaphore>()
  const destinations = new Map<string, Semaphore>()
  const slot = (map: Map<string, Semaphore>, key: string, n: number) => {
    let s = map.get(key)
    if (!s) map.set(key, (s = new Semaphore(Math.max(1, n))))
    return s
  }
  await Promise.all(
    jobs.map(async (job) => {
      // A migration's duration counts from its start, not from when it was queued behind the slot limits.
      let t0 = clock.now()
      const finish = (r: Omit<MigrationResult, 'job' | 'durationMs'>) => {
        const result: MigrationResult = { job, durationMs: Math.round(clock.now() - t0), ...r }
        out.set(job, result)
        hooks.done?.(result)
      }
      const releaseSource = await slot(sources, job.source, limits.perSource).acquireUnless(signal)
      if (!releaseSource) return finish({ outcome: 'interrupted', error: 'interrupted before its turn: not moved' })
      try {
        const releaseDest = await slot(destinations, job.destination, limits.perDestination).acquireUnless(signal)
        if (!releaseDest) return finish({ outcome: 'interrupted', error: 'interrupted before its turn: not moved' })
        try {
          const refused = await hooks.destinationUsable?.(job.destination)
          if (refused) return finish({ outcome: 'destination-refused', error: `${job.destination}: ${refused}` })
          t0 = clock.now()
          hooks.started?.(job)
          finish(await migrateOne(job, limits, hooks, clock, signal))
        } finally {
          releaseDest()
        }
      } finally {
        releaseSource()
      }
    }),
  )
  return jobs.map((j) => out.get(j) as MigrationResult)
}

async function migrateOne(
  job: MigrationJob,
  limits: MigrationLimits,
  hooks: MigrationHooks,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<Omit<MigrationResult, 'job' | 'durationMs'>> {
  const session = await hooks.session(job.source)
  const suspend = limits.onTimeout === 'suspend'
  const argv = migrateArgv(job.uri, job.uuid, suspend ? { ...job.options, suspendAfterS: Math.max(1, Math.round(limits.timeoutMs / 1000)) } : job.options)
  const finished = new AbortController()
  const timedOut = new AbortController()
  let last: ReturnType<typeof parseJobInfo> = {}
  const poll = (async () => {
    const interval = limits.progressMs ?? 1000
    for (;;) {
      try {
        await clock.sleep(interval, anySignal([finished.signal, signal]))
      } catch {
        return
      }
      const r = await session.exec(domjobinfoArgv(job.uri, job.uuid), { signal: finished.signal }).catch(() => undefined)
      if (r?.code === 0) {
        last = { ...last, ...parseJobInfo(r.stdout) }
        if (last.percent !== undefined) hooks.progress?.(job, last.percent)
      }
    }
  })()
  // Abort (not suspend) is ours to do: at the deadline, or on Ctrl-C, ask libvirt to cancel the job. virsh
  // migrate opens its connection to the destination before the source's job begins, so a domjobabort sent in
  // that window finds no job ("no job is active"): it is asked again until it succeeds or the migrate returns.
  // The deadline and Ctrl-C share one such loop.
  let aborting: Promise<void> | undefined
  const abortJob = () =>
    (aborting ??= (async () => {
      while (!finished.signal.aborted) {
        const r = await session.exec(domjobabortArgv(job.uri, job.uuid), { signal: finished.signal }).catch(() => undefined)
        if (r?.code === 0) return
        try {
          await clock.sleep(ABORT_RETRY_MS, finished.signal)
        } catch {
          return
        }
      }
    })())
  const deadline = suspend
    ? undefined
    : clock.sleep(limits.timeoutMs, finished.signal).then(
        () => {
          timedOut.abort()
          return abortJob()
        },
        () => undefined,
      )
  const onInterrupt = () => void abortJob()
  signal?.addEventListener('abort', onInterrupt, { once: true })
  try {
    const res = await session.exec(argv)
    if (res.code === 0) {
      // The guest is gone from the source (undefinesource): the completed job's figures are on the destination.
      const destination = await hooks.session(job.destination).catch(() => undefined)
      const completed = await destination?.exec(domjobinfoArgv(job.uri, job.uuid, true)).catch(() => undefined)
      const info = completed?.code === 0 ? { ...last, ...parseJobInfo(completed.stdout) } : last
      return {
        outcome: 'migrated',
        ...(info.downtimeMs !== undefined ? { downtimeMs: info.downtimeMs } : {}),
        ...(info.totalBytes !== undefined ? { bytes: info.totalBytes } : {}),
      }
    }
    const error = res.stderr.trim().split('\n').pop() || `virsh migrate exited ${res.code ?? res.signal}`
    if (signal?.aborted) return { outcome: 'interrupted', error: `migration aborted (${error})` }
    if (timedOut.signal.aborted) return { outcome: 'timeout', error: `not finished within ${limits.timeoutMs / 1000}s: aborted, still on ${job.source}` }
    return { outcome: 'failed', error }
  } finally {
    signal?.removeEventListener('abort', onInterrupt)
    finished.abort()
    await Promise.all([poll, deadline])
  }
}
