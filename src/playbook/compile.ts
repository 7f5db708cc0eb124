// Turns a validated play into what the rolling engine runs: a host pattern, batch settings and host steps.
// Every play that changes guests is wrapped in preflight + lock ... unlock, so two runs never work on one host;
// a reboot after an evacuate step first asserts that the host is empty.

import { parseDuration } from '../core/duration.js'
import type { HostStep, RollingOptions } from '../engine/rolling.js'
import type { HostSpec } from '../inventory/types.js'
import type { Action } from '../core/types.js'
import type { MigrationTuning } from '../engine/evacuate/options.js'
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
      return {
        kind: 'start',
        options: {
          startDelayMs: s.startDelayMs,
          syncTime: s.syncTime,
          parallel: s.parallel,
          timeoutMs: s.timeoutMs,
          ...(s.ready ? { ready: s.ready } : {}),
          ...(s.readyTimeoutMs !== undefined ? { readyTimeoutMs: s.readyTimeoutMs } : {}),
        },
      }
    case 'reboot':
      return defined({
        kind: 'reboot',
        command: s.command,
        rebootTimeoutMs: s.rebootTimeoutMs,
        connectTimeoutMs: s.connectTimeoutMs,
        postRebootDelayMs: s.postRebootDelayMs,
        testCommand: s.testCommand,
      })
    case 'wait_for_ssh':
      return defined({ kind: 'wait_for_ssh', timeoutMs: s.timeoutMs, delayMs: s.delayMs, intervalMs: s.intervalMs })
    case 'command':
      return { kind: 'command', run: s.run, become: s.become, timeoutMs: s.timeoutMs }
    case 'pause':
      // A prompt alone waits for the operator; with a duration, the prompt is shown for that long (as Ansible).
      if (s.prompt && s.durationMs === undefined) return { kind: 'confirm', prompt: s.prompt }
      return defined({ kind: 'pause', ms: s.durationMs ?? 0, prompt: s.prompt })
    case 'confirm':
      return { kind: 'confirm', prompt: s.prompt ?? 'Continue?' }
    case 'assert':
      return defined({ kind: 'assert', guests: s.guests, msg: s.msg })
    case 'evacuate': {
      const stop = defined({ action: s.action, fallback: s.fallback, timeoutMs: s.stopTimeoutMs, parallel: s.parallel })
      return {
        kind: 'evacuate',
        options: defined({
          strategy: s.strategy,
          destinations: s.destinations,
          headroom: s.headroom,
          vcpuOvercommit: s.vcpuOvercommit,
          ...tuning(s),
          stop: Object.keys(stop).length > 0 ? stop : undefined,
        }),
      }
    }
    case 'return':
      return { kind: 'return', options: defined({ leave: s.leave, ...tuning(s) }) }
  }
}

function tuning(s: MigrationTuning): MigrationTuning {
  return defined({
    migrationsPerHost: s.migrationsPerHost,
    incomingPerHost: s.incomingPerHost,
    bandwidthMiBs: s.bandwidthMiBs,
    timeoutMs: s.timeoutMs,
    onTimeout: s.onTimeout,
    autoConverge: s.autoConverge,
    postcopy: s.postcopy,
    copyStorage: s.copyStorage,
  })
}

/** Never reboot a host that is not empty: after an evacuate step, a reboot step is preceded by this check. */
export const NOT_EMPTY: HostStep = { kind: 'assert', guests: 'off', msg: 'host not empty, not rebooted' }

/** Drop options left out, so a compiled step lists only what the play says. */
function defined<T extends object>(step: T): T {
  return Object.fromEntries(Object.entries(step).filter(([, v]) => v !== undefined)) as T
}

export function compilePlay(play: Play): CompiledPlay {
  const changes = play.steps.some((s) => ['shutdown', 'suspend', 'start', 'reboot', 'evacuate', 'return'].includes(s.kind))
  const suspends = play.steps.some(
    (s) =>
      s.kind === 'suspend' ||
      ((s.kind === 'shutdown' || s.kind === 'evacuate') && s.action === 'suspend') ||
      (s.kind === 'evacuate' && s.strategy === 'suspend'),
  )
  const steps: HostStep[] = []
  const ignoreErrors = new Set<number>()
  if (changes) steps.push({ kind: 'preflight', suspend: suspends }, { kind: 'lock' })
  let evacuated = false
  for (const s of play.steps) {
    if (s.kind === 'reboot' && evacuated) steps.push(NOT_EMPTY)
    evacuated ||= s.kind === 'evacuate'
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
      ...(play.order ? { order: play.order } : {}),
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
      ...(typeof v.port === 'number' ? { port: v.port } : {}),
      vars: { ...host.vars, ...v },
    }),
  }
}
