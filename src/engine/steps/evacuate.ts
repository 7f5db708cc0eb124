// Evacuate a host by live migration: read the facts (source guests, usable destinations outside this batch), place
// every guest (engine/placement.ts), migrate as placed (engine/migrate.ts), record each moved guest in the host's
// saved list (`migratedTo`), and send every guest that did not move through the stop step's own engine. Before
// anything moves, the source must reach each destination it will use (evacuate/reach.ts).

import { guestId, type GuestReport } from '../../core/report.js'
import { Semaphore } from '../../core/semaphore.js'
import { matchesAny } from '../../core/glob.js'
import type { HostSession } from '../../ssh/transport.js'
import { markMaintenance } from '../../state/maintenance.js'
import { mergeEntries, SavedListStore } from '../../state/saved-list.js'
import { compareCpus, destinationRefusal, openDestinations, sourceGuests, type Destination, type SourceGuest } from '../evacuate/facts.js'
import { MIGRATION_DEFAULTS, migrationLimits, type EvacuateOptions } from '../evacuate/options.js'
import { runMigrations, type MigrationJob, type MigrationResult } from '../migrate.js'
import { DEFAULT_PLACEMENT, type PlacementPlan } from '../placement.js'
import { placeReachable, reachFailure } from '../evacuate/reach.js'
import type { RunContext } from '../fleet.js'
import { stopHostJob } from '../stop.js'
import { runGuestJob } from './guests.js'
import { failed, ok, type StepContext, type StepHandler, type StepResult } from './handler.js'
import { list, optionLine, secs } from './options-line.js'
import { migrationEvents, tuningLine } from './migration-common.js'

/** One evacuation at a time per run: each plans on capacity that already counts the guests moved before it. */
const inFlight = new WeakMap<RunContext, Semaphore>()

export interface EvacuationFacts {
  guests: SourceGuest[]
  destinations: Destination[]
  refused: Array<{ host: string; reason: string }>
  plan: PlacementPlan
}

/** Load a plan puts on destinations that their facts do not show yet (`--check` planning host after host). */
export type PendingLoad = ReadonlyMap<string, { memoryKiB: number; vcpus: number }>

/** Read and place, nothing changed: what the step runs first and what `evacuate --check` prints. */
export async function gatherAndPlan(ctx: StepContext, session: HostSession, o: EvacuateOptions, pending?: PendingLoad): Promise<EvacuationFacts> {
  const guests = await sourceGuests(session, ctx.host, o.strategy, o.stop?.guests)
  const batch = new Set(ctx.fleet.batch)
  const candidates = (o.pool ?? ctx.fleet.hosts).filter(
    (h) => h.name !== ctx.host.name && !batch.has(h.name) && (!o.to || o.to.length === 0 || matchesAny(o.to, h.name)),
  )
  const { usable, refused } =
    guests.length > 0 ? await openDestinations(ctx.run.transport, candidates, ctx.run.runId, ctx.run.signal) : { usable: [], refused: [] }
  await compareCpus(guests, usable)
  // A flag (or step option) applies to every destination; without one, each destination's own vars, then defaults.
  const facts = usable.map((d) => ({
    ...d.facts,
    availableKiB: d.facts.availableKiB - (pending?.get(d.spec.name)?.memoryKiB ?? 0),
    runningVcpus: d.facts.runningVcpus + (pending?.get(d.spec.name)?.vcpus ?? 0),
    ...(o.headroom === undefined && d.settings.headroom !== undefined ? { headroom: d.settings.headroom } : {}),
    ...(o.vcpuOvercommit === undefined && d.settings.vcpuOvercommit !== undefined ? { vcpuOvercommit: d.settings.vcpuOvercommit } : {}),
  }))
  const byName = new Map(usable.map((d) => [d.spec.name, d]))
  const plan = await placeReachable(
    ctx.host.name,
    guests,
    facts,
    {
      headroom: o.headroom ?? DEFAULT_PLACEMENT.headroom,
      vcpuOvercommit: o.vcpuOvercommit ?? DEFAULT_PLACEMENT.vcpuOvercommit,
      copyStorage: o.copyStorage ?? false,
    },
    (h) => reachFailure(session, (byName.get(h) as Destination).settings.uri, ctx.run.clock, ctx.run.signal),
  )
  return { guests, destinations: usable, refused, plan }
}

