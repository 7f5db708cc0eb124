// The operator's steps: `pause` waits a fixed time (its prompt shown on the log while it waits), `confirm` asks
// through the run's one-question-at-a-time asker and fails when nobody can answer (use --yes in CI).

import { failed, ok, type StepHandler } from './handler.js'
import { optionLine, secs } from './options-line.js'

export const pause: StepHandler<'pause'> = {
  kind: 'pause',
  resolve: (step) => step,
  describe: (s) => optionLine({ wait: secs(s.ms), prompt: s.prompt }),
  async run(ctx, step) {
    if (step.prompt) ctx.run.bus.emit({ type: 'log', level: 'info', host: ctx.host.name, message: step.prompt, at: ctx.at() })
    await ctx.run.clock.sleep(step.ms, ctx.run.signal)
    return ok(step.prompt ? `${step.prompt} (waited ${step.ms / 1000}s)` : undefined)
  },
}

export const confirm: StepHandler<'confirm'> = {
  kind: 'confirm',
  resolve: (step) => step,
  describe: (s) => optionLine({ prompt: s.prompt }),
  async run(ctx, step) {
    if (!ctx.ask) return failed(`confirmation needed ("${step.prompt}") but there is no terminal to ask; use --yes`)
    return (await ctx.ask(`${ctx.host.name}: ${step.prompt}`)) ? ok() : failed('operator declined')
  },
}
