// Applies a host's stop plan: saved list first (before any guest is touched), then each guest's action chain under
// the per-host parallel limit, a per-guest timeout per step and an optional host budget. When the budget runs out,
// every guest not yet off escalates: a running step is cut and the next fallback tried; a guest still queued starts
// directly at its first fallback (or, with none, has its action requested once). No guest is silently skipped.

import { setMaxListeners } from 'node:events'
import { errorMessage, UnreachableError } from '../core/errors.js'
import { ConnectionLostError } from '../ssh/connect-errors.js'
import type { HostSpec } from '../inventory/types.js'
import { guestOrdering } from '../inventory/guest-ordering.js'
import type { Action } from '../core/types.js'
import { VirshDriver } from '../libvirt/driver.js'
import type { Guest } from '../libvirt/types.js'
import { StateWatcher } from '../libvirt/watcher.js'
import { warnSilentStreams } from './silent-streams.js'
import { SavedListStore, mergeEntries, type SavedList } from '../state/saved-list.js'
import type { HostJob, HostJobContext, RunContext } from './fleet.js'
import { runFleet } from './fleet.js'
import type { HostStopPlan, StopOptions, StopTarget } from './plan.js'
import { planHostStop } from './plan.js'
import { predictHostStop } from './longest-first.js'
import { guestId, type ActionAttempt, type GuestOutcome, type GuestReport, type RunReport } from '../core/report.js'
import { anySignal, manyListeners, Semaphore } from '../core/semaphore.js'
import { TIMER_CANCELLED } from '../core/clock.js'
import { turns } from './ordering.js'
import { Deadline, type RequestTime } from './deadline.js'

export interface StopRunOptions extends StopOptions {
  /** Safety-net poll interval for guest states (events do the real work). */
  pollMs?: number
}

const OUTCOME: Record<Action, GuestOutcome> = { shutdown: 'stopped', suspend: 'suspended', destroy: 'destroyed' }

export async function runStop(hosts: HostSpec[], ctx: RunContext, o: StopRunOptions): Promise<RunReport> {
  // A bad guest_order / guest_tiers / use_guest_tags is an input error before any host is contacted.
  for (const h of hosts) guestOrdering(h)
  return runFleet(hosts, ctx, stopHostJob(o))
}

export function stopHostJob(o: StopRunOptions): HostJob {
  return async (ctx) => {
    const driver = new VirshDriver(ctx.session, { bypassCache: o.bypassCache, mode: o.mode })
    const store = new SavedListStore(ctx.session, ctx.host.stateDir, o.libvirtGuestsList ?? false)
    const watcher = new StateWatcher(driver, ctx.clock, o.pollMs)
    // The listing, the saved list's current content and the event stream need nothing from each other: one round
    // trip for all three (channels of one connection), the stream ready before any guest is asked to stop.
    if (!ctx.check) watcher.start(ctx.host.uris)
    try {
      const [guests, described, saved] = await Promise.all([
        driver.listAll(ctx.host.uris),
        guestOrdering(ctx.host).useGuestTags ? driver.describeAll(ctx.host.uris) : undefined,
        store.read(),
      ])
      const history = o.history ?? ctx.history
      const plan = planHostStop(ctx.host, guests, history ? { ...o, history } : o, described)
      ctx.bus.emit({
        type: 'host-planned',
        host: ctx.host.name,
        guests: plan.targets.map((t) => ({ uri: t.guest.uri, uuid: t.guest.uuid, name: t.guest.name, plan: t.chain })),
        at: ctx.at(),
      })
      const predicted = history ? { predicted: predictHostStop(plan, history, o.tiers) } : {}
      if (ctx.check) {
        const inList = new Set(saved.entries.map((e) => e.uuid))
        return { guests: reportPlanOnly(plan, inList), savedList: { path: store.path, entries: saved.entries.length }, ...predicted }
      }
      // Nothing lost: the list is on the host's disk before any guest is asked to stop. The first wave of shutdown
      // requests rides in the same exec, run by the host's shell only once the list is written (one round trip).
      const savedAt = ctx.at()
      const change = (l: SavedList) =>
        mergeEntries(
          l,
          plan.save.map((g) => ({ uri: g.uri, uuid: g.uuid, name: g.name, action: plan.settings.action, savedAt, runId: ctx.runId })),
        )
      const wave = firstWave(plan, o)
      const asked = new Map<string, RequestTime>()
      let list: SavedList
      if (wave.length > 0) {
        const uri = wave[0]!.guest.uri
        const first = driver.firstShutdowns(
          uri,
          wave.map((t) => t.guest.uuid),
        )
        // The requests' step deadlines and reported start count from here, when they were sent (as for any request);
        // their guest-action events still come after saved-list-written, in the order the host ran them.
        const sentAt: RequestTime = { t0: ctx.clock.now(), startedAt: ctx.at() }
        const res = await store.updateThen(change, first.argv).catch((err: unknown) => {
          if (!(err instanceof ConnectionLostError) || !err.commandSent) throw err
          const names = wave.map((t) => t.guest.name).join(', ')
          throw new ConnectionLostError(
            ctx.host.name,
            `${err.reason ?? 'closed'}; it came while the saved list was written with the shutdown requests of ${names}: whether they went out is unknown`,
            { cause: err, commandSent: true },
          )
        })
        list = res.list
        if (res.then) {
          first.sent(res.then)
          for (const t of wave) asked.set(guestId(t.guest), sentAt)
        }
      } else list = await store.update(change)
      ctx.bus.emit({ type: 'saved-list-written', host: ctx.host.name, path: store.path, entries: list.entries.length, at: ctx.at() })
      const inList = new Set(list.entries.map((e) => e.uuid))
      const acted = await executeStopPlan(ctx, plan, driver, watcher, inList, o, asked)
      return {
        guests: [...acted, ...reportSide(plan, inList)],
        savedList: { path: store.path, entries: list.entries.length },
        ...predicted,
      }
    } finally {
      warnSilentStreams(ctx, watcher)
      watcher.close()
    }
  }
}

