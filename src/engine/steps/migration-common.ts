// What the evacuate and return steps share: migration events on the bus (started, percent, done) for the tree,
// the plain log and the journal, and the tuning options in one --check line.

import type { EvacuateOptions } from '../evacuate/options.js'
import type { MigrationJob, MigrationResult } from '../migrate.js'
import type { StepContext } from './handler.js'
import { secs } from './options-line.js'

export function migrationEvents(ctx: StepContext): {
  started: (job: MigrationJob) => void
  progress: (job: MigrationJob, percent: number) => void
  done: (r: MigrationResult) => void
} {
  const emit = (job: MigrationJob, rest: Record<string, unknown> & { status: 'started' | 'progress' | 'migrated' | 'failed' }) =>
    ctx.run.bus.emit({
      type: 'migration',
      host: ctx.host.name,
      source: job.source,
      guest: { uri: job.uri, uuid: job.uuid, name: job.name },
      destination: job.destination,
      ...rest,
      at: ctx.at(),
    } as Parameters<typeof ctx.run.bus.emit>[0])
  return {
    started: (job) => emit(job, { status: 'started' }),
    progress: (job, percent) => emit(job, { status: 'progress', percent }),
    done: (r) =>
      emit(r.job, {
        status: r.outcome === 'migrated' ? 'migrated' : 'failed',
        durationMs: r.durationMs,
        ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
        ...(r.downtimeMs !== undefined ? { downtimeMs: r.downtimeMs } : {}),
        ...(r.outcome !== 'migrated' ? { error: `${r.outcome}: ${r.error ?? ''}`.trim() } : {}),
      }),
  }
}

export function tuningLine(o: Omit<EvacuateOptions, 'strategy' | 'to' | 'stop'>): Record<string, string | number | boolean | undefined> {
  return {
    migrations_per_host: o.migrationsPerHost,
    incoming_per_host: o.incomingPerHost,
    bandwidth: o.bandwidthMiBs !== undefined ? `${o.bandwidthMiBs}MiB/s` : undefined,
    migration_timeout: secs(o.timeoutMs),
    on_timeout: o.onTimeout,
    auto_converge: o.autoConverge,
    postcopy: o.postcopy,
    copy_storage: o.copyStorage,
  }
}
