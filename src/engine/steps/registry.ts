// Step kind → handler. Adding a step kind: a member in HostStep (rolling/types.ts), one handler file here, one
// line below; the mapped type makes a missing line a compile error.

import type { HostStep, StepKind, StepOf } from '../rolling/types.js'
import { assert } from './assert.js'
import { command } from './command.js'
import { evacuate } from './evacuate.js'
import { start, stop } from './guests.js'
import type { StepHandler } from './handler.js'
import { lock, unlock } from './lock.js'
import { confirm, pause } from './operator.js'
import { preflight } from './preflight.js'
import { reboot } from './reboot.js'
import { returnGuests } from './return.js'
import { waitForSsh } from './wait-for-ssh.js'

export const STEP_HANDLERS: { readonly [K in StepKind]: StepHandler<K> } = {
  preflight,
  lock,
  unlock,
  stop,
  start,
  reboot,
  wait_for_ssh: waitForSsh,
  command,
  pause,
  confirm,
  assert,
  evacuate,
  return: returnGuests,
}

/** The handler of a step, typed to that step. */
export function handlerFor<K extends StepKind>(step: StepOf<K>): StepHandler<K> {
  return STEP_HANDLERS[step.kind as K]
}

/** A step's options in one line (for --check), by its handler. */
export function describeStep(step: HostStep): string {
  return (STEP_HANDLERS[step.kind] as StepHandler<StepKind>).describe(step as never)
}
