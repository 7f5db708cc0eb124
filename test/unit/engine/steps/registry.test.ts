// The step registry: one handler module per step kind, found by its kind.
import { describe, expect, it } from 'vitest'
import { STEP_HANDLERS } from '../../../../src/engine/steps/registry.js'

describe('step registry', () => {
  it('each step kind has one handler, registered under its own kind', () => {
    for (const [kind, handler] of Object.entries(STEP_HANDLERS)) expect(handler.kind).toBe(kind)
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual(
      ['assert', 'command', 'confirm', 'evacuate', 'lock', 'pause', 'preflight', 'reboot', 'return', 'start', 'stop', 'unlock', 'wait_for_ssh'].sort(),
    )
  })
})
