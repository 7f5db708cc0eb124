// Rolling maintenance: hosts in batches (Ansible's serial), each host through a list of steps — preflight, lock,
// stop, reboot, wait for SSH with a new boot id, start, verify, unlock, commands — stopping the roll before the next
// batch when a batch's failures exceed max-fail-percentage. Hosts not reached are reported 'skipped'.
// `completed` (from a journal) lets a resumed run skip host steps that already finished.

import { errorMessage, UnreachableError } from '../core/errors.js'
import { ExitCode } from '../core/exit-codes.js'
import type { HostSpec } from '../inventory/types.js'
import { VirshDriver } from '../libvirt/driver.js'
import { isActive } from '../libvirt/types.js'
import { HostLock } from '../state/host-lock.js'
import { SavedListStore } from '../state/saved-list.js'
import type { HostSession } from '../ssh/transport.js'
import { maxFailExceeded, planBatches, type SerialSpec } from './batches.js'
import type { HostJobContext, RunContext } from './fleet.js'
import { exitCodeFor, finishRun } from './fleet.js'
import type { StartRunOptions } from './start.js'
import { startHostJob } from './start.js'
import type { StopRunOptions } from './stop.js'
import { stopHostJob } from './stop.js'
import type { GuestReport, HostReport, RunReport, StepReport } from '../core/report.js'
import pMap from 'p-map'

export type HostStep =
  | { kind: 'preflight'; suspend?: boolean }
  | { kind: 'lock'; breakLock?: boolean }
  | { kind: 'unlock' }
  | { kind: 'stop'; options: StopRunOptions }
  | { kind: 'start'; options: StartRunOptions }
  | { kind: 'reboot'; command?: string; rebootTimeoutMs?: number; connectTimeoutMs?: number }
  | { kind: 'wait_for_ssh'; timeoutMs?: number }
  | { kind: 'command'; run: string | string[]; become?: boolean; timeoutMs?: number }
  | { kind: 'pause'; ms: number }
  | { kind: 'confirm'; prompt: string }
  | { kind: 'assert'; guests: 'running' | 'off' }

export interface RollingOptions {
  serial?: SerialSpec
  maxFailPercentage?: number
  /** Wait between batches. */
  pauseMs?: number
  /** Asked before each batch after the first; false stops the roll (remaining hosts skipped). */
  confirm?: (batch: { index: number; of: number; hosts: string[] }) => Promise<boolean>
  steps: HostStep[]
  /** Step indexes whose failure is only reported (playbook `ignore_errors`). */
  ignoreErrors?: Set<number>
  /** Answers a `confirm` step (one question at a time); absent = non-interactive: confirm steps fail. */
  ask?: (question: string) => Promise<boolean>
  /** Host steps already finished in an earlier attempt of this run (`host/step#index`), skipped on resume. */
  completed?: Set<string>
  /** Prefix of journaled step names, so several plays of one playbook keep distinct steps for resume. */
  stepPrefix?: string
  /** How often to retry SSH while waiting for a rebooting host. */
  reconnectEveryMs?: number
}

export const stepName = (s: HostStep, i: number): string => `${s.kind}#${i}`

/**
 * The host steps of the three maintenance commands, as data: drain = stop the guests, restore = start them
 * again and verify, reboot = both with a reboot between. Each runs inside pre-flight + host lock.
 */
export function maintenanceSteps(o: {
  stop?: StopRunOptions
  reboot?: Omit<Extract<HostStep, { kind: 'reboot' }>, 'kind'>
  start?: StartRunOptions
  breakLock?: boolean
}): HostStep[] {
  return [
    { kind: 'preflight', suspend: o.stop?.action === 'suspend' },
    { kind: 'lock', ...(o.breakLock ? { breakLock: true } : {}) },
    ...(o.stop ? [{ kind: 'stop' as const, options: o.stop }] : []),
    ...(o.reboot ? [{ kind: 'reboot' as const, ...o.reboot }] : []),
    ...(o.start
      ? [
          { kind: 'start' as const, options: o.start },
          { kind: 'assert' as const, guests: 'running' as const },
        ]
      : []),
    { kind: 'unlock' },
  ]
}

const BOOT_ID = ['cat', '/proc/sys/kernel/random/boot_id']
const DEFAULT_REBOOT_COMMAND = 'systemctl reboot'

