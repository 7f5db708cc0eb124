// The way back: every guest the home host's saved list records as `migratedTo: DEST` is live-migrated from DEST
// back to this host and its entry dropped; with `leave` (--no-return) the entries are dropped and the guests stay.
// The maintenance mark is cleared once nothing is left away. Each host guests come back from must first reach
// this one (the evacuation's pre-flight, the other way round); a guest whose host cannot stays there, reported.

import { errorMessage } from '../../core/errors.js'
import type { HostSession } from '../../ssh/transport.js'
import { clearMaintenance } from '../../state/maintenance.js'
import { removeEntries, SavedListStore, type SavedEntry } from '../../state/saved-list.js'
import { migrationSettings } from '../evacuate/settings.js'
import { reachFailure } from '../evacuate/reach.js'
import { MIGRATION_DEFAULTS, migrationLimits } from '../evacuate/options.js'
import { runMigrations, type MigrationJob } from '../migrate.js'
import { ok, type StepHandler } from './handler.js'
import { migratedReport } from './evacuate.js'
import { migrationEvents, tuningLine } from './migration-common.js'
import { optionLine } from './options-line.js'
import { guestId } from '../../core/report.js'

export const returnGuests: StepHandler<'return'> = {
  kind: 'return',
  resolve: (step) => ({
    kind: 'return',
    options: step.options.leave
      ? step.options
      : {
          ...step.options,
          migrationsPerHost: step.options.migrationsPerHost ?? MIGRATION_DEFAULTS.migrationsPerHost,
          incomingPerHost: step.options.incomingPerHost ?? MIGRATION_DEFAULTS.incomingPerHost,
          timeoutMs: step.options.timeoutMs ?? MIGRATION_DEFAULTS.timeoutMs,
          onTimeout: step.options.onTimeout ?? MIGRATION_DEFAULTS.onTimeout,
        },
  }),
  describe: ({ options: o }) => (o.leave ? 'leave migrated guests where they are' : optionLine(tuningLine(o))),
  async run(ctx, step) {
    const o = step.options
    const session = await ctx.connection.get()
    const store = new SavedListStore(session, ctx.host.stateDir, false)
    const away = (await store.read()).entries.filter((e) => e.migratedTo)
    if (away.length === 0) {
      await clearMaintenance(session, ctx.host.stateDir)
      return ok('no migrated guest to bring back')
    }
    if (o.leave) {
      const updated = await store.update((l) => removeEntries(l, away))
      ctx.state.savedList = { path: store.path, entries: updated.entries.length }
      const left = new Set(away.map((e) => e.uuid))
      for (const [k, g] of ctx.state.guests) if (k.startsWith('evacuate:') && left.has(g.uuid)) ctx.state.guests.set(k, { ...g, inSavedList: false })
      await clearMaintenance(session, ctx.host.stateDir)
      return ok(`left where they are: ${away.map((e) => `${e.name} on ${e.migratedTo}`).join(', ')}`)
    }
    const home = migrationSettings(ctx.host)
    const sessions = new Map<string, HostSession>()
    const problems: string[] = []
    const reach = new Map<string, string | undefined>()
    try {
      const jobs: Array<MigrationJob & { entry: SavedEntry }> = []
      for (const e of away) {
        const where = e.migratedTo as string
        const spec = (o.pool ?? ctx.fleet.hosts).find((h) => h.name === where)
        if (!spec) {
          problems.push(`${e.name}: ${where} is not in the inventory`)
          continue
        }
        if (!sessions.has(where)) {
          try {
            sessions.set(where, await ctx.run.transport.connect(spec, ctx.run.signal))
          } catch (err) {
            problems.push(`${e.name}: ${where} unreachable (${errorMessage(err)})`)
            continue
          }
        }
        // Pre-flight, once per source: the host the guest is on must reach home the way the migration will.
        if (!reach.has(where)) reach.set(where, await reachFailure(sessions.get(where) as HostSession, home.uri, ctx.run.clock, ctx.run.signal))
        const cannot = reach.get(where)
        if (cannot !== undefined) {
          problems.push(`${e.name}: still on ${where}, which cannot reach ${ctx.host.name} (${cannot})`)
          continue
        }
        jobs.push({
          entry: e,
          source: where,
          destination: ctx.host.name,
          uri: e.uri,
          uuid: e.uuid,
          name: e.name,
          options: {
            destinationUri: home.uri,
            ...(home.dataUri ? { dataUri: home.dataUri } : {}),
            ...(o.bandwidthMiBs !== undefined ? { bandwidthMiBs: o.bandwidthMiBs } : {}),
            ...(o.autoConverge ? { autoConverge: true } : {}),
            ...(o.postcopy ? { postcopy: true } : {}),
            ...(o.copyStorage ? { copyStorage: true } : {}),
          },
        })
      }
      const events = migrationEvents(ctx)
      const results = await runMigrations(
        jobs,
        migrationLimits(o),
        { session: async (h) => (h === ctx.host.name ? session : (sessions.get(h) as HostSession)), ...events },
        ctx.run.clock,
        ctx.run.signal,
      )
      const back = results.filter((r) => r.outcome === 'migrated')
      for (const r of results) {
        if (r.outcome === 'migrated') ctx.state.guests.set(`return:${guestId(r.job)}`, { ...migratedReport(r.job, r), inSavedList: false, note: 'back home' })
        else problems.push(`${r.job.name}: still on ${r.job.source} (${r.outcome}: ${r.error ?? ''})`)
      }
      if (back.length > 0) {
        const updated = await store.update((l) =>
          removeEntries(
            l,
            back.map((r) => r.job),
          ),
        )
        ctx.state.savedList = { path: store.path, entries: updated.entries.length }
      }
      if (problems.length > 0) return { ok: false, partial: back.length > 0, error: `${back.length} back home; ${problems.join('; ')}` }
      await clearMaintenance(session, ctx.host.stateDir)
      return ok(`${back.length} migrated back home`)
    } finally {
      await Promise.all([...sessions.values()].map((s) => s.close().catch(() => undefined)))
    }
  },
}
