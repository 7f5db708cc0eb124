// The evacuation flags (evacuate; `--evacuate` on drain and reboot; `--no-return` on restore and reboot) and their
// mapping to the engine's typed options. Bad values are typed errors naming the flag (headroom and overcommit go
// through the same parsers as the inventory vars: InputError, exit 4).

import { Flags } from '@oclif/core'
import { UsageError } from '../core/errors.js'
import type { HostSpec } from '../inventory/types.js'
import type { EvacuateOptions, MigrationTuning, ReturnOptions } from '../engine/evacuate/options.js'
import { EVACUATION_STRATEGIES, type EvacuationStrategy } from '../engine/placement.js'
import { parseHeadroom, parseOvercommit } from '../engine/evacuate/settings.js'
import { optionalDuration, type ConnectionFlagValues } from './flags.js'
import { resolveRunHosts } from './assemble-run.js'

export const migrationFlags = {
  'migrations-per-host': Flags.integer({ min: 1, summary: 'Outgoing live migrations per source host at once (default 2).' }),
  'incoming-per-host': Flags.integer({ min: 1, summary: 'Incoming live migrations per destination host at once (default 2).' }),
  bandwidth: Flags.integer({ min: 1, summary: 'Bandwidth limit per migration, MiB/s (default: unlimited).' }),
  'migration-timeout': Flags.string({ summary: 'Time one migration may take before --on-timeout applies (default 10m).' }),
  'on-timeout': Flags.string({
    options: ['abort', 'suspend'],
    summary: 'When a migration times out: abort (the guest stays on its source and goes to its stop chain) or suspend (pause it so the copy completes).',
  }),
  'auto-converge': Flags.boolean({ summary: 'Let libvirt throttle busy guests so their migration converges.' }),
  postcopy: Flags.boolean({
    summary:
      'Switch to post-copy after one pre-copy pass. RISK: the guest then runs on the destination while its memory is still on the source; if either host or the link fails before the copy ends, the guest is lost.',
  }),
  'copy-storage': Flags.boolean({ summary: 'Copy disks that are not on shared storage (slow; without it such guests are blocked).' }),
}

export const evacuateFlags = {
  to: Flags.string({ summary: 'Destination host pattern (Ansible syntax) within the inventory; default every host not being evacuated.' }),
  strategy: Flags.string({
    options: [...EVACUATION_STRATEGIES],
    summary: "Per-guest strategy for all guests (default: the guest's virtfleet:evacuate= tag, then the host's evacuate_strategy var, then migrate-or-stop).",
  }),
  'memory-headroom': Flags.string({
    summary: "Memory every destination keeps free after placement, as a percentage, e.g. 15% (default: the destination's memory_headroom var, else 10%).",
  }),
  'vcpu-overcommit': Flags.string({
    summary: "Cap on vCPUs per physical CPU of a destination, running guests included, e.g. 2 (default: the destination's vcpu_overcommit var, else 4).",
  }),
  ...migrationFlags,
}

export const evacuateSwitch = {
  evacuate: Flags.boolean({ summary: 'Move guests away by live migration first; only guests that cannot move are stopped (saved list first).' }),
}

export const returnFlags = {
  'no-return': Flags.boolean({ summary: 'Leave migrated guests where they are (their entries leave the home host’s saved list).' }),
}

type TuningFlags = {
  'migrations-per-host'?: number
  'incoming-per-host'?: number
  bandwidth?: number
  'migration-timeout'?: string
  'on-timeout'?: string
  'auto-converge'?: boolean
  postcopy?: boolean
  'copy-storage'?: boolean
}

function tuning(flags: TuningFlags): MigrationTuning {
  const timeoutMs = optionalDuration(flags['migration-timeout'], '--migration-timeout')
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new UsageError('--migration-timeout: must be more than 0')
  return {
    ...(flags['migrations-per-host'] !== undefined ? { migrationsPerHost: flags['migrations-per-host'] } : {}),
    ...(flags['incoming-per-host'] !== undefined ? { incomingPerHost: flags['incoming-per-host'] } : {}),
    ...(flags.bandwidth !== undefined ? { bandwidthMiBs: flags.bandwidth } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(flags['on-timeout'] ? { onTimeout: flags['on-timeout'] as 'abort' | 'suspend' } : {}),
    ...(flags['auto-converge'] ? { autoConverge: true } : {}),
    ...(flags.postcopy ? { postcopy: true } : {}),
    ...(flags['copy-storage'] ? { copyStorage: true } : {}),
  }
}

type EvacuateFlagValues = TuningFlags & { strategy?: string; 'memory-headroom'?: string; 'vcpu-overcommit'?: string }

export function evacuateOptionsFromFlags(flags: EvacuateFlagValues, pool: HostSpec[]): EvacuateOptions {
  return {
    ...tuning(flags),
    ...(flags.strategy ? { strategy: flags.strategy as EvacuationStrategy } : {}),
    ...(flags['memory-headroom'] !== undefined ? { headroom: parseHeadroom(flags['memory-headroom'], '--memory-headroom') } : {}),
    ...(flags['vcpu-overcommit'] !== undefined ? { vcpuOvercommit: parseOvercommit(flags['vcpu-overcommit'], '--vcpu-overcommit') } : {}),
    pool,
  }
}

export function returnOptionsFromFlags(flags: TuningFlags & { 'no-return'?: boolean }, pool: HostSpec[]): ReturnOptions {
  return { ...tuning(flags), ...(flags['no-return'] ? { leave: true } : {}), pool }
}

/** The hosts evacuated guests may go to (and come home from): `--to`, else the whole inventory, never `--limit`. */
export async function migrationPool(flags: ConnectionFlagValues & { to?: string }): Promise<HostSpec[]> {
  const { 'only-host': _onlyHost, ...rest } = flags
  return (await resolveRunHosts({ ...rest, limit: flags.to ?? 'all' })).hosts
}

/** drain and reboot: an evacuation flag without --evacuate would be silently ignored, so it is a usage error. */
export function requireEvacuateSwitch(flags: Record<string, unknown> & { evacuate?: boolean }): void {
  if (flags.evacuate) return
  const given = [...Object.keys(evacuateFlags), ...Object.keys(returnFlags)].filter((k) => flags[k] !== undefined && flags[k] !== false)
  if (given.length > 0) throw new UsageError(`${given.map((k) => `--${k}`).join(', ')}: only with --evacuate`)
}
