// Runs one host's planned steps in order through their handlers: skips steps a resumed run already finished,
// reports each step on the bus, stops the host at the first failure not ignored (freeing its lock when it can).

import { errorMessage, UnreachableError } from '../../core/errors.js'
import type { HostReport, StepReport } from '../../core/report.js'
import { stepKey } from '../../core/step-key.js'
import type { HostSpec } from '../../inventory/types.js'
import type { HostSession } from '../../ssh/transport.js'
import type { RunContext } from '../fleet.js'
import type { PhaseBarrier } from '../ordering.js'
import type { HostConnection, HostRunState, StepContext, StepHandler, StepResult } from '../steps/handler.js'
import { hostLock } from '../steps/lock.js'
import { STEP_HANDLERS } from '../steps/registry.js'
import type { HostPlan, StepKind } from './types.js'

export interface HostRunOptions {
  ask?: (question: string) => Promise<boolean>
  completed?: ReadonlySet<string>
  reconnectEveryMs: number
  /** Tier barriers of this host's batch, by step index. */
  barriers: ReadonlyMap<number, PhaseBarrier>
  fleet: StepContext['fleet']
}

function connection(host: HostSpec, ctx: RunContext): HostConnection {
  let session: HostSession | undefined
  return {
    get: async () => (session ??= await ctx.transport.connect(host, ctx.signal)),
    drop: async () => {
      const s = session
      session = undefined
      await s?.close().catch(() => undefined)
    },
    adopt: (s) => {
      session = s
    },
  }
}

export async function runHostPlan(host: HostSpec, plan: HostPlan, ctx: RunContext, o: HostRunOptions): Promise<HostReport> {
  const at = () => ctx.clock.wallTime().toISOString()
  const h0 = ctx.clock.now()
  const steps: StepReport[] = []
  const state: HostRunState = { guests: new Map(), locked: false }
  const conn = connection(host, ctx)
  ctx.bus.emit({ type: 'host-start', host: host.name, at: at() })

  const finish = (status: HostReport['status'], error?: string): HostReport => {
    const report: HostReport = {
      host: host.name,
      status,
      durationMs: Math.round(ctx.clock.now() - h0),
      guests: [...state.guests.values()],
      steps,
      ...(error ? { error } : {}),
      ...(state.savedList ? { savedList: state.savedList } : {}),
    }
    // A host that ends early is no longer waited for at any tier phase of its batch.
    for (const b of o.barriers.values()) b.leave(host.name)
    ctx.bus.emit({ type: 'host-done', host: host.name, report, at: at() })
    return report
  }
  const emitStep = (name: string, r: Omit<Extract<Parameters<typeof ctx.bus.emit>[0], { type: 'host-step' }>, 'type' | 'host' | 'step' | 'at'>) =>
    ctx.bus.emit({ type: 'host-step', host: host.name, step: name, ...r, at: at() })

  for (const planned of plan.steps) {
    const { step, name } = planned
    const barrier = o.barriers.get(planned.index)
    if (o.completed?.has(stepKey(host.name, undefined, name))) {
      barrier?.leave(host.name)
      steps.push({ step: step.kind, status: 'skipped', durationMs: 0, detail: 'done in an earlier attempt of this run' })
      emitStep(name, { status: 'skipped', detail: 'already done' })
      continue
    }
    if (ctx.signal?.aborted) return finish('interrupted', `interrupted before ${step.kind}`)
    const s0 = ctx.clock.now()
    emitStep(name, { status: 'started' })
    const sctx: StepContext = {
      host,
      run: ctx,
      connection: conn,
      state,
      fleet: o.fleet,
      reconnectEveryMs: o.reconnectEveryMs,
      at,
      ...(o.ask ? { ask: o.ask } : {}),
    }
    if (barrier) sctx.barrier = barrier
    let result: StepResult
    try {
      const handler = STEP_HANDLERS[step.kind] as StepHandler<StepKind>
      result = await handler.run(sctx, step as never)
    } catch (err) {
      if (err instanceof UnreachableError) await conn.drop()
      result = { ok: false, error: errorMessage(err) }
    }
    const durationMs = Math.round(ctx.clock.now() - s0)
    if (result.ok) {
      steps.push({ step: step.kind, status: 'ok', durationMs, ...(result.detail ? { detail: result.detail } : {}) })
      emitStep(name, { status: 'ok', durationMs, ...(result.detail ? { detail: result.detail } : {}) })
      continue
    }
    const error = planned.ignoreErrors ? `${result.error} (ignored)` : result.error
    steps.push({ step: step.kind, status: 'failed', durationMs, error })
    emitStep(name, { status: 'failed', error, durationMs })
    if (planned.ignoreErrors) continue
    // Free the lock for the operator when the host is reachable; if not, it stays (stale-lock detection frees it).
    if (state.locked)
      await hostLock(sctx)
        .then((l) => l.release())
        .catch(() => undefined)
    return finish(ctx.signal?.aborted ? 'interrupted' : result.partial ? 'partial' : 'failed', `${step.kind}: ${result.error}`)
  }
  return finish('ok')
}
