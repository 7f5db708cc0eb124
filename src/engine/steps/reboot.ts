// Reboot as Ansible's reboot module does it: note the boot id, run the reboot command, then wait until SSH answers
// with a different boot id (and the test command, if any, succeeds), then the post-reboot delay.

import { errorMessage, UnreachableError } from '../../core/errors.js'
import type { HostSpec } from '../../inventory/types.js'
import { readBootId } from '../../libvirt/host-probes.js'
import type { HostSession } from '../../ssh/transport.js'
import { failed, ok, type StepContext, type StepHandler } from './handler.js'
import { optionLine, secs } from './options-line.js'
import { clockTimeout } from './timeout.js'

export const REBOOT_DEFAULTS = { command: 'systemctl reboot', rebootTimeoutMs: 600_000, connectTimeoutMs: 10_000, commandLimitMs: 30_000 }

export const reboot: StepHandler<'reboot'> = {
  kind: 'reboot',
  resolve: (step, host: HostSpec) => ({
    ...step,
    command: step.command ?? host.rebootCommand ?? REBOOT_DEFAULTS.command,
    rebootTimeoutMs: step.rebootTimeoutMs ?? REBOOT_DEFAULTS.rebootTimeoutMs,
    connectTimeoutMs: step.connectTimeoutMs ?? REBOOT_DEFAULTS.connectTimeoutMs,
  }),
  describe: (s) =>
    optionLine({
      command: s.command,
      reboot_timeout: secs(s.rebootTimeoutMs),
      connect_timeout: secs(s.connectTimeoutMs),
      post_reboot_delay: secs(s.postRebootDelayMs),
      test_command: s.testCommand,
    }),
  async run(ctx, step) {
    const s = await ctx.connection.get()
    const before = (await readBootId(s)).bootId
    const command = step.command ?? REBOOT_DEFAULTS.command
    const limit = clockTimeout(ctx.run.clock, REBOOT_DEFAULTS.commandLimitMs, ctx.run.signal)
    // The link may drop while the reboot command runs: that is the reboot happening, not a failure.
    const res = await s
      .exec(['sh', '-c', command], { signal: limit.signal })
      .catch((err: unknown) => (err instanceof UnreachableError ? { code: 0, stdout: '', stderr: '' } : Promise.reject(err)))
      .finally(limit.cancel)
    if (res.code !== 0 && res.code !== null) return failed(`reboot command \`${command}\` exited ${res.code}: ${res.stderr.trim()}`)
    await ctx.connection.drop()
    const back = await waitForNewBoot(ctx, step, before)
    ctx.connection.adopt(back.session)
    if (step.postRebootDelayMs) await ctx.run.clock.sleep(step.postRebootDelayMs, ctx.run.signal)
    return ok(`boot id ${before.slice(0, 8)}… → ${back.bootId.slice(0, 8)}…${step.testCommand ? ', test command ok' : ''}`)
  },
}

/** Poll until SSH answers with another boot id (and the test command passes), within the reboot timeout. */
async function waitForNewBoot(ctx: StepContext, step: Parameters<typeof reboot.run>[1], before: string): Promise<{ session: HostSession; bootId: string }> {
  const { clock, signal } = ctx.run
  const timeoutMs = step.rebootTimeoutMs ?? REBOOT_DEFAULTS.rebootTimeoutMs
  const t0 = clock.now()
  let last = 'no answer yet'
  while (clock.now() - t0 < timeoutMs) {
    await clock.sleep(ctx.reconnectEveryMs, signal)
    try {
      const s = await connectWithin(ctx, step.connectTimeoutMs ?? REBOOT_DEFAULTS.connectTimeoutMs)
      const id = await readBootId(s)
      if (id.ok && id.bootId !== '' && id.bootId !== before) {
        if (!step.testCommand) return { session: s, bootId: id.bootId }
        const test = await s.exec(['sh', '-c', step.testCommand], signal ? { signal } : {})
        if (test.code === 0) return { session: s, bootId: id.bootId }
        last = `test command \`${step.testCommand}\` exited ${test.code ?? 'by signal'}: ${test.stderr.trim()}`
      } else last = 'still the old boot id (reboot not begun yet)'
      await s.close().catch(() => undefined)
    } catch (err) {
      if (signal?.aborted) throw err
      last = errorMessage(err)
    }
  }
  throw new Error(`host did not come back with a new boot id within ${timeoutMs / 1000}s (last: ${last})`)
}

/** One SSH connection attempt, given up after `limitMs` on the run's clock. */
export async function connectWithin(ctx: StepContext, limitMs: number): Promise<HostSession> {
  const attempt = clockTimeout(ctx.run.clock, limitMs, ctx.run.signal)
  try {
    return await ctx.run.transport.connect(ctx.host, attempt.signal)
  } finally {
    attempt.cancel()
  }
}