/**
 * The guests whose shutdown request can go out with the saved list: the ones that get a slot at once (the first
 * `parallel` of the first order group of the first tier), whose first action is a shutdown, on the first one's URI.
 * None with libvirt-guests' list mirrored (written after the list, it must land before any guest is touched too).
 */
export function firstWave(plan: HostStopPlan, o: Pick<StopRunOptions, 'tiers' | 'libvirtGuestsList'>): StopTarget[] {
  if (o.libvirtGuestsList) return []
  const group = turns(plan.targets, o.tiers ?? [], 'stop')[0]?.[0] ?? []
  const starting = group.slice(0, Math.max(1, plan.settings.parallel))
  const uri = starting.find((t) => t.chain[0] === 'shutdown')?.guest.uri
  return starting.filter((t) => t.chain[0] === 'shutdown' && t.guest.uri === uri)
}

function baseReport(g: Guest, inList: Set<string>): Omit<GuestReport, 'outcome' | 'ok' | 'attempts' | 'durationMs'> {
  return { uri: g.uri, uuid: g.uuid, name: g.name, initialState: g.state, persistent: g.persistent, inSavedList: inList.has(g.uuid) }
}

/** A guest the run did not act on: no attempts, no time spent. */
function untouched(g: Guest, inList: Set<string>, outcome: GuestOutcome, ok: boolean, extra: Partial<GuestReport> = {}): GuestReport {
  return { ...baseReport(g, inList), outcome, ok, attempts: [], durationMs: 0, ...extra }
}

function reportPlanOnly(plan: HostStopPlan, inList: Set<string>): GuestReport[] {
  return [
    ...plan.targets.map((t) => untouched(t.guest, inList, 'planned', true, { plan: t.chain, ...(t.note ? { note: t.note } : {}) })),
    ...reportSide(plan, inList),
  ]
}

function reportSide(plan: HostStopPlan, inList: Set<string>): GuestReport[] {
  return [
    ...plan.impossible.map((x) => untouched(x.guest, inList, 'still-running', false, { error: x.reason })),
    ...plan.excluded.map((x) => untouched(x.guest, inList, 'still-running', true, { note: x.reason })),
    ...plan.alreadyOff.map((g) => untouched(g, inList, 'already-off', true, { finalState: g.state })),
  ]
}