export async function runRolling(hosts: HostSpec[], ctx: RunContext, o: RollingOptions): Promise<RunReport> {
  const at = () => ctx.clock.wallTime().toISOString()
  const startedAt = at()
  const t0 = ctx.clock.now()
  ctx.bus.emit({ type: 'run-start', command: ctx.command, runId: ctx.runId, hosts: hosts.map((h) => h.name), check: ctx.check, at: startedAt })
  const byName = new Map(hosts.map((h) => [h.name, h]))
  const batches = planBatches(
    hosts.map((h) => h.name),
    o.serial,
  )
  const reports = new Map<string, HostReport>()
  let aborted: string | undefined

  for (const [index, batch] of batches.entries()) {
    if (ctx.signal?.aborted) break
    if (index > 0) {
      if (o.pauseMs) {
        try {
          await ctx.clock.sleep(o.pauseMs, ctx.signal)
        } catch {
          break
        }
      }
      if (o.confirm && !(await o.confirm({ index, of: batches.length, hosts: batch }))) {
        aborted = `operator declined batch ${index + 1}`
        break
      }
    }
    ctx.bus.emit({ type: 'batch', index, of: batches.length, hosts: batch, status: 'started', at: at() })
    const results = await pMap(batch, (name) => runHost(byName.get(name) as HostSpec, ctx, o, at), { concurrency: Math.max(1, ctx.forks ?? 10) })
    for (const r of results) reports.set(r.host, r)
    const failed = results.filter((r) => r.status !== 'ok').length
    const exceeded = maxFailExceeded(batch.length, failed, o.maxFailPercentage ?? 0)
    ctx.bus.emit({ type: 'batch', index, of: batches.length, hosts: batch, status: exceeded ? 'aborted' : failed > 0 ? 'failed' : 'ok', at: at() })
    if (exceeded) {
      aborted = `batch ${index + 1}: ${failed} of ${batch.length} hosts failed, more than max-fail-percentage ${o.maxFailPercentage ?? 0}%`
      ctx.bus.emit({ type: 'log', level: 'error', message: `stopping the roll: ${aborted}`, at: at() })
      break
    }
  }

  const interrupted = ctx.signal?.aborted ?? false
  const all = hosts.map((h) => {
    const r = reports.get(h.name)
    if (r) return r
    const skipped: HostReport = {
      host: h.name,
      status: 'skipped',
      durationMs: 0,
      guests: [],
      error: aborted ? `not touched: ${aborted}` : interrupted ? 'not touched: interrupted' : 'not touched',
    }
    ctx.bus.emit({ type: 'host-done', host: h.name, report: skipped, at: at() })
    return skipped
  })
  const touched = all.filter((h) => h.status !== 'skipped')
  const code = interrupted ? ExitCode.interrupted : aborted ? ExitCode.aborted : exitCodeFor(touched, false)
  return finishRun(ctx, { startedAt, t0 }, all, code)
}

