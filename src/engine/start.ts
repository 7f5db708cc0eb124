// Applies a host's start plan: start what its saved list holds (or the named guests), `parallel` at a time, with at
// least `startDelayMs` between two starts (libvirt-guests' START_DELAY). An entry leaves the list only once its guest is
// confirmed running; a failed start stays listed and is reported. With a readiness probe, a guest then counts as done
// when its probe succeeds (or is reported not ready), so the next order group / tier starts after it is ready.

import { setMaxListeners } from 'node:events'
import { errorMessage } from '../core/errors.js'
import type { HostSpec } from '../inventory/types.js'
import { guestOrdering } from '../inventory/guest-ordering.js'
import { VirshDriver } from '../libvirt/driver.js'
import type { Guest } from '../libvirt/types.js'
import { StateWatcher } from '../libvirt/watcher.js'
import { warnSilentStreams } from './silent-streams.js'
import { SavedListStore, removeEntries } from '../state/saved-list.js'
import type { HostJob, RunContext } from './fleet.js'
import { runFleet } from './fleet.js'
import type { StartOptions, StartTarget } from './plan.js'
import { planHostStart } from './plan.js'
import type { ActionAttempt, GuestReport, RunReport } from '../core/report.js'
import { anySignal, Semaphore } from '../core/semaphore.js'
import { turns } from './ordering.js'
import { Deadline } from './deadline.js'
import { waitUntilReady } from './readiness.js'
import { guestReady, hostReady, probeSpec, type GuestReady, type ReadyFlags } from './ready-settings.js'
import { describeProbe } from '../libvirt/readiness.js'
import { formatDuration } from '../core/duration.js'

export interface StartRunOptions extends StartOptions {
  pollMs?: number
}

export async function runStart(hosts: HostSpec[], ctx: RunContext, o: StartRunOptions): Promise<RunReport> {
  // A bad guest_order / guest_tiers / use_guest_tags is an input error before any host is contacted.
  for (const h of hosts) {
    guestOrdering(h)
    hostReady(h)
  }
  return runFleet(hosts, ctx, startHostJob(o))
}

