// The host lock (on the host's own disk): taken before anything changes, so two runs never work on one host.
// `unlock` gives it back; the executor also frees it when a later step fails.

import { HostLock } from '../../state/host-lock.js'
import { failed, ok, type StepContext, type StepHandler } from './handler.js'

/** The lock handle is rebuilt on the current session: a reboot replaces the session, not the lock. */
export async function hostLock(ctx: StepContext): Promise<HostLock> {
  return new HostLock(await ctx.connection.get(), ctx.host.stateDir, ctx.run.runId)
}

export const lock: StepHandler<'lock'> = {
  kind: 'lock',
  resolve: (step) => ({ kind: 'lock', breakLock: step.breakLock ?? false }),
  describe: (step) => (step.breakLock ? 'break a dead run’s lock' : ''),
  async run(ctx, step) {
    const r = await (await hostLock(ctx)).acquire({ breakLock: step.breakLock })
    ctx.state.locked = r.acquired
    if (!r.acquired) return failed(r.reason)
    return ok(r.tookOver ? `took over stale lock of run ${r.tookOver.runId}` : undefined)
  },
}

export const unlock: StepHandler<'unlock'> = {
  kind: 'unlock',
  resolve: (step) => step,
  describe: () => '',
  async run(ctx) {
    await (await hostLock(ctx)).release()
    ctx.state.locked = false
    return ok()
  },
}
