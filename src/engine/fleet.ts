// Runs one job per host across the fleet (`forks` hosts at once), turns connection failures into 'unreachable'
// host reports, stops starting hosts once interrupted, and assembles the run report and exit code.

import pMap from 'p-map'
import { errorMessage, HostKeyError, UnreachableError } from '../core/errors.js'
import { ExitCode } from '../core/exit-codes.js'
import type { HostSpec } from '../inventory/types.js'
import type { HostSession, Transport } from '../ssh/transport.js'
import type { Clock } from '../core/clock.js'
import type { EventBus } from '../core/events.js'
import type { GuestReport, HostReport, RunReport } from '../core/report.js'
import { summarize } from '../core/report.js'
import { predictFleetMs, type HostPrediction } from './longest-first.js'
import type { DurationHistory } from '../state/journal/history.js'

export interface RunContext {
  transport: Transport
  clock: Clock
  bus: EventBus
  runId: string
  command: string
  check: boolean
  forks?: number
  /** Fires on Ctrl-C / SIGTERM: no new actions start; state already written stays. */
  signal?: AbortSignal
  /** Durations earlier runs recorded, for every stop of the run that has none in its options (rolling stop steps). */
  history?: DurationHistory
  /** Called once per host when its report is final (tier barriers stop waiting for it). */
  onHostDone?: (host: string) => void
}

export interface HostJobContext extends RunContext {
  host: HostSpec
  session: HostSession
  at(): string
}

export type HostJob = (
  ctx: HostJobContext,
) => Promise<{ guests: GuestReport[]; savedList?: { path: string; entries: number }; error?: string; predicted?: HostPrediction }>

export async function runFleet(hosts: HostSpec[], ctx: RunContext, job: HostJob): Promise<RunReport> {
  // Unusable connection settings (a malformed jump host) are bad input: refused before any host is touched.
  for (const h of hosts) ctx.transport.checkHost?.(h)
  const at = () => ctx.clock.wallTime().toISOString()
  const startedAt = at()
  const t0 = ctx.clock.now()
  ctx.bus.emit({ type: 'run-start', command: ctx.command, runId: ctx.runId, hosts: hosts.map((h) => h.name), check: ctx.check, at: startedAt })

  const predictions = new Map<string, HostPrediction>()
  // A host's warnings (log events) go into its report too: a live tree shows no log, and --json prints none.
  const warnings = new Map<string, string[]>()
  const unsubscribe = ctx.bus.on((e) => {
    if (e.type !== 'log' || e.level !== 'warn' || e.host === undefined) return
    const list = warnings.get(e.host)
    if (list) list.push(e.message)
    else warnings.set(e.host, [e.message])
  })
  const reports = await pMap(
    hosts,
    async (host): Promise<HostReport> => {
      const h0 = ctx.clock.now()
      const finish = (r: Omit<HostReport, 'durationMs' | 'host'>): HostReport => {
        const warned = warnings.get(host.name)
        const report: HostReport = { host: host.name, durationMs: Math.round(ctx.clock.now() - h0), ...r, ...(warned ? { warnings: warned } : {}) }
        ctx.bus.emit({ type: 'host-done', host: host.name, report, at: at() })
        ctx.onHostDone?.(host.name)
        return report
      }
      if (ctx.signal?.aborted) return finish({ status: 'skipped', error: 'interrupted before this host was reached', guests: [] })
      ctx.bus.emit({ type: 'host-start', host: host.name, at: at() })
      let session: HostSession
      try {
        session = await ctx.transport.connect(host, ctx.signal)
      } catch (err) {
        const kind = err instanceof HostKeyError || err instanceof UnreachableError ? 'unreachable' : 'failed'
        ctx.bus.emit({ type: 'log', level: 'error', host: host.name, message: errorMessage(err), at: at() })
        return finish({ status: ctx.signal?.aborted ? 'interrupted' : kind, error: errorMessage(err), guests: [] })
      }
      ctx.bus.emit({ type: 'host-connected', host: host.name, at: at() })
      // A connection lost mid-run makes the host unreachable, whatever the job could still report about its guests.
      let lost: Error | undefined
      session.onClose((err) => {
        if (err) lost = err
      })
      try {
        const r = await job({ ...ctx, host, session, at })
        if (r.predicted) predictions.set(host.name, r.predicted)
        const predicted = r.predicted ? { predicted: { durationMs: r.predicted.durationMs, withoutHistory: r.predicted.withoutHistory } } : {}
        if (lost) {
          const error = `connection lost mid-run: ${errorMessage(lost)}`
          ctx.bus.emit({ type: 'log', level: 'error', host: host.name, message: error, at: at() })
          return finish({ status: 'unreachable', guests: r.guests, error, ...(r.savedList ? { savedList: r.savedList } : {}), ...predicted })
        }
        const failed = r.guests.some((g) => !g.ok)
        const interrupted = r.guests.some((g) => g.outcome === 'interrupted') || (ctx.signal?.aborted ?? false)
        const status = r.error ? 'failed' : interrupted && failed ? 'interrupted' : failed ? 'partial' : 'ok'
        return finish({ status, guests: r.guests, ...(r.error ? { error: r.error } : {}), ...(r.savedList ? { savedList: r.savedList } : {}), ...predicted })
      } catch (err) {
        ctx.bus.emit({ type: 'log', level: 'error', host: host.name, message: errorMessage(err), at: at() })
        const status = err instanceof UnreachableError ? 'unreachable' : 'failed'
        return finish({ status, error: errorMessage(err), guests: [] })
      }
    },
    { concurrency: Math.max(1, ctx.forks ?? 10), stopOnError: false },
  ).finally(unsubscribe)

  const interrupted = ctx.signal?.aborted ?? false
  // In host order, as pMap takes them (unreachable hosts have no prediction and take no slot here).
  const inOrder = hosts.flatMap((h) => predictions.get(h.name) ?? [])
  const predicted = inOrder.length > 0 ? { predicted: { durationMs: predictFleetMs(inOrder, Math.max(1, ctx.forks ?? 10)) } } : {}
  return finishRun(ctx, { startedAt, t0 }, reports, exitCodeFor(reports, interrupted), predicted)
}

/** The run report, announced with run-done: shared by plain fleet runs and rolling runs. */
export function finishRun(
  ctx: RunContext,
  started: { startedAt: string; t0: number },
  hosts: HostReport[],
  exitCode: number,
  extra: Pick<RunReport, 'predicted'> = {},
): RunReport {
  const endedAt = ctx.clock.wallTime().toISOString()
  const report: RunReport = {
    command: ctx.command,
    runId: ctx.runId,
    check: ctx.check,
    startedAt: started.startedAt,
    endedAt,
    durationMs: Math.round(ctx.clock.now() - started.t0),
    exitCode,
    interrupted: ctx.signal?.aborted ?? false,
    summary: summarize(hosts),
    hosts,
    ...extra,
  }
  ctx.bus.emit({ type: 'run-done', report, at: endedAt })
  return report
}

/** Interrupted beats unreachable beats partial: the code names the worst thing that happened. */
export function exitCodeFor(hosts: HostReport[], interrupted: boolean): number {
  if (interrupted) return ExitCode.interrupted
  if (hosts.some((h) => h.status === 'unreachable')) return ExitCode.unreachable
  if (hosts.some((h) => h.status !== 'ok')) return ExitCode.partial
  return ExitCode.ok
}
