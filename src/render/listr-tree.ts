// The live TTY view: a listr2 tree fleet → host → guest driven only by FleetEvents. Task functions await promises
// that bus events resolve; titles are rewritten as actions start, fall back and finish. Limits: listr2 starts every
// concurrent task at once, so hosts and guests the engine has not reached yet spin with a "waiting" title; above
// maxVisibleHosts hosts, hosts are shown as groups with aggregate counts (details are in the summary afterwards).

import { Listr, ListrLogger, ListrTaskEventType, ProcessOutput } from 'listr2'
import type { ListrTask } from 'listr2'
import type { EventBus, FleetEvent } from '../core/events.js'
import type { GuestRef, RunReport } from '../core/report.js'
import { Deferred, GroupNode, GuestNode, guestKey, HostNode, type Ctx, type DrawnNode, type Wrapper } from './listr-nodes.js'
import type { AttachedRenderer } from './types.js'
import { exitCodeMeaning, goalWord, hostFailed, outcomeWord } from './words.js'

export type TreeRendererName = 'default' | 'simple' | 'verbose' | 'test' | 'silent'

export interface ListrTreeOptions {
  /** Where the tree is drawn; default process.stdout. listr2 takes over this stream's writes while drawing. */
  stream?: NodeJS.WriteStream
  /** Above this many hosts, hosts are grouped into at most this many aggregate lines; default 30. */
  maxVisibleHosts?: number
  /** listr2 renderer; default 'default' on a TTY stream, 'simple' otherwise. 'test'/'silent' are for tests. */
  renderer?: TreeRendererName
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Task = ListrTask<Ctx, any, any>

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

/** The one shape of every node's task: bind the node to its listr2 task, show its title, then run `body`. */
function nodeTask(node: DrawnNode, body: (t: Wrapper) => Promise<unknown>): Task {
  return {
    title: node.title(),
    task: async (_ctx, t) => {
      node.wrapper = t
      track(t, node.closed)
      node.refresh()
      return body(t)
    },
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
    return nodeTask(h, async (t) => {
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
    })
  }

  function guestTask(g: GuestNode): Task {
    return nodeTask(g, async (t) => {
      const r = await g.done.promise
      if (r === undefined) return t.skip(g.title())
      if (!r.ok && r.outcome !== 'planned') throw new Error(r.error ?? outcomeWord(r.outcome))
    })
  }

  function groupTask(grp: GroupNode): Task {
    return nodeTask(grp, async () => {
      const reports = await Promise.all(grp.hosts.map((h) => h.done.promise))
      await settle()
      const failed = reports.filter((r) => r && hostFailed(r)).length
      if (failed > 0) throw new Error(`${failed} host${failed === 1 ? '' : 's'} failed`)
    })
  }

  function start(e: Extract<FleetEvent, { type: 'run-start' }>): void {
    started = true
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