async function executeStopPlan(
  ctx: HostJobContext,
  plan: HostStopPlan,
  driver: VirshDriver,
  watcher: StateWatcher,
  inList: Set<string>,
  o: StopRunOptions,
  /** Guests ("URI UUID") whose shutdown request already went out with the saved list, and when: never reported untouched. */
  asked: ReadonlyMap<string, RequestTime> = new Map(),
): Promise<GuestReport[]> {
  const { settings } = plan
  const budget = manyListeners(new AbortController())
  const budgetTimer = new AbortController()
  const hostBudgetMs = settings.hostTimeoutMs
  if (hostBudgetMs !== undefined) {
    ctx.clock.sleep(hostBudgetMs, budgetTimer.signal).then(
      () => {
        ctx.bus.emit({
          type: 'log',
          level: 'warn',
          host: ctx.host.name,
          message: `host budget of ${hostBudgetMs / 1000}s exhausted: escalating every guest not yet off`,
          at: ctx.at(),
        })
        budget.abort(new Error('host budget exhausted'))
      },
      () => undefined,
    )
  }
  const interrupt = ctx.signal ?? new AbortController().signal
  setMaxListeners(0, interrupt)
  const slots = new Semaphore(Math.max(1, settings.parallel))

  const one = async (t: StopTarget): Promise<GuestReport> => {
    const g0 = ctx.clock.now()
    const attempts: ActionAttempt[] = []
    const done = (outcome: GuestOutcome, ok: boolean, extra: Partial<GuestReport> = {}): GuestReport => {
      const r: GuestReport = {
        ...baseReport(t.guest, inList),
        outcome,
        ok,
        attempts,
        durationMs: Math.round(ctx.clock.now() - g0),
        ...(t.note ? { note: t.note } : {}),
        ...extra,
      }
      ctx.bus.emit({ type: 'guest-done', host: ctx.host.name, guest: r, at: ctx.at() })
      return r
    }
    // A guest already asked holds one of the first slots whatever happens next: its attempt reports what became of it.
    const sent = asked.get(guestId(t.guest))
    const wasAsked = sent !== undefined
    const gotSlot = await slots.acquireUnless(wasAsked ? undefined : anySignal([budget.signal, interrupt]))
    try {
      if (interrupt.aborted && !wasAsked) return done('interrupted', false, { note: 'interrupted before its turn: not touched' })
      let index = 0
      let reason: ActionAttempt['reason'] = 'primary'
      let requestOnly = false
      if (!gotSlot) {
        // Host budget ran out while this guest was queued: go straight to the first fallback.
        reason = 'host-budget'
        if (t.chain.length > 1) index = 1
        else requestOnly = true
      }
      for (; index < t.chain.length; index++) {
        const action = t.chain[index] as Action
        const budgetLive = !budget.signal.aborted
        const r = await attempt(ctx, driver, watcher, t.guest, action, reason, {
          timeoutMs: requestOnly && action === 'shutdown' ? 0 : stepTimeoutMs(action, settings.timeoutMs),
          cut: budgetLive ? budget.signal : undefined,
          interrupt,
          ...(sent && attempts.length === 0 ? { sent } : {}),
        })
        attempts.push(r.attempt)
        if (r.attempt.result === 'ok') return done(OUTCOME[action], true, { finalState: 'shut off' })
        if (r.attempt.result === 'interrupted') return done('interrupted', false, { error: 'interrupted while in progress' })
        if (r.fatal) return done('failed', false, { error: r.attempt.error })
        reason = budgetLive && budget.signal.aborted ? 'host-budget' : 'fallback'
      }
      const last = attempts[attempts.length - 1]
      const note = requestOnly ? `host budget exhausted before its turn: ${t.chain[0]} requested, not confirmed` : undefined
      return done('still-running', false, { error: last?.error ?? 'not off', ...(note ? { note } : {}) })
    } finally {
      gotSlot?.()
    }
  }

  try {
    // Tier phases (fleet-wide, with a barrier), then order groups (per host), each finished before the next.
    const results: GuestReport[] = []
    const phases = turns(plan.targets, o.tiers ?? [], 'stop')
    const last = phases.length - 1
    for (const [p, groups] of phases.entries()) {
      for (const group of groups) results.push(...(await Promise.all(group.map(one))))
      if (o.barrier && p < last) await o.barrier.arrive(ctx.host.name, p)
    }
    return results
  } finally {
    o.barrier?.leave(ctx.host.name)
    budgetTimer.abort(TIMER_CANCELLED)
  }
}

/**
 * destroy is the last resort, and libvirt bounds it itself (SIGTERM, up to 10 s, then SIGKILL): cutting it at a
 * short --timeout meant for ACPI would leave a guest half-killed and reported still running on a loaded host.
 */
export const DESTROY_MIN_MS = 30_000

