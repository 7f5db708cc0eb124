// Stop and start as rolling steps: the fleet engine's host jobs (saved list first, fallbacks, budgets, tiers) run
// on the host's current session; their guest reports join the host report and decide the step's outcome.

import { errorMessage, UnreachableError } from '../../core/errors.js'
import type { HostSpec } from '../../inventory/types.js'
import { DEFAULTS, stopSettings } from '../plan.js'
import { startHostJob, type StartRunOptions } from '../start.js'
import { stopHostJob, type StopRunOptions } from '../stop.js'
import type { HostJob } from '../fleet.js'
import type { StepContext, StepHandler, StepResult } from './handler.js'
import { list, optionLine, secs } from './options-line.js'
import { hostReady, probeSpec } from '../ready-settings.js'
import { guestId } from '../../core/report.js'

export async function runGuestJob(ctx: StepContext, kind: 'stop' | 'start', job: HostJob): Promise<StepResult> {
  let r: Awaited<ReturnType<HostJob>>
  try {
    r = await job({ ...ctx.run, host: ctx.host, session: await ctx.connection.get(), at: ctx.at })
  } catch (err) {
    // Guests may already have been acted on: the host is partly done, not untouched.
    if (err instanceof UnreachableError) await ctx.connection.drop()
    return { ok: false, partial: true, error: errorMessage(err) }
  }
  for (const g of r.guests) ctx.state.guests.set(`${kind}:${guestId(g)}`, g)
  if (r.savedList) ctx.state.savedList = r.savedList
  const bad = r.guests.filter((g) => !g.ok)
  if (bad.length === 0) return { ok: true }
  return { ok: false, partial: true, error: `${bad.length} guest(s) not ${kind === 'stop' ? 'off' : 'running'}: ${bad.map((g) => g.name).join(', ')}` }
}

/** Tiers travel as data in the plan; the barrier is the executor's, per batch. */
function withoutBarrier<T extends { barrier?: unknown }>(o: T): Omit<T, 'barrier'> {
  const { barrier: _drop, ...rest } = o
  return rest
}

export const stop: StepHandler<'stop'> = {
  kind: 'stop',
  resolve: (step, host: HostSpec) => ({ kind: 'stop', options: { ...withoutBarrier(step.options), ...stopSettings(host, step.options) } }),
  describe: ({ options: o }) =>
    optionLine({
      action: o.action,
      fallback: list(o.fallback),
      timeout: secs(o.timeoutMs),
      host_timeout: secs(o.hostTimeoutMs),
      parallel: o.parallel,
      tiers: list(o.tiers),
      guests: list(o.guests),
      'persistent-only': o.persistentOnly,
      mode: o.mode,
    }),
  run: (ctx, step) => runGuestJob(ctx, 'stop', stopHostJob({ ...step.options, ...(ctx.barrier ? { barrier: ctx.barrier } : {}) } as StopRunOptions)),
}

export const start: StepHandler<'start'> = {
  kind: 'start',
  resolve: (step, host: HostSpec) => {
    // a bad `ready` / `ready_timeout` var is refused when the plan is made, before any host is touched
    hostReady(host)
    return {
      kind: 'start',
      options: {
        ...withoutBarrier(step.options),
        parallel: step.options.parallel ?? host.parallel ?? DEFAULTS.parallel,
        timeoutMs: step.options.timeoutMs ?? DEFAULTS.startTimeoutMs,
        startDelayMs: step.options.startDelayMs ?? 0,
      },
    }
  },
  describe: ({ options: o }) =>
    optionLine({
      parallel: o.parallel,
      timeout: secs(o.timeoutMs),
      start_delay: o.startDelayMs ? secs(o.startDelayMs) : undefined,
      group_delay: secs(o.groupDelayMs),
      sync_time: o.syncTime,
      wait_agent: secs(o.waitAgentMs),
      ready: o.ready ? probeSpec(o.ready) : undefined,
      ready_timeout: secs(o.readyTimeoutMs),
      tiers: list(o.tiers),
      guests: list(o.guests),
    }),
  run: (ctx, step) => runGuestJob(ctx, 'start', startHostJob({ ...step.options, ...(ctx.barrier ? { barrier: ctx.barrier } : {}) } as StartRunOptions)),
}
