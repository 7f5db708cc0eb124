// Run a command on the host: a string is a shell line (`sh -c`), a list is an argv quoted by the transport.
// A non-zero exit fails the step; the last line of its output is the step's detail.

import { failed, ok, type StepHandler } from './handler.js'
import { optionLine, secs } from './options-line.js'
import { clockTimeout } from './timeout.js'

export const command: StepHandler<'command'> = {
  kind: 'command',
  resolve: (step) => step,
  describe: (s) => optionLine({ run: typeof s.run === 'string' ? s.run : JSON.stringify(s.run), become: s.become, timeout: secs(s.timeoutMs) }),
  async run(ctx, step) {
    const argv = typeof step.run === 'string' ? ['sh', '-c', step.run] : step.run
    const limit = step.timeoutMs ? clockTimeout(ctx.run.clock, step.timeoutMs, ctx.run.signal) : undefined
    const res = await (
      await ctx.connection.get()
    )
      .exec(argv, {
        ...(step.become !== undefined ? { become: step.become } : {}),
        ...(limit ? { signal: limit.signal } : {}),
      })
      .finally(() => limit?.cancel())
    const shown = typeof step.run === 'string' ? step.run : step.run.join(' ')
    if (res.code !== 0) return failed(`\`${shown}\` exited ${res.code ?? 'by signal'}: ${res.stderr.trim()}`)
    return ok((res.stdout.trim().split('\n').pop() ?? '').slice(0, 200) || undefined)
  },
}
