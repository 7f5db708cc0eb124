// Wait until the host answers over SSH (Ansible's wait_for_connection): an optional delay first, then one attempt
// per interval until the timeout.

import { ok, type StepHandler } from './handler.js'
import { optionLine, secs } from './options-line.js'

export const WAIT_FOR_SSH_TIMEOUT_MS = 300_000

export const waitForSsh: StepHandler<'wait_for_ssh'> = {
  kind: 'wait_for_ssh',
  resolve: (step) => ({ ...step, timeoutMs: step.timeoutMs ?? WAIT_FOR_SSH_TIMEOUT_MS }),
  describe: (s) => optionLine({ timeout: secs(s.timeoutMs), delay: secs(s.delayMs), interval: secs(s.intervalMs) }),
  async run(ctx, step) {
    const { clock, signal } = ctx.run
    const limit = step.timeoutMs ?? WAIT_FOR_SSH_TIMEOUT_MS
    if (step.delayMs) await clock.sleep(step.delayMs, signal)
    const w0 = clock.now()
    for (let attempts = 1; ; attempts++) {
      try {
        await ctx.connection.get()
        return ok(attempts > 1 ? `answered after ${attempts} attempts` : undefined)
      } catch (err) {
        if (signal?.aborted || clock.now() - w0 > limit) throw err
        await clock.sleep(step.intervalMs ?? ctx.reconnectEveryMs, signal)
      }
    }
  },
}