async function runHost(host: HostSpec, ctx: RunContext, o: RollingOptions, at: () => string): Promise<HostReport> {
  const h0 = ctx.clock.now()
  const steps: StepReport[] = []
  const guests = new Map<string, GuestReport>()
  let session: HostSession | undefined
  let bootId: string | undefined
  // The lock lives on the host's disk; its handle is rebuilt on the current session (a reboot replaces it).
  let locked = false
  const hostLock = async () => new HostLock(await connect(), host.stateDir, ctx.runId)
  let savedPath: { path: string; entries: number } | undefined
  ctx.bus.emit({ type: 'host-start', host: host.name, at: at() })

  const finish = (status: HostReport['status'], error?: string): HostReport => {
    const report: HostReport = {
      host: host.name,
      status,
      durationMs: Math.round(ctx.clock.now() - h0),
      guests: [...guests.values()],
      steps,
      ...(error ? { error } : {}),
      ...(savedPath ? { savedList: savedPath } : {}),
    }
    ctx.bus.emit({ type: 'host-done', host: host.name, report, at: at() })
    return report
  }
  const connect = async (): Promise<HostSession> => {
    session ??= await ctx.transport.connect(host, ctx.signal)
    return session
  }
  const jobCtx = async (): Promise<HostJobContext> => ({ ...ctx, host, session: await connect(), at })

  for (const [i, step] of o.steps.entries()) {
    const name = `${o.stepPrefix ?? ''}${stepName(step, i)}`
    const key = `${host.name}/${name}`
    if (o.completed?.has(key)) {
      steps.push({ step: step.kind, status: 'skipped', durationMs: 0, detail: 'done in an earlier attempt of this run' })
      ctx.bus.emit({ type: 'host-step', host: host.name, step: name, status: 'skipped', detail: 'already done', at: at() })
      continue
    }
    if (ctx.signal?.aborted) return finish('interrupted', `interrupted before ${step.kind}`)
    const s0 = ctx.clock.now()
    ctx.bus.emit({ type: 'host-step', host: host.name, step: name, status: 'started', at: at() })
    let detail: string | undefined
    let failure: string | undefined
    try {
      switch (step.kind) {
        case 'preflight':
          detail = await preflight(await connect(), host, !!step.suspend)
          break
        case 'lock': {
          const r = await (await hostLock()).acquire({ breakLock: step.breakLock })
          locked = r.acquired
          if (!r.acquired) failure = r.reason
          else if (r.tookOver) detail = `took over stale lock of run ${r.tookOver.runId}`
          break
        }
        case 'unlock':
          await (await hostLock()).release()
          locked = false
          break
        case 'stop':
        case 'start': {
          const job = step.kind === 'stop' ? stopHostJob(step.options) : startHostJob(step.options)
          const r = await job(await jobCtx())
          for (const g of r.guests) guests.set(`${step.kind}:${g.uri} ${g.uuid}`, g)
          if (r.savedList) savedPath = r.savedList
          const bad = r.guests.filter((g) => !g.ok)
          if (bad.length > 0) failure = `${bad.length} guest(s) not ${step.kind === 'stop' ? 'off' : 'running'}: ${bad.map((g) => g.name).join(', ')}`
          break
        }
        case 'reboot': {
          const s = await connect()
          const before = (await s.exec(BOOT_ID)).stdout.trim()
          bootId = before
          const command = step.command ?? host.rebootCommand ?? DEFAULT_REBOOT_COMMAND
          const res = await s
            .exec(['sh', '-c', command], { signal: AbortSignal.timeout(30_000) })
            .catch((err: unknown) => (err instanceof UnreachableError ? { code: 0, stdout: '', stderr: '' } : Promise.reject(err)))
          if (res.code !== 0 && res.code !== null) {
            failure = `reboot command \`${command}\` exited ${res.code}: ${res.stderr.trim()}`
            break
          }
          await s.close().catch(() => undefined)
          session = undefined
          const back = await waitForReboot(host, ctx, before, step.rebootTimeoutMs ?? 600_000, o.reconnectEveryMs ?? 2000)
          session = back.session
          detail = `boot id ${before.slice(0, 8)}… → ${back.bootId.slice(0, 8)}…`
          break
        }
        case 'wait_for_ssh': {
          const limit = step.timeoutMs ?? 300_000
          const w0 = ctx.clock.now()
          for (;;) {
            try {
              await connect()
              break
            } catch (err) {
              if (ctx.clock.now() - w0 > limit) throw err
              await ctx.clock.sleep(o.reconnectEveryMs ?? 2000, ctx.signal)
            }
          }
          break
        }
        case 'command': {
          const argv = typeof step.run === 'string' ? ['sh', '-c', step.run] : step.run
          const res = await (
            await connect()
          ).exec(argv, {
            ...(step.become !== undefined ? { become: step.become } : {}),
            ...(step.timeoutMs ? { signal: AbortSignal.timeout(step.timeoutMs) } : {}),
          })
          const shown = typeof step.run === 'string' ? step.run : step.run.join(' ')
          detail = (res.stdout.trim().split('\n').pop() ?? '').slice(0, 200)
          if (res.code !== 0) failure = `\`${shown}\` exited ${res.code ?? 'by signal'}: ${res.stderr.trim()}`
          break
        }
        case 'confirm': {
          if (!o.ask) failure = `confirmation needed ("${step.prompt}") but there is no terminal to ask; use --yes`
          else if (!(await askInTurn(() => (o.ask as (q: string) => Promise<boolean>)(`${host.name}: ${step.prompt}`)))) failure = 'operator declined'
          break
        }
        case 'pause':
          await ctx.clock.sleep(step.ms, ctx.signal)
          break
        case 'assert': {
          const s = await connect()
          const driver = new VirshDriver(s)
          const store = new SavedListStore(s, host.stateDir, false)
          const listed = step.guests === 'running' ? [...guests.values()].filter((g) => g.inSavedList || g.outcome === 'started') : []
          const live = (await Promise.all(host.uris.map((u) => driver.list(u)))).flat()
          const wrong = listed.filter((g) => {
            const l = live.find((x) => x.uuid === g.uuid && x.uri === g.uri)
            return step.guests === 'running' ? !l || !isActive(l.state) : !!l && isActive(l.state)
          })
          const remaining = (await store.read()).entries.length
          if (wrong.length > 0) failure = `not ${step.guests}: ${wrong.map((g) => g.name).join(', ')}`
          else detail = `${listed.length} guest(s) ${step.guests}; saved list has ${remaining} entr${remaining === 1 ? 'y' : 'ies'}`
          break
        }
      }
    } catch (err) {
      failure = errorMessage(err)
      if (err instanceof UnreachableError) session = undefined
    }
    const durationMs = Math.round(ctx.clock.now() - s0)
    if (failure !== undefined && o.ignoreErrors?.has(i)) {
      steps.push({ step: step.kind, status: 'failed', durationMs, error: `${failure} (ignored)` })
      ctx.bus.emit({ type: 'host-step', host: host.name, step: name, status: 'failed', error: `${failure} (ignored)`, durationMs, at: at() })
      continue
    }
    if (failure !== undefined) {
      steps.push({ step: step.kind, status: 'failed', durationMs, error: failure })
      ctx.bus.emit({ type: 'host-step', host: host.name, step: name, status: 'failed', error: failure, durationMs, at: at() })
      // Free the lock for the operator when the host is reachable; if not, it stays (stale-lock detection frees it).
      if (locked)
        await hostLock()
          .then((l) => l.release())
          .catch(() => undefined)
      return finish(ctx.signal?.aborted ? 'interrupted' : step.kind === 'stop' || step.kind === 'start' ? 'partial' : 'failed', `${step.kind}: ${failure}`)
    }
    steps.push({ step: step.kind, status: 'ok', durationMs, ...(detail ? { detail } : {}) })
    ctx.bus.emit({ type: 'host-step', host: host.name, step: name, status: 'ok', durationMs, ...(detail ? { detail } : {}), at: at() })
  }
  void bootId
  return finish('ok')
}