export const evacuate: StepHandler<'evacuate'> = {
  kind: 'evacuate',
  resolve: (step) => ({
    kind: 'evacuate',
    options: {
      ...step.options,
      migrationsPerHost: step.options.migrationsPerHost ?? MIGRATION_DEFAULTS.migrationsPerHost,
      incomingPerHost: step.options.incomingPerHost ?? MIGRATION_DEFAULTS.incomingPerHost,
      timeoutMs: step.options.timeoutMs ?? MIGRATION_DEFAULTS.timeoutMs,
      onTimeout: step.options.onTimeout ?? MIGRATION_DEFAULTS.onTimeout,
    },
  }),
  describe: ({ options: o }) =>
    optionLine({
      strategy: o.strategy,
      to: list(o.to ?? o.pool?.map((h) => h.name)),
      memory_headroom: o.headroom !== undefined ? `${Math.round(o.headroom * 1000) / 10}%` : undefined,
      vcpu_overcommit: o.vcpuOvercommit,
      ...tuningLine(o),
      fallback_action: o.stop?.action,
      fallback_chain: list(o.stop?.fallback),
      fallback_timeout: secs(o.stop?.timeoutMs),
    }),
  async run(ctx, step) {
    let gate = inFlight.get(ctx.run)
    if (!gate) inFlight.set(ctx.run, (gate = new Semaphore(1)))
    const release = await gate.acquireUnless(ctx.run.signal)
    if (!release) return failed('interrupted before the evacuation began: nothing moved')
    const opened: Destination[] = []
    try {
      return await evacuateHost(ctx, step.options, opened)
    } finally {
      release()
      await Promise.all(opened.map((d) => d.session.close().catch(() => undefined)))
    }
  },
}

async function evacuateHost(ctx: StepContext, o: EvacuateOptions, opened: Destination[]): Promise<StepResult> {
  const session = await ctx.connection.get()
  // Marked first: from now on no other placement picks this host (the mark stays until the guests come back).
  await markMaintenance(session, ctx.run.runId, ctx.at(), ctx.host.stateDir)
  const facts = await gatherAndPlan(ctx, session, o)
  opened.push(...facts.destinations)
  if (facts.guests.length === 0) return ok('no guest running')
  const log = (level: 'info' | 'warn', message: string) => ctx.run.bus.emit({ type: 'log', level, host: ctx.host.name, message, at: ctx.at() })
  for (const r of facts.refused) log('warn', `destination ${r.host} left out: ${r.reason}`)
  for (const p of facts.plan.placements) log('info', p.kind === 'migrate' ? `${p.guest.name} → ${p.destination}` : `${p.guest.name}: ${p.kind} (${p.reason})`)

  const byUuid = new Map(facts.guests.map((g) => [g.uuid, g]))
  const dests = new Map(facts.destinations.map((d) => [d.spec.name, d]))
  const jobs: MigrationJob[] = facts.plan.placements.flatMap((p) => {
    if (p.kind !== 'migrate') return []
    const d = dests.get(p.destination) as Destination
    const g = byUuid.get(p.guest.uuid) as SourceGuest
    return [
      {
        source: ctx.host.name,
        destination: p.destination,
        uri: g.uri,
        uuid: g.uuid,
        name: g.name,
        options: {
          destinationUri: d.settings.uri,
          ...(d.settings.dataUri ? { dataUri: d.settings.dataUri } : {}),
          ...(o.bandwidthMiBs !== undefined ? { bandwidthMiBs: o.bandwidthMiBs } : {}),
          ...(o.autoConverge ? { autoConverge: true } : {}),
          ...(o.postcopy ? { postcopy: true } : {}),
          ...(o.copyStorage ? { copyStorage: true } : {}),
        },
      },
    ]
  })

  // Each moved guest is written to the list the moment it lands: the list says where every guest went.
  const store = new SavedListStore(session, ctx.host.stateDir, false)
  const writes: Array<Promise<unknown>> = []
  const events = migrationEvents(ctx)
  const results = await runMigrations(
    jobs,
    migrationLimits(o),
    {
      session: async (h) => (h === ctx.host.name ? session : (dests.get(h) as Destination).session),
      destinationUsable: async (h) => {
        const d = dests.get(h) as Destination
        return destinationRefusal(d.session, d.spec, ctx.run.runId)
      },
      started: events.started,
      progress: events.progress,
      done: (r) => {
        events.done(r)
        if (r.outcome === 'migrated')
          writes.push(
            store.update((l) =>
              mergeEntries(l, [
                {
                  uri: r.job.uri,
                  uuid: r.job.uuid,
                  name: r.job.name,
                  action: 'shutdown',
                  savedAt: ctx.at(),
                  runId: ctx.run.runId,
                  migratedTo: r.job.destination,
                },
              ]),
            ),
          )
      },
    },
    ctx.run.clock,
    ctx.run.signal,
  )
  await Promise.all(writes)
  if (writes.length > 0) ctx.state.savedList = { path: store.path, entries: (await store.read()).entries.length }
  for (const r of results)
    if (r.outcome === 'migrated') ctx.state.guests.set(`evacuate:${guestId(r.job)}`, migratedReport(byUuid.get(r.job.uuid) as SourceGuest, r))

  return fallbacks(ctx, o, facts, results)
}

