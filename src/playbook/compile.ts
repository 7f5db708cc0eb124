// Turns a validated play into what the rolling engine runs: a host pattern, batch settings and host steps.
// Every play that changes guests is wrapped in preflight + lock ... unlock, so two runs never work on one host.

import { parseDuration } from '../core/duration.js'
import type { HostStep, RollingOptions } from '../engine/rolling.js'
import type { HostSpec } from '../inventory/types.js'
import type { Action } from '../core/types.js'
import type { Play, Step } from './types.js'

export interface CompiledPlay {
  name: string
  pattern: string
  rolling: Omit<RollingOptions, 'ask' | 'completed'>
  /** Play vars applied over each host's inventory values. */
  applyVars(host: HostSpec): HostSpec
}

function toHostStep(s: Step): HostStep {
  switch (s.kind) {
    case 'shutdown':
    case 'suspend':
      return {
        kind: 'stop',
        options: {
          action: s.kind === 'suspend' ? 'suspend' : s.action,
          fallback: s.fallback,
          timeoutMs: s.timeoutMs,
          hostTimeoutMs: s.hostTimeoutMs,
          parallel: s.parallel,
        },
      }
    case 'start':
      return { kind: 'start', options: { startDelayMs: s.startDelayMs, syncTime: s.syncTime, parallel: s.parallel, timeoutMs: s.timeoutMs } }
    case 'reboot':
      return { kind: 'reboot', command: s.command, rebootTimeoutMs: s.rebootTimeoutMs, connectTimeoutMs: s.connectTimeoutMs }
    case 'wait_for_ssh':
      return { kind: 'wait_for_ssh', timeoutMs: s.timeoutMs }
    case 'command':
      return { kind: 'command', run: s.run, become: s.become, timeoutMs: s.timeoutMs }
    case 'pause':
      return s.prompt ? { kind: 'confirm', prompt: s.prompt } : { kind: 'pause', ms: s.durationMs ?? 0 }
    case 'confirm':
      return { kind: 'confirm', prompt: s.prompt ?? 'Continue?' }
    case 'assert':
      return { kind: 'assert', guests: s.guests }
  }
}

export function compilePlay(play: Play): CompiledPlay {
  const changes = play.steps.some((s) => ['shutdown', 'suspend', 'start', 'reboot'].includes(s.kind))
  const suspends = play.steps.some((s) => s.kind === 'suspend' || (s.kind === 'shutdown' && s.action === 'suspend'))
  const steps: HostStep[] = []
  const ignoreErrors = new Set<number>()
  if (changes) steps.push({ kind: 'preflight', suspend: suspends }, { kind: 'lock' })
  for (const s of play.steps) {
    if (s.ignoreErrors) ignoreErrors.add(steps.length)
    steps.push(toHostStep(s))
  }
  if (changes) steps.push({ kind: 'unlock' })
  const v = play.vars
  return {
    name: play.name,
    pattern: play.hosts,
    rolling: {
      ...(play.serial ? { serial: play.serial } : {}),
      ...(play.maxFailPercentage !== undefined ? { maxFailPercentage: play.maxFailPercentage } : {}),
      steps,
      ignoreErrors,
    },
    applyVars: (host) => ({
      ...host,
      ...(v.timeout !== undefined ? { timeoutMs: parseDuration(v.timeout as string | number, 'vars.timeout') } : {}),
      ...(v.host_timeout !== undefined ? { hostTimeoutMs: parseDuration(v.host_timeout as string | number, 'vars.host_timeout') } : {}),
      ...(typeof v.parallel === 'number' ? { parallel: v.parallel } : {}),
      ...(typeof v.action === 'string' ? { action: v.action as Action } : {}),
      ...(v.fallback !== undefined
        ? { fallback: (Array.isArray(v.fallback) ? v.fallback : String(v.fallback).split(',')).map((x) => String(x).trim()) as Action[] }
        : {}),
      ...(typeof v.reboot_command === 'string' ? { rebootCommand: v.reboot_command } : {}),
      vars: { ...host.vars, ...v },
    }),
  }
}