export function startHostJob(o: StartRunOptions): HostJob {
  return async (ctx) => {
    const driver = new VirshDriver(ctx.session, { bypassCache: o.bypassCache })
    const store = new SavedListStore(ctx.session, ctx.host.stateDir, o.libvirtGuestsList ?? false)
    // The saved list, the listing and the description tags need nothing from each other: one round trip for all
    // three (channels of one connection), as a stop does.
    const [saved, live, described] = await Promise.all([
      store.read(),
      driver.listAll(ctx.host.uris),
      guestOrdering(ctx.host).useGuestTags ? driver.describeAll(ctx.host.uris) : undefined,
    ])
    const plan = planHostStart(ctx.host, saved, live, o, described)
    // Every probe is resolved (and a bad guest tag refused) before the first guest starts.
    const flags = readyFlags(o)
    const readyOf = new Map<StartTarget, GuestReady>()
    for (const t of plan.targets) if (t.kind === 'start' && t.guest) readyOf.set(t, guestReady(ctx.host, t.guest.name, t.tags?.ready, flags))
    ctx.bus.emit({
      type: 'host-planned',
      host: ctx.host.name,
      guests: plan.targets.map((t) => ({ ...refOf(t), plan: t.kind === 'start' ? (['start'] as const).slice() : [] })),
      at: ctx.at(),
    })
    if (ctx.check) {
      return {
        guests: plan.targets.map((t) => ({
          ...base(t),
          outcome: t.kind === 'already-running' ? ('already-running' as const) : t.kind === 'missing' ? ('not-started' as const) : ('planned' as const),
          ok: t.kind !== 'missing',
          attempts: [],
          durationMs: 0,
          plan: t.kind === 'start' ? ['start' as const] : [],
          ...(t.kind === 'missing' ? { error: 'guest is not defined on this host (kept in the saved list)' } : {}),
        })),
        savedList: { path: store.path, entries: saved.entries.length },
      }
    }
    // Only a restore is waited for: the event stream (an exec and a virsh process on the host) is opened for none other.
    const watcher = new StateWatcher(driver, ctx.clock, o.pollMs)
    if (plan.targets.some((t) => t.kind === 'start' && restores(t))) watcher.start(ctx.host.uris)
    const slots = new Semaphore(Math.max(1, plan.parallel))
    let nextStartAt = ctx.clock.now()
    const interrupt = ctx.signal ?? new AbortController().signal
    // every queued guest of every host listens to the run's one interrupt signal: many listeners are expected
    setMaxListeners(0, interrupt)
    // A list that cannot be shortened leaves a stale entry (harmless: the next start finds the guest running), so
    // the guest keeps its outcome in the report, with the reason, instead of failing the whole host.
    const dropFromList = async (t: StartTarget): Promise<string | undefined> => {
      if (!t.entry) return undefined
      try {
        const updated = await store.update((l) => removeEntries(l, [t.entry as { uri: string; uuid: string }]))
        remaining = updated.entries.length
        return undefined
      } catch (err) {
        return `running, but its saved-list entry could not be removed: ${errorMessage(err)}`
      }
    }
    let remaining = saved.entries.length

    const one = async (t: StartTarget): Promise<GuestReport> => {
      const g0 = ctx.clock.now()
      const attempts: ActionAttempt[] = []
      const done = (r: Pick<GuestReport, 'outcome' | 'ok'> & Partial<GuestReport>): GuestReport => {
        const report: GuestReport = { ...base(t), attempts, durationMs: Math.round(ctx.clock.now() - g0), ...r }
        ctx.bus.emit({ type: 'guest-done', host: ctx.host.name, guest: report, at: ctx.at() })
        return report
      }
      if (t.kind === 'missing')
        return done({ outcome: 'not-started', ok: false, error: 'guest is not defined on this host (kept in the saved list)', inSavedList: true })
      if (t.kind === 'already-running') {
        const listError = await dropFromList(t)
        return done({ outcome: 'already-running', ok: !listError, inSavedList: !!listError, finalState: 'running', ...(listError ? { error: listError } : {}) })
      }
      const guest = t.guest as Guest
      const acquired = await slots.acquireUnless(interrupt)
      if (!acquired) return done({ outcome: 'interrupted', ok: false, note: 'interrupted before its turn: not started', inSavedList: !!t.entry })
      // A guest waiting for readiness gives its slot back: `parallel` bounds the starts, not the boots.
      let held = true
      const slot = () => {
        if (held) acquired()
        held = false
      }
      try {
        // START_DELAY: space out the starts themselves, whatever the parallelism.
        const wait = nextStartAt - ctx.clock.now()
        nextStartAt = Math.max(nextStartAt, ctx.clock.now()) + plan.startDelayMs
        if (wait > 0) {
          try {
            await ctx.clock.sleep(wait, interrupt)
          } catch {
            return done({ outcome: 'interrupted', ok: false, note: 'interrupted before its turn: not started', inSavedList: !!t.entry })
          }
        }
        const ref = refOf(t)
        // One clock reading at the request: the start timeout and the reported duration both count from it.
        const deadline = new Deadline(ctx.clock, plan.timeoutMs)
        const startedAt = deadline.startedAt
        const s0 = deadline.t0
        ctx.bus.emit({ type: 'guest-action', host: ctx.host.name, guest: ref, action: 'start', reason: 'primary', at: startedAt })
        const record = (result: ActionAttempt['result'], error?: string, action: ActionAttempt['action'] = 'start', t1 = s0, at1 = startedAt) => {
          const a: ActionAttempt = {
            action,
            startedAt: at1,
            endedAt: ctx.at(),
            durationMs: Math.round(ctx.clock.now() - t1),
            result,
            reason: 'primary',
            ...(error ? { error } : {}),
          }
          attempts.push(a)
          ctx.bus.emit({ type: 'guest-action-result', host: ctx.host.name, guest: ref, action, result, ...(error ? { error } : {}), at: a.endedAt })
        }
        const timeoutText = `not running within ${plan.timeoutMs / 1000}s after start`
        let confirmed = false
        try {
          await driver.start(guest.uri, guest.uuid, anySignal([deadline.signal, interrupt]))
          confirmed = !restores(t)
        } catch (err) {
          // Raced with someone else starting it (or its answer came after the deadline)? Then it runs, as we want.
          const state = await driver.state(guest.uri, guest.uuid).catch(() => undefined)
          if (state !== 'running') {
            deadline.cancel()
            const result = interrupt.aborted ? 'interrupted' : deadline.passed ? 'timeout' : 'failed'
            const error = result === 'timeout' ? timeoutText : errorMessage(err)
            record(result, error)
            return done({ outcome: interrupt.aborted ? 'interrupted' : 'not-started', ok: false, error, inSavedList: !!t.entry })
          }
          confirmed = true
        }
        const r = confirmed ? 'reached' : await watcher.waitFor(ref, 'running', deadline.remainingMs(), interrupt)
        deadline.cancel()
        if (r === 'lost') {
          const msg = `start requested, then the connection was lost: state unknown (${errorMessage(watcher.lostError)})`
          record('failed', msg)
          return done({ outcome: 'not-started', ok: false, error: msg, inSavedList: !!t.entry })
        }
        if (r !== 'reached') {
          const msg = r === 'timeout' ? timeoutText : 'interrupted'
          record(r === 'timeout' ? 'timeout' : 'interrupted', msg)
          return done({ outcome: r === 'timeout' ? 'not-started' : 'interrupted', ok: false, error: msg, inSavedList: !!t.entry })
        }
        const runningAfterMs = Math.round(ctx.clock.now() - s0)
        record('ok')
        // The list update runs alongside the readiness wait: a slow host must not delay seeing the guest ready.
        const listDrop = dropFromList(t)
        let note: string | undefined
        /** The guest runs: started (ok unless its saved-list entry could not be dropped), with what readiness saw. */
        const started = (listError: string | undefined, ready: Partial<GuestReport> = {}) =>
          done({
            outcome: 'started',
            ok: !listError,
            inSavedList: !!listError,
            finalState: 'running',
            runningAfterMs,
            ...ready,
            ...(note ? { note } : {}),
            ...(listError ? { error: listError } : {}),
          })
        if (o.syncTime && restores(t)) {
          const y0 = ctx.clock.now()
          const yAt = ctx.at()
          try {
            await driver.syncTime(guest.uri, guest.uuid, interrupt)
            record('ok', undefined, 'sync-time', y0, yAt)
          } catch (err) {
            // A guest without an agent cannot sync: worth a note, not a failure (as libvirt-guests).
            note = `time sync failed: ${errorMessage(err)}`
            record('failed', errorMessage(err), 'sync-time', y0, yAt)
          }
        }
        const rd = readyOf.get(t)
        if (rd && rd.probe.kind !== 'none') {
          slot()
          // Verification only: the guest runs (so its entry is gone), but one that never gets ready is reported.
          const verb = rd.probe.kind === 'agent' ? 'agent' : 'ready'
          const a0 = ctx.clock.now()
          const aAt = ctx.at()
          ctx.bus.emit({ type: 'guest-action', host: ctx.host.name, guest: ref, action: verb, reason: 'primary', at: aAt })
          const res = await waitUntilReady(ctx.session, guest, { probe: rd.probe, timeoutMs: rd.timeoutMs }, ctx.clock, interrupt)
          const spec = probeSpec(rd.probe)
          const readyAfterMs = Math.round(ctx.clock.now() - s0)
          const readyAt = ctx.at()
          const listError = await listDrop
          if (!res.ready) {
            const why = `not ready within ${formatDuration(rd.timeoutMs)}: ${describeProbe(rd.probe)}${res.lastError ? ` (last: ${res.lastError})` : ''}`
            record(interrupt.aborted ? 'interrupted' : 'timeout', why, verb, a0, aAt)
            return done({
              outcome: interrupt.aborted ? 'interrupted' : 'not-ready',
              ok: false,
              inSavedList: !!listError,
              finalState: 'running',
              runningAfterMs,
              ready: spec,
              error: `running, but ${why}${listError ? `; ${listError}` : ''}`,
              ...(note ? { note } : {}),
            })
          }
          record('ok', undefined, verb, a0, aAt)
          return started(listError, { readyAfterMs, readyAt, ready: spec })
        }
        return started(await listDrop)
      } finally {
        slot()
      }
    }
    try {
      // Tier phases in reverse stop order (fleet-wide barrier), then ascending order groups with a pause between.
      const guests: GuestReport[] = []
      const phases = turns(plan.targets, o.tiers ?? [], 'start')
      const last = phases.length - 1
      for (const [p, groups] of phases.entries()) {
        for (const [i, group] of groups.entries()) {
          // Readiness gates the next group; the fixed pause is the fallback after a group with an unprobed guest.
          const prev = groups[i - 1] ?? []
          const allProbed = prev.every((t) => t.kind !== 'start' || (readyOf.get(t)?.probe.kind ?? 'none') !== 'none')
          if (i > 0 && o.groupDelayMs && !allProbed) await ctx.clock.sleep(o.groupDelayMs, interrupt).catch(() => undefined)
          guests.push(...(await Promise.all(group.map(one))))
        }
        if (o.barrier && p < last) await o.barrier.arrive(ctx.host.name, p)
      }
      return { guests, savedList: { path: store.path, entries: remaining } }
    } finally {
      o.barrier?.leave(ctx.host.name)
      warnSilentStreams(ctx, watcher)
      watcher.close()
    }
  }
}