export function migratedReport(g: { uri: string; uuid: string; name: string }, r: MigrationResult, from = r.job.source): GuestReport {
  return {
    uri: g.uri,
    uuid: g.uuid,
    name: g.name,
    initialState: 'running',
    persistent: true,
    outcome: 'migrated',
    ok: true,
    attempts: [],
    durationMs: r.durationMs,
    inSavedList: true,
    note: `now on ${r.job.destination}`,
    migration: {
      from,
      to: r.job.destination,
      durationMs: r.durationMs,
      ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
      ...(r.downtimeMs !== undefined ? { downtimeMs: r.downtimeMs } : {}),
    },
  }
}

/** Guests that did not move: stopped (or suspended) through the stop engine, or left running and reported. */
async function fallbacks(ctx: StepContext, o: EvacuateOptions, facts: EvacuationFacts, results: MigrationResult[]): Promise<StepResult> {
  const why = new Map<string, string>()
  const stop: string[] = []
  const suspend: string[] = []
  const stuck: string[] = []
  const interrupted: string[] = []
  const outcome = new Map(results.map((r) => [r.job.uuid, r]))
  for (const p of facts.plan.placements) {
    const g = p.guest
    if (p.kind !== 'migrate') {
      why.set(g.uuid, p.reason)
      if (p.kind === 'blocked') stuck.push(`${g.name} (${p.reason})`)
      else (p.kind === 'stop' ? stop : suspend).push(g.uuid)
    } else {
      const r = outcome.get(g.uuid)
      if (!r || r.outcome === 'migrated') continue
      why.set(g.uuid, `migration to ${p.destination} ${r.outcome}: ${r.error ?? ''}`.trim())
      if (r.outcome === 'interrupted') interrupted.push(`${g.name} (still on ${ctx.host.name})`)
      else if (g.strategy === 'migrate-or-stop') stop.push(g.uuid)
      else stuck.push(`${g.name} (${r.error ?? r.outcome}; still on ${ctx.host.name})`)
    }
  }
  const errors: string[] = []
  for (const [uuids, action] of [
    [stop, o.stop?.action],
    [suspend, 'suspend'],
  ] as const) {
    if (uuids.length === 0 || ctx.run.signal?.aborted) continue
    const r = await runGuestJob(ctx, 'stop', stopHostJob({ ...o.stop, ...(action ? { action } : {}), guests: [...uuids] }))
    if (!r.ok) errors.push(r.error)
  }
  // The stop reports say what happened; the reason they were not migrated goes with them.
  for (const [k, g] of ctx.state.guests)
    if (k.startsWith('stop:') && why.has(g.uuid))
      ctx.state.guests.set(k, { ...g, note: [g.note, `not migrated: ${why.get(g.uuid)}`].filter(Boolean).join('; ') })
  const moved = results.filter((r) => r.outcome === 'migrated')
  const summary = `${moved.length} migrated${stop.length + suspend.length ? `, ${stop.length + suspend.length} stopped/suspended` : ''}`
  if (stuck.length) errors.push(`${stuck.length} guest(s) could not move and stay running: ${stuck.join(', ')}`)
  if (interrupted.length) errors.push(`interrupted: ${interrupted.join(', ')}`)
  if (errors.length === 0) return ok(summary)
  return { ok: false, partial: true, error: `${summary}; ${errors.join('; ')}` }
}
