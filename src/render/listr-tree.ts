// The live TTY view: a listr2 tree fleet → host → guest driven only by FleetEvents. Task functions await promises
// that bus events resolve; titles are rewritten as actions start, fall back and finish. Limits: listr2 starts every
// concurrent task at once, so hosts and guests the engine has not reached yet spin with a "waiting" title; above
// maxVisibleHosts hosts, hosts are shown as groups with aggregate counts (details are in the summary afterwards).

import { Listr, ListrLogger, ListrTaskEventType, ProcessOutput } from 'listr2'
import type { ListrTask, ListrTaskWrapper } from 'listr2'
import { formatDuration } from '../core/duration.js'
import type { EventBus, FleetEvent } from '../core/events.js'
import type { GuestRef, GuestReport, HostReport, RunReport, Verb } from '../core/report.js'
import type { AttachedRenderer } from './types.js'
import { exitCodeMeaning, goalWord, guestResultText, hostFailed, outcomeCounts, outcomeWord } from './words.js'

export type TreeRendererName = 'default' | 'simple' | 'verbose' | 'test' | 'silent'

export interface ListrTreeOptions {
  /** Where the tree is drawn; default process.stdout. listr2 takes over this stream's writes while drawing. */
  stream?: NodeJS.WriteStream
  /** Above this many hosts, hosts are grouped into at most this many aggregate lines; default 30. */
  maxVisibleHosts?: number
  /** listr2 renderer; default 'default' on a TTY stream, 'simple' otherwise. 'test'/'silent' are for tests. */
  renderer?: TreeRendererName
}

type Ctx = Record<string, never>
// The renderer type parameters only matter to listr2's own option typing; tasks here use none of them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Wrapper = ListrTaskWrapper<Ctx, any, any>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Task = ListrTask<Ctx, any, any>

class Deferred<T> {
  readonly promise: Promise<T>
  settled = false
  private res!: (v: T) => void
  constructor() {
    this.promise = new Promise<T>((r) => (this.res = r))
  }
  resolve(v: T): void {
    if (this.settled) return
    this.settled = true
    this.res(v)
  }
}

// The root keeps its host (or group) lines once finished; a finished host folds its guests away (a failed
// one keeps them: listr2 always shows failed subtasks). That keeps the final picture one line per host.
const KEEP = { collapseSubtasks: false }
const COLLAPSE = { collapseSubtasks: true }

/** Let listr2 settle the states of tasks that just finished before a parent decides to fail. */
const settle = () => new Promise<void>((r) => setImmediate(r))

/** Resolve `closed` once listr2 has finalized the task (completed, failed or skipped). */
function track(t: Wrapper, closed: Deferred<void>): void {
  t.task.on(ListrTaskEventType.CLOSED, () => closed.resolve())
}

function guestKey(g: GuestRef): string {
  return `${g.uri}\u0000${g.uuid || g.name}`
}

class GuestNode {
  wrapper?: Wrapper
  readonly closed = new Deferred<void>()
  /** Finished attempts that did not succeed, e.g. "suspend ✗". */
  history: string[] = []
  current?: string
  report?: GuestReport
  readonly done = new Deferred<GuestReport | undefined>()
  constructor(
    readonly host: string,
    readonly ref: GuestRef,
    readonly plan: Verb[],
  ) {}

  title(): string {
    const head = `${this.host} › ${this.ref.name}`
    if (this.report) return `${head} ${guestResultText(this.report)}${this.report.error ? `: ${this.report.error}` : ''}`
    const parts = [...this.history]
    if (this.current) parts.push(this.current)
    if (parts.length === 0) return `${head} waiting${this.plan.length > 0 ? ` (${this.plan.join(' → ')})` : ''}`
    return `${head} ${parts.join(' → ')}`
  }

  refresh(): void {
    if (this.wrapper) this.wrapper.title = this.title()
  }

  finish(report: GuestReport | undefined): void {
    if (this.done.settled) return
    this.report = report
    this.current = undefined
    this.refresh()
    this.done.resolve(report)
  }
}

type HostPhase = 'waiting' | 'connecting' | 'planning' | 'planned'