/**
 * Whether starting this guest restores a managed save. libvirt answers `virsh start` once a booted guest's CPUs run
 * (virtfleet never starts one paused), so a boot is confirmed by its own success. A restore resumes the guest only if
 * it ran when saved (Started, then Suspended otherwise): it is confirmed by the guest's state.
 */
function restores(t: StartTarget): boolean {
  return !!t.guest?.managedSave || t.entry?.action === 'suspend'
}

function refOf(t: StartTarget): { uri: string; uuid: string; name: string } {
  const src = t.guest ?? t.entry
  if (!src) throw new Error('start target without guest or entry')
  return { uri: src.uri, uuid: src.uuid, name: src.name }
}

function base(t: StartTarget): Omit<GuestReport, 'outcome' | 'ok' | 'attempts' | 'durationMs'> {
  return { ...refOf(t), initialState: t.guest?.state ?? 'unknown', persistent: t.guest?.persistent ?? true, inSavedList: !!t.entry }
}

/** `--wait-agent D` is `--ready agent --ready-timeout D`. */
function readyFlags(o: StartRunOptions): ReadyFlags {
  if (o.waitAgentMs !== undefined) return { ready: { kind: 'agent' }, readyTimeoutMs: o.waitAgentMs }
  return { ...(o.ready ? { ready: o.ready } : {}), ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}) }
}