let askChain: Promise<unknown> = Promise.resolve()
/** One question on the terminal at a time, even with several hosts in flight. */
function askInTurn(q: () => Promise<boolean>): Promise<boolean> {
  const next = askChain.then(q)
  askChain = next.catch(() => undefined)
  return next
}

/** As Ansible's reboot module: the host is back when SSH answers and the boot id differs from before. */
async function waitForReboot(
  host: HostSpec,
  ctx: RunContext,
  before: string,
  timeoutMs: number,
  everyMs: number,
): Promise<{ session: HostSession; bootId: string }> {
  const t0 = ctx.clock.now()
  let last = 'no answer yet'
  while (ctx.clock.now() - t0 < timeoutMs) {
    await ctx.clock.sleep(everyMs, ctx.signal)
    try {
      const s = await ctx.transport.connect(host, ctx.signal)
      const res = await s.exec(BOOT_ID)
      const id = res.stdout.trim()
      if (res.code === 0 && id !== '' && id !== before) return { session: s, bootId: id }
      last = 'still the old boot id (reboot not begun yet)'
      await s.close().catch(() => undefined)
    } catch (err) {
      last = errorMessage(err)
    }
  }
  throw new Error(`host did not come back with a new boot id within ${timeoutMs / 1000}s (last: ${last})`)
}

/** Reachable, libvirt answers on every URI, and (when suspending) enough free disk for the managed-save images. */
async function preflight(session: HostSession, host: HostSpec, suspend: boolean): Promise<string> {
  const driver = new VirshDriver(session)
  let running = 0
  for (const uri of host.uris) running += (await driver.list(uri)).filter((g) => isActive(g.state)).length
  if (!suspend) return `libvirt ok, ${running} guest(s) active`
  const need = await guestMemoryKiB(session, host.uris)
  const df = await session.exec(['sh', '-c', 'd=/var/lib/libvirt/qemu/save; [ -d "$d" ] || d=/var/lib/libvirt; df -Pk "$d" | tail -1'])
  const avail = Number(df.stdout.trim().split(/\s+/)[3])
  if (!Number.isFinite(avail)) throw new Error(`cannot read free disk space: ${df.stderr.trim() || df.stdout.trim()}`)
  if (need > avail) throw new Error(`not enough disk for managed-save images: guests use ${Math.round(need / 1024)} MiB, ${Math.round(avail / 1024)} MiB free`)
  return `libvirt ok, ${running} guest(s) active, ${Math.round(need / 1024)} MiB of RAM to save, ${Math.round(avail / 1024)} MiB free`
}

/** Sum of active guests' current memory (balloon) from one `virsh domstats` per URI. */
export async function guestMemoryKiB(session: HostSession, uris: string[]): Promise<number> {
  let total = 0
  for (const uri of uris) {
    const res = await session.exec(['virsh', '-c', uri, 'domstats', '--list-active', '--balloon'])
    if (res.code !== 0) throw new Error(`virsh domstats failed: ${res.stderr.trim()}`)
    total += parseBalloonTotal(res.stdout)
  }
  return total
}

export function parseBalloonTotal(stdout: string): number {
  let total = 0
  for (const m of stdout.matchAll(/^\s*balloon\.current=(\d+)\s*$/gm)) total += Number(m[1])
  return total
}
