// Executes a rolling plan: batch after batch (pause and operator confirmation between them), each host of a batch
// through its steps, stopping the roll when a batch's failures exceed max-fail-percentage. Hosts not reached are
// reported 'skipped'. With tiers, every host of a batch is in flight at once and passes each tier phase together.

import pMap from 'p-map'
import { ExitCode } from '../../core/exit-codes.js'
import type { HostReport, RunReport } from '../../core/report.js'
import type { HostSpec } from '../../inventory/types.js'
import { maxFailExceeded } from '../batches.js'
import type { RunContext } from '../fleet.js'
import { exitCodeFor, finishRun } from '../fleet.js'
import { PhaseBarrier } from '../ordering.js'
import { runHostPlan } from './host-run.js'
import type { HostPlan, RollingOptions, RollingPlan } from './types.js'

export type ExecuteOptions = Pick<RollingOptions, 'confirm' | 'ask' | 'completed' | 'reconnectEveryMs'>

export async function executeRolling(plan: RollingPlan, hosts: readonly HostSpec[], ctx: RunContext, o: ExecuteOptions = {}): Promise<RunReport> {
  const at = () => ctx.clock.wallTime().toISOString()
  const startedAt = at()
  const t0 = ctx.clock.now()
  const order = plan.hosts.map((h) => h.host)
  ctx.bus.emit({ type: 'run-start', command: ctx.command, runId: ctx.runId, hosts: order, check: ctx.check, at: startedAt })
  const specs = new Map(hosts.map((h) => [h.name, h]))
  const plans = new Map(plan.hosts.map((h) => [h.host, h]))
  const ask = o.ask ? oneAtATime(o.ask) : undefined
  const reports = new Map<string, HostReport>()
  let aborted: string | undefined

  for (const [index, batch] of plan.batches.entries()) {
    if (ctx.signal?.aborted) break
    if (index > 0) {
      if (plan.pauseMs) {
        try {
          await ctx.clock.sleep(plan.pauseMs, ctx.signal)
        } catch {
          break
        }
      }
      if (o.confirm && !(await o.confirm({ index, of: plan.batches.length, hosts: batch }))) {
        aborted = `operator declined batch ${index + 1}`
        break
      }
    }
    ctx.bus.emit({ type: 'batch', index, of: plan.batches.length, hosts: batch, status: 'started', at: at() })
    const barriers = tierBarriers(
      batch,
      batch.map((h) => plans.get(h) as HostPlan),
    )
    const results = await pMap(
      batch,
      (name) =>
        runHostPlan(specs.get(name) as HostSpec, plans.get(name) as HostPlan, ctx, {
          ...(ask ? { ask } : {}),
          ...(o.completed ? { completed: o.completed } : {}),
          reconnectEveryMs: o.reconnectEveryMs ?? 2000,
          barriers,
          fleet: { hosts, batch },
        }),
      // A tier phase waits for every host of the batch: they must all be in flight.
      { concurrency: barriers.size > 0 ? batch.length : Math.max(1, ctx.forks ?? 10) },
    )
    for (const r of results) reports.set(r.host, r)
    const failed = results.filter((r) => r.status !== 'ok').length
    const pct = plan.maxFailPercentage ?? 0
    const exceeded = maxFailExceeded(batch.length, failed, pct)
    ctx.bus.emit({ type: 'batch', index, of: plan.batches.length, hosts: batch, status: exceeded ? 'aborted' : failed > 0 ? 'failed' : 'ok', at: at() })
    // Exceeding the limit in the last batch stops nothing: the run ends on its hosts' own outcomes (exit 2/3),
    // not as "aborted" (exit 5 means later hosts were left untouched).
    if (exceeded && index < plan.batches.length - 1) {
      const why = results
        .filter((r) => r.status !== 'ok')
        .map((r) => `${r.host}: ${r.error ?? r.status}`)
        .join('; ')
      aborted = `batch ${index + 1}: ${failed} of ${batch.length} hosts failed, more than max-fail-percentage ${pct}% (${why})`
      ctx.bus.emit({ type: 'log', level: 'error', message: `stopping the roll: ${aborted}`, at: at() })
      break
    }
  }

  const interrupted = ctx.signal?.aborted ?? false
  const all = order.map((name) => {
    const r = reports.get(name)
    if (r) return r
    const skipped: HostReport = {
      host: name,
      status: 'skipped',
      durationMs: 0,
      guests: [],
      error: aborted ? `not touched: ${aborted}` : interrupted ? 'not touched: interrupted' : 'not touched',
    }
    ctx.bus.emit({ type: 'host-done', host: name, report: skipped, at: at() })
    return skipped
  })
  const touched = all.filter((h) => h.status !== 'skipped')
  const code = interrupted ? ExitCode.interrupted : aborted ? ExitCode.aborted : exitCodeFor(touched, false)
  return finishRun(ctx, { startedAt, t0 }, all, code)
}

/** One barrier per stop/start step with tiers, shared by the hosts of this batch only. */
function tierBarriers(batch: string[], plans: HostPlan[]): Map<number, PhaseBarrier> {
  const barriers = new Map<number, PhaseBarrier>()
  for (const p of plans)
    for (const s of p.steps) {
      const tiers = s.step.kind === 'stop' || s.step.kind === 'start' ? s.step.options.tiers : undefined
      if (tiers && tiers.length > 0 && !barriers.has(s.index)) barriers.set(s.index, new PhaseBarrier(batch))
    }
  return barriers
}

/** Questions from hosts in flight are asked one at a time (one terminal), in the order they come. */
function oneAtATime(ask: (q: string) => Promise<boolean>): (q: string) => Promise<boolean> {
  let chain: Promise<unknown> = Promise.resolve()
  return (q) => {
    const next = chain.then(() => ask(q))
    chain = next.catch(() => undefined)
    return next
  }
}
