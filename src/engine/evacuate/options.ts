// Options of the evacuate and return steps, as data (what a flag, a playbook step or --check sets). Defaults are
// filled by the step handlers' resolve, so --check prints what will run.

import type { HostSpec } from '../../inventory/types.js'
import type { EvacuationStrategy } from '../placement.js'
import type { MigrationLimits } from '../migrate.js'
import type { StopRunOptions } from '../stop.js'

export interface MigrationTuning {
  /** Outgoing migrations per source host at once (default 2). */
  migrationsPerHost?: number
  /** Incoming migrations per destination at once (default 2). */
  incomingPerHost?: number
  bandwidthMiBs?: number
  /** Per migration, then `onTimeout` (default 10 min). */
  timeoutMs?: number
  onTimeout?: 'abort' | 'suspend'
  autoConverge?: boolean
  postcopy?: boolean
  copyStorage?: boolean
}

export interface EvacuateOptions extends MigrationTuning {
  /** Overrides the guests' tags and the host's `evacuate_strategy` var. */
  strategy?: EvacuationStrategy
  /** Destination host name patterns (globs) within the pool. */
  to?: string[]
  /** The hosts guests may go to (the CLI resolves `--to` against the inventory); default the run's own hosts. */
  pool?: HostSpec[]
  /** A playbook step's `to:`, an inventory host pattern: the CLI resolves it into `pool` before the play runs. */
  destinations?: string
  headroom?: number
  vcpuOvercommit?: number
  /** How guests that do not move are stopped (the stop step's options). */
  stop?: StopRunOptions
}

export interface ReturnOptions extends MigrationTuning {
  /** --no-return: leave migrated guests where they are (their entries leave the home host's list). */
  leave?: boolean
  /** Where migrated guests may be found (the inventory's hosts); default the run's own hosts. */
  pool?: HostSpec[]
}

export const MIGRATION_DEFAULTS = { migrationsPerHost: 2, incomingPerHost: 2, timeoutMs: 600_000, onTimeout: 'abort' as const }

/** The limits runMigrations takes, from tuning options with their defaults (evacuate and return alike). */
export function migrationLimits(o: MigrationTuning): MigrationLimits {
  return {
    perSource: o.migrationsPerHost ?? MIGRATION_DEFAULTS.migrationsPerHost,
    perDestination: o.incomingPerHost ?? MIGRATION_DEFAULTS.incomingPerHost,
    timeoutMs: o.timeoutMs ?? MIGRATION_DEFAULTS.timeoutMs,
    onTimeout: o.onTimeout ?? MIGRATION_DEFAULTS.onTimeout,
  }
}