class HostNode {
  wrapper?: Wrapper
  readonly closed = new Deferred<void>()
  phase: HostPhase = 'waiting'
  /** The current host-level step of a rolling run or playbook, e.g. "reboot…", "wait_for_ssh ✓". */
  step?: string
  /** Live migrations in flight in this host's step: guest → "web → hv3 47 %". */
  readonly migrations = new Map<string, string>()
  guests: GuestNode[] = []
  report?: HostReport
  group?: GroupNode
  readonly planned = new Deferred<void>()
  readonly done = new Deferred<HostReport | undefined>()
  constructor(
    readonly name: string,
    private readonly goal: string,
  ) {}

  get finished(): boolean {
    return this.done.settled
  }

  guestsOk(): number {
    return this.guests.filter((g) => g.report?.ok).length
  }
  guestsFailed(): number {
    return this.guests.filter((g) => g.report && !g.report.ok).length
  }

  title(): string {
    const r = this.report
    if (r && r.guests.length === 0) {
      if (r.status === 'ok') return `${this.name}  no guests`
      return `${this.name}  ${r.status}${r.error ? `: ${r.error}` : ''}`
    }
    if (r) {
      const failed = r.guests.filter((g) => !g.ok).length
      const ok = r.guests.length - failed
      const status = r.status === 'ok' ? '' : ` (${r.status}${r.error ? `: ${r.error}` : ''})`
      return `${this.name}  ${ok}/${r.guests.length} ${this.goal}${failed > 0 ? `, ${failed} failed` : ''}${status} in ${formatDuration(r.durationMs)} · ${outcomeCounts(r.guests)}`
    }
    if (this.finished) return `${this.name}  not finished`
    const step = (this.step ? ` · ${this.step}` : '') + [...this.migrations.values()].map((m) => ` · ${m}`).join('')
    if (this.phase !== 'planned') return `${this.name}  ${this.phase}${step}`
    if (this.guests.length === 0) return `${this.name}  no guests${step}`
    const failed = this.guestsFailed()
    return `${this.name}  ${this.guestsOk()}/${this.guests.length} ${this.goal}${failed > 0 ? `, ${failed} failed` : ''}${step}`
  }

  refresh(): void {
    if (this.wrapper) this.wrapper.title = this.title()
    this.group?.refresh()
  }

  finish(report: HostReport | undefined): void {
    if (this.finished) return
    this.report = report
    for (const g of this.guests) {
      g.finish(report?.guests.find((r) => guestKey(r) === guestKey(g.ref)) ?? g.report)
    }
    this.planned.resolve()
    this.done.resolve(report)
    this.refresh()
  }
}

class GroupNode {
  wrapper?: Wrapper
  readonly closed = new Deferred<void>()
  constructor(
    readonly hosts: HostNode[],
    private readonly goal: string,
  ) {
    for (const h of hosts) h.group = this
  }

  label(): string {
    const first = this.hosts[0]?.name ?? ''
    const last = this.hosts[this.hosts.length - 1]?.name ?? ''
    return this.hosts.length > 1 ? `${first}…${last}` : first
  }

  title(): string {
    const done = this.hosts.filter((h) => h.finished)
    const bad = done.filter((h) => h.report && hostFailed(h.report)).map((h) => `${h.name} ${h.report?.status}`)
    const active = this.hosts.filter((h) => !h.finished && h.phase !== 'waiting').length
    const guests = this.hosts.reduce((n, h) => n + (h.report?.guests.length ?? h.guests.length), 0)
    const ok = this.hosts.reduce((n, h) => n + (h.report ? h.report.guests.filter((g) => g.ok).length : h.guestsOk()), 0)
    let t = `${this.label()}  ${done.length}/${this.hosts.length} hosts done`
    if (active > 0) t += `, ${active} active`
    if (guests > 0) t += ` · ${ok}/${guests} guests ${this.goal}`
    if (bad.length > 0) t += ` · ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` +${bad.length - 3} more` : ''}`
    return t
  }

  refresh(): void {
    if (this.wrapper) this.wrapper.title = this.title()
  }
}

/**
 * A task with no title: invisible in the tree, it fails its parent when `fail` says so once `until` resolved and
 * every sibling task listed in `after` was finalized (failing earlier would make listr2 fail the unfinished ones).
 */
function gate<T>(until: Deferred<T>, after: Array<{ closed: Deferred<void> }>, fail: (v: T) => string | undefined): Task {
  return {
    task: async () => {
      const v = await until.promise
      await Promise.all(after.map((n) => n.closed.promise))
      await settle()
      const reason = fail(v)
      if (reason !== undefined) throw new Error(reason)
    },
  }
}