/** The time one attempt of `action` gets: --timeout, but never less than DESTROY_MIN_MS for destroy. */
export const stepTimeoutMs = (action: Action, timeoutMs: number): number => (action === 'destroy' ? Math.max(timeoutMs, DESTROY_MIN_MS) : timeoutMs)

interface AttemptLimits {
  timeoutMs: number
  /** The host budget: cuts the step short when it fires. */
  cut?: AbortSignal
  interrupt: AbortSignal
  /** The request already went out (with the saved list), at this time. */
  sent?: RequestTime
}

async function attempt(
  ctx: HostJobContext,
  driver: VirshDriver,
  watcher: StateWatcher,
  g: Guest,
  action: Action,
  reason: ActionAttempt['reason'],
  limits: AttemptLimits,
): Promise<{ attempt: ActionAttempt; fatal: boolean }> {
  const ref = { uri: g.uri, uuid: g.uuid, name: g.name }
  // One clock reading at the request: the step's timeout and its reported duration both count from it.
  const deadline = new Deadline(ctx.clock, limits.timeoutMs, limits.sent)
  const startedAt = deadline.startedAt
  ctx.bus.emit({ type: 'guest-action', host: ctx.host.name, guest: ref, action, reason, at: startedAt })
  const finish = (result: ActionAttempt['result'], error?: string, fatal = false) => {
    const a: ActionAttempt = { action, startedAt, endedAt: ctx.at(), durationMs: deadline.elapsedMs(), result, reason, ...(error ? { error } : {}) }
    ctx.bus.emit({ type: 'guest-action-result', host: ctx.host.name, guest: ref, action, result, ...(error ? { error } : {}), at: a.endedAt })
    return { attempt: a, fatal }
  }
  // One signal for "stop waiting": step deadline, host budget, or interrupt.
  const stop = anySignal([deadline.signal, limits.cut, limits.interrupt])
  const why = (): ActionAttempt['result'] => (limits.interrupt.aborted ? 'interrupted' : 'timeout')
  const whyText = () =>
    limits.interrupt.aborted ? 'interrupted' : limits.cut?.aborted ? 'host budget exhausted' : `no result within ${limits.timeoutMs / 1000}s`
  try {
    if (action === 'shutdown') {
      // A request-only shutdown (host budget spent before its turn) has no time of its own: the request is sent whole.
      await driver.shutdown(g.uri, g.uuid, limits.timeoutMs > 0 ? stop : limits.interrupt)
      const r = await watcher.waitFor(ref, 'off', deadline.remainingMs(), anySignal([limits.cut, limits.interrupt]))
      if (r === 'reached') return finish('ok')
      if (r === 'lost') return finish('failed', lostWhile(action, watcher.lostError, true), true)
      return finish(
        r === 'timeout' ? 'timeout' : why(),
        r === 'timeout' ? `did not power off within ${limits.timeoutMs / 1000}s (ACPI ignored or slow)` : whyText(),
      )
    }
    if (action === 'suspend') {
      try {
        await driver.managedsave(g.uri, g.uuid, stop)
      } catch (err) {
        if (stop.aborted) {
          // The attempt ended at its deadline; the job abort is cleanup the next fallback must wait for.
          const ended = finish(why(), whyText())
          await driver.abortJob(g.uri, g.uuid)
          return ended
        }
        throw err
      }
      return finish('ok')
    }
    await driver.destroy(g.uri, g.uuid, anySignal([deadline.signal, limits.interrupt]))
    return finish('ok')
  } catch (err) {
    if (stop.aborted && !(err instanceof UnreachableError)) return finish(why(), whyText())
    // The guest may have gone off by itself meanwhile (e.g. it finished an earlier ACPI request).
    if (!(err instanceof UnreachableError)) {
      const state = await driver.state(g.uri, g.uuid).catch(() => 'unknown' as const)
      if (state === undefined || state === 'shut off') return finish('ok')
    }
    if (err instanceof UnreachableError) return finish('failed', lostWhile(action, err, !(err instanceof ConnectionLostError) || err.commandSent), true)
    return finish('failed', errorMessage(err))
  } finally {
    deadline.cancel()
  }
}

/** What a lost connection leaves known about a guest: never asked (untouched), or asked and its state unknown. */
function lostWhile(action: Action, err: Error | undefined, sent: boolean): string {
  const why = err ? errorMessage(err) : 'connection lost'
  return sent ? `${action} requested, then the connection was lost: state unknown (${why})` : `not touched: connection lost before ${action} was sent (${why})`
}