/**
 * Draw the run as a live listr2 tree. Subscribes to `bus` at once and starts drawing at `run-start`;
 * `done` resolves after `run-done` (or stop()) once the tree has finished drawing. Never throws into the engine.
 */
export function attachListrTree(bus: EventBus, opts: ListrTreeOptions = {}): AttachedRenderer {
  const stream = opts.stream ?? process.stdout
  const maxVisible = Math.max(1, opts.maxVisibleHosts ?? 30)
  const rendererName: TreeRendererName = opts.renderer ?? (stream.isTTY ? 'default' : 'simple')

  const hosts = new Map<string, HostNode>()
  const runDone = new Deferred<RunReport | undefined>()
  const finished = new Deferred<void>()
  let started = false
  let command = ''
  let rootWrapper: Wrapper | undefined
  let rootTitle = ''
  let off: (() => void) | undefined

  const guestOf = (host: string, ref: GuestRef): GuestNode | undefined => hosts.get(host)?.guests.find((g) => guestKey(g.ref) === guestKey(ref))

  function finishAll(report: RunReport | undefined): void {
    for (const h of hosts.values()) h.finish(h.report ?? report?.hosts.find((r) => r.host === h.name))
    if (report) {
      const s = report.summary
      rootTitle = `${rootTitle}: ${s.hostsOk} ok, ${s.hostsFailed} failed, ${s.hostsUnreachable} unreachable · exit ${report.exitCode}`
      if (rootWrapper) rootWrapper.title = rootTitle
    }
    runDone.resolve(report)
  }

  function hostTask(h: HostNode): Task {
    return {
      title: h.title(),
      task: async (_ctx, t) => {
        h.wrapper = t
        track(t, h.closed)
        h.refresh()
        await h.planned.promise
        if (h.guests.length === 0) {
          const r = await h.done.promise
          await settle()
          if (r === undefined) return t.skip(h.title())
          if (r.status === 'skipped') return t.skip(h.title())
          if (hostFailed(r)) throw new Error(r.error ?? r.status)
          return
        }
        return t.newListr(
          [
            { task: (_c, holder) => holder.newListr(h.guests.map(guestTask), { concurrent: true, exitOnError: false, rendererOptions: COLLAPSE }) },
            gate(h.done, h.guests, (r) => (r && hostFailed(r) ? `${h.name}: ${r.status}` : undefined)),
          ],
          { concurrent: true, exitOnError: true, rendererOptions: COLLAPSE },
        )
      },
    }
  }

  function guestTask(g: GuestNode): Task {
    return {
      title: g.title(),
      task: async (_ctx, t) => {
        g.wrapper = t
        track(t, g.closed)
        g.refresh()
        const r = await g.done.promise
        if (r === undefined) return t.skip(g.title())
        if (!r.ok && r.outcome !== 'planned') throw new Error(r.error ?? outcomeWord(r.outcome))
      },
    }
  }

  function groupTask(grp: GroupNode): Task {
    return {
      title: grp.title(),
      task: async (_ctx, t) => {
        grp.wrapper = t
        track(t, grp.closed)
        grp.refresh()
        const reports = await Promise.all(grp.hosts.map((h) => h.done.promise))
        await settle()
        const failed = reports.filter((r) => r && hostFailed(r)).length
        if (failed > 0) throw new Error(`${failed} host${failed === 1 ? '' : 's'} failed`)
      },
    }
  }

  function start(e: Extract<FleetEvent, { type: 'run-start' }>): void {
    started = true
    command = e.command
    const goal = e.check ? 'planned' : goalWord(e.command)
    for (const name of e.hosts) if (!hosts.has(name)) hosts.set(name, new HostNode(name, goal))
    const nodes = [...hosts.values()]
    let children: Task[]
    let childNodes: Array<{ closed: Deferred<void> }>
    if (nodes.length > maxVisible) {
      const size = Math.ceil(nodes.length / maxVisible)
      const groups: GroupNode[] = []
      for (let i = 0; i < nodes.length; i += size) groups.push(new GroupNode(nodes.slice(i, i + size), goal))
      children = groups.map(groupTask)
      childNodes = groups
    } else {
      children = nodes.map(hostTask)
      childNodes = nodes
    }
    rootTitle = `fleet: ${e.command}${e.check ? ' --check' : ''} (${nodes.length} host${nodes.length === 1 ? '' : 's'})`

    const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream) })
    const list = new Listr<Ctx>(
      [
        {
          title: rootTitle,
          task: (_ctx, t) => {
            rootWrapper = t
            t.title = rootTitle
            return t.newListr(
              [
                { task: (_c, holder) => holder.newListr(children, { concurrent: true, exitOnError: false, rendererOptions: COLLAPSE }) },
                gate(runDone, childNodes, (r) => (r && r.exitCode !== 0 ? `exit ${r.exitCode}: ${exitCodeMeaning(r.exitCode)}` : undefined)),
              ],
              { concurrent: true, exitOnError: true, rendererOptions: KEEP },
            )
          },
        },
      ],
      {
        concurrent: false,
        exitOnError: false,
        // The engine owns SIGINT (it stops starting actions and writes state); listr2's handler would exit(127).
        registerSignalListeners: false,
        renderer: rendererName,
        fallbackRenderer: 'simple',
        rendererOptions: { logger, ...KEEP, collapseErrors: true, showErrorMessage: false, formatOutput: 'truncate' },
        fallbackRendererOptions: { logger },
        silentRendererCondition: rendererName === 'silent',
      } as ConstructorParameters<typeof Listr<Ctx>>[1],
    )
    list
      .run()
      .catch(() => undefined)
      .finally(() => finished.resolve())
  }

  function handle(e: FleetEvent): void {
    if (e.type === 'run-start') {
      if (!started) start(e)
      return
    }
    if (e.type === 'run-done') {
      finishAll(e.report)
      stop()
      return
    }
    if (e.type === 'log') return
    if (e.type === 'batch') {
      if (!started || runDone.settled) return
      const batch = e.status === 'started' ? `batch ${e.index + 1}/${e.of}` : `batch ${e.index + 1}/${e.of} ${e.status}`
      if (rootWrapper) rootWrapper.title = `${rootTitle} · ${batch}`
      return
    }
    // Tolerate event types added later that carry no host.
    if (!('host' in e) || typeof e.host !== 'string') return
    const h = hosts.get(e.host)
    if (!h || h.finished) return
    switch (e.type) {
      case 'host-start':
        h.phase = 'connecting'
        h.refresh()
        break
      case 'host-connected':
        h.phase = 'planning'
        h.refresh()
        break
      case 'host-planned':
        if (h.planned.settled) break
        h.phase = 'planned'
        h.guests = e.guests.map((g) => new GuestNode(e.host, { uri: g.uri, uuid: g.uuid, name: g.name }, g.plan))
        h.refresh()
        h.planned.resolve()
        break
      case 'guest-action': {
        const g = guestOf(e.host, e.guest)
        if (!g || g.done.settled) break
        g.current = `${e.action}…`
        g.refresh()
        break
      }
      case 'guest-action-result': {
        const g = guestOf(e.host, e.guest)
        if (!g || g.done.settled) break
        g.current = undefined
        g.history.push(`${e.action} ${e.result === 'ok' ? '✓' : e.result === 'timeout' ? '✗ timeout' : '✗'}`)
        g.refresh()
        break
      }
      case 'guest-done': {
        const g = guestOf(e.host, e.guest)
        if (!g) break
        g.finish(e.guest)
        h.refresh()
        break
      }
      case 'host-step':
        h.step = e.status === 'started' ? `${e.step}…` : e.status === 'ok' ? `${e.step} ✓` : e.status === 'failed' ? `${e.step} ✗` : undefined
        h.refresh()
        break
      case 'migration':
        if (e.status === 'started' || e.status === 'progress')
          h.migrations.set(e.guest.uuid, `${e.guest.name} → ${e.destination}${e.percent !== undefined ? ` ${e.percent} %` : '…'}`)
        else h.migrations.delete(e.guest.uuid)
        h.refresh()
        break
      case 'host-done':
        h.finish(e.report)
        break
      default:
        break
    }
  }

  off = bus.on((e) => {
    try {
      handle(e)
    } catch {
      // a renderer bug must never reach the engine
    }
  })

  function stop(): void {
    off?.()
    off = undefined
    if (!runDone.settled) finishAll(undefined)
    if (!started) finished.resolve()
  }

  return { done: finished.promise, stop }
}
