// The local run journal: one append-only JSON-lines file per run (`<stateDir>/runs/<runId>.jsonl`), every record
// written with writeSync + fsyncSync so what was recorded survives SIGKILL or power loss. `resume`, `retry`,
// `runs` and the HTML report read it back. Limits: one writer per run; "running" is judged by pid liveness on
// this machine (a reused pid can make a dead run look alive).

import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type { Clock } from '../core/clock.js'
import type { EventBus, FleetEvent } from '../core/events.js'
import type { GuestReport, HostReport, HostStatus, RunReport, RunSummary } from '../core/report.js'
import { summarize } from '../core/report.js'
import { ExitCode } from '../core/exit-codes.js'
import { InputError, UsageError } from '../core/errors.js'
import { stepKey } from '../core/step-key.js'

export const JOURNAL_VERSION = 1
/** How long an event may wait in memory before it is written and fsynced with the ones around it. */
export const GROUP_COMMIT_MS = 50

export type StepStatus = 'started' | 'ok' | 'failed' | 'skipped'

export interface RunRecord {
  type: 'run'
  v: number
  runId: string
  command: string
  argv: string[]
  /** `sha256:<hex>` of the inventory file(s) as read, to notice an inventory changed before a resume. */
  inventoryDigest?: string
  options: Record<string, unknown>
  startedAt: string
  hosts: string[]
  pid: number
  hostname: string
}
export interface PlanRecord {
  type: 'plan'
  host: string
  guests: Array<{ name: string; uuid?: string; uri?: string; steps: string[] }>
  /** Host-level steps (reboot, wait_for_ssh, ...), in order. */
  steps?: string[]
  at: string
}
export interface StepRecord {
  type: 'step'
  host: string
  guest?: string
  step: string
  status: StepStatus
  at: string
  durationMs?: number
  error?: string
}
export interface HostStatusRecord {
  type: 'host-status'
  host: string
  status: HostStatus
  error?: string
  at: string
}
export interface BatchRecord {
  type: 'batch'
  index: number
  hosts: string[]
  result: 'ok' | 'partial' | 'aborted' | 'interrupted'
  at: string
}
export interface EventRecord {
  type: 'event'
  event: FleetEvent
}
export interface EndRecord {
  type: 'end'
  exitCode: number
  summary?: RunSummary
  at: string
}

export type JournalRecord = RunRecord | PlanRecord | StepRecord | HostStatusRecord | BatchRecord | EventRecord | EndRecord

/** What a caller appends: everything is stamped by the caller except the run header, which `create` writes. */
export type AppendableRecord = Exclude<JournalRecord, RunRecord>

export interface CreateJournalOptions {
  /** `--state-dir`; default from `resolveStateDir`. */
  stateDir?: string
  env?: NodeJS.ProcessEnv
  runId?: string
  clock?: Pick<Clock, 'wallTime'>
  command: string
  argv?: string[]
  inventoryDigest?: string
  options?: Record<string, unknown>
  hosts?: string[]
}

/** `--state-dir`, else `$XDG_STATE_HOME/virtfleet`, else `~/.local/state/virtfleet`. */
export function resolveStateDir(opts: { stateDir?: string; env?: NodeJS.ProcessEnv; home?: string } = {}): string {
  if (opts.stateDir) return path.resolve(opts.stateDir)
  const env = opts.env ?? process.env
  const xdg = env.XDG_STATE_HOME
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'virtfleet')
  return path.join(opts.home ?? os.homedir(), '.local', 'state', 'virtfleet')
}

export function runsDir(stateDir: string): string {
  return path.join(stateDir, 'runs')
}

const RUN_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/

/** Sortable run id: UTC second + 6 random hex digits, e.g. `20261125T031800Z-ab12cd`. */
export function newRunId(clock?: Pick<Clock, 'wallTime'> | (() => Date)): string {
  const d = typeof clock === 'function' ? clock() : clock ? clock.wallTime() : new Date()
  const stamp = d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

export function isRunId(id: string): boolean {
  return RUN_ID_RE.test(id)
}

/** `sha256:<hex>` of inventory contents, in the order given. */
export function digestInventory(...contents: Array<string | Uint8Array>): string {
  const h = createHash('sha256')
  for (const c of contents) h.update(c)
  return `sha256:${h.digest('hex')}`
}

function checkRunId(id: string): void {
  // Also keeps ids from escaping the runs directory (`../../x`).
  if (!isRunId(id)) throw new UsageError(`not a run id: "${id}" (expected e.g. 20261125T031800Z-ab12cd; see \`virtfleet runs\`)`)
}

function fsyncDir(dir: string): void {
  // Makes the new file's directory entry durable; not supported everywhere (e.g. Windows), hence best effort.
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

export class Journal {
  private fd: number | undefined

  private constructor(
    readonly stateDir: string,
    readonly runId: string,
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd
  }

  /** Start a new run: creates `runs/<runId>.jsonl` (never overwriting) and writes the `run` header record. */
  static create(opts: CreateJournalOptions): Journal {
    const stateDir = resolveStateDir({ stateDir: opts.stateDir, env: opts.env })
    const dir = runsDir(stateDir)
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const runId = opts.runId ?? newRunId(opts.clock)
    checkRunId(runId)
    const file = path.join(dir, `${runId}.jsonl`)
    const fd = fs.openSync(file, 'wx', 0o600)
    fsyncDir(dir)
    const journal = new Journal(stateDir, runId, file, fd)
    journal.append({
      type: 'run',
      v: JOURNAL_VERSION,
      runId,
      command: opts.command,
      argv: opts.argv ?? [],
      ...(opts.inventoryDigest !== undefined ? { inventoryDigest: opts.inventoryDigest } : {}),
      options: opts.options ?? {},
      startedAt: (opts.clock?.wallTime() ?? new Date()).toISOString(),
      hosts: opts.hosts ?? [],
      pid: process.pid,
      hostname: os.hostname(),
    })
    return journal
  }

  /**
   * Reopen an existing run for appending (resume). A torn last line left by a crash is cut off first, so the
   * next record starts on its own line; that half-written record was never durable anyway.
   */
  static open(stateDir: string, runId: string): Journal {
    checkRunId(runId)
    const file = path.join(runsDir(stateDir), `${runId}.jsonl`)
    if (!fs.existsSync(file)) throw new UsageError(`no such run: ${runId} (in ${runsDir(stateDir)})`)
    const fd = fs.openSync(file, 'r+')
    const text = fs.readFileSync(fd, 'utf8')
    const { validBytes } = parseJournalText(text, file)
    if (validBytes !== Buffer.byteLength(text)) {
      fs.ftruncateSync(fd, validBytes)
      fs.fsyncSync(fd)
    }
    fs.closeSync(fd)
    return new Journal(stateDir, runId, file, fs.openSync(file, 'a'))
  }

  /** Append one record and fsync it before returning. */
  append(rec: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`journal ${this.runId} is closed`)
    this.pending.push(JSON.stringify(rec) + '\n')
    this.flush()
  }

  /**
   * Group commit for the event stream: queued now, written and fsynced together within `GROUP_COMMIT_MS`
   * (or by the next `append`/`flush`/`close`). A fleet run emits tens of thousands of events; one fsync each
   * would stall the event loop. Decisions (steps, end) still go through `append`, durable on return.
   */
  appendSoon(rec: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`journal ${this.runId} is closed`)
    this.pending.push(JSON.stringify(rec) + '\n')
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        try {
          this.flush()
        } catch (err) {
          this.onFlushError?.(err)
        }
      }, GROUP_COMMIT_MS)
      this.timer.unref()
    }
  }

  /** Write what is queued and fsync it. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.fd === undefined || this.pending.length === 0) return
    const buf = Buffer.from(this.pending.join(''), 'utf8')
    this.pending = []
    let off = 0
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off)
    fs.fsyncSync(this.fd)
  }

  private pending: string[] = []
  private timer: NodeJS.Timeout | undefined
  /** Reports a failed background flush (disk full); set by attachJournal. */
  onFlushError?: (err: unknown) => void

  get closed(): boolean {
    return this.fd === undefined
  }

  close(): void {
    if (this.fd === undefined) return
    this.flush()
    fs.closeSync(this.fd)
    this.fd = undefined
  }
}

/**
 * Write every FleetEvent as an `event` record. The bus swallows listener errors (a renderer bug must not stop
 * a run), so a failing write (disk full) is reported through `onError`. Returns the unsubscribe function.
 */
export function attachJournal(bus: EventBus, journal: Journal, onError?: (err: unknown) => void): () => void {
  if (onError) journal.onFlushError = onError
  return bus.on((event) => {
    try {
      journal.appendSoon({ type: 'event', event })
    } catch (err) {
      onError?.(err)
    }
  })
}

// ---------- reading ----------

export interface ParsedJournal {
  records: JournalRecord[]
  /** A last line was incomplete or unparsable (the writer died mid-write) and was ignored. */
  tornTail: boolean
  /** Byte length of the well-formed prefix. */
  validBytes: number
}

/** Parse journal text. Only the last line may be broken; a broken line before it is an InputError with its position. */
export function parseJournalText(text: string, file = 'journal'): ParsedJournal {
  const records: JournalRecord[] = []
  let pos = 0
  let lineNo = 0
  let validBytes = 0
  while (pos < text.length) {
    lineNo++
    const nl = text.indexOf('\n', pos)
    const end = nl === -1 ? text.length : nl
    const line = text.slice(pos, end)
    const isLast = nl === -1 || nl === text.length - 1
    let rec: unknown
    // Without its newline a line's write may not have completed (and was never fsynced), even if it parses.
    let ok = nl !== -1 || line.trim() === ''
    if (ok && line.trim() !== '') {
      try {
        rec = JSON.parse(line)
      } catch {
        ok = false
      }
    }
    if (!ok || (rec !== undefined && !isRecord(rec))) {
      if (isLast) return { records, tornTail: true, validBytes }
      throw new InputError('corrupt journal record (not the last line, so not a torn write)', { file, line: lineNo, column: 1 })
    }
    if (rec !== undefined) records.push(rec as JournalRecord)
    pos = nl === -1 ? text.length : nl + 1
    validBytes += Buffer.byteLength(line) + (nl === -1 ? 0 : 1)
  }
  return { records, tornTail: false, validBytes }
}

function isRecord(x: unknown): x is JournalRecord {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string'
}

export function readRun(stateDir: string, runId: string): JournalRecord[] {
  checkRunId(runId)
  const file = path.join(runsDir(stateDir), `${runId}.jsonl`)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such run: ${runId} (in ${runsDir(stateDir)})`)
    throw err
  }
  return parseJournalText(text, file).records
}

export type RunState = 'finished' | 'interrupted' | 'running'

export interface RunRow {
  id: string
  command: string
  started?: string
  ended?: string
  exitCode?: number
  status: RunState
  hosts: number
  file: string
}

export interface ListRunsOptions {
  /** Is the writer still alive? Default: same hostname and `process.kill(pid, 0)` succeeds. */
  isAlive?: (run: RunRecord) => boolean
}

function defaultIsAlive(run: RunRecord): boolean {
  if (run.hostname !== os.hostname()) return false
  try {
    process.kill(run.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Every run in the state dir, newest first. Unreadable files are listed as interrupted rather than hidden. */
export function listRuns(stateDir: string, opts: ListRunsOptions = {}): RunRow[] {
  const dir = runsDir(stateDir)
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const isAlive = opts.isAlive ?? defaultIsAlive
  const rows: RunRow[] = []
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue
    const id = name.slice(0, -'.jsonl'.length)
    if (!isRunId(id)) continue
    const file = path.join(dir, name)
    let records: JournalRecord[] = []
    try {
      records = parseJournalText(fs.readFileSync(file, 'utf8'), file).records
    } catch {
      records = []
    }
    rows.push(runRow(id, file, records, isAlive))
  }
  return rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
}

function runRow(id: string, file: string, records: JournalRecord[], isAlive: (r: RunRecord) => boolean): RunRow {
  const run = records.find((r): r is RunRecord => r.type === 'run')
  const end = findLast(records, (r): r is EndRecord => r.type === 'end')
  const status: RunState = end ? 'finished' : run && isAlive(run) ? 'running' : 'interrupted'
  return {
    id,
    command: run?.command ?? '?',
    ...(run ? { started: run.startedAt } : {}),
    ...(end ? { ended: end.at, exitCode: end.exitCode } : {}),
    status,
    hosts: run?.hosts.length ?? 0,
    file,
  }
}

function findLast<T extends JournalRecord>(records: JournalRecord[], pred: (r: JournalRecord) => r is T): T | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i] as JournalRecord
    if (pred(r)) return r
  }
  return undefined
}

export { stepKey }

/** Steps whose latest status is `ok`, keyed `${host}/${guest ?? ''}/${step}`: what a resume must not redo. */
export function completedSteps(records: readonly JournalRecord[]): Set<string> {
  const latest = new Map<string, StepStatus>()
  for (const r of records) {
    if (r.type === 'step') latest.set(stepKey(r.host, r.guest, r.step), r.status)
    // Host steps also arrive as engine events (host-step) through attachJournal.
    else if (r.type === 'event' && r.event.type === 'host-step') latest.set(stepKey(r.event.host, undefined, r.event.step), r.event.status)
  }
  const done = new Set<string>()
  for (const [k, s] of latest) if (s === 'ok') done.add(k)
  return done
}

const FAILED_STATUSES: ReadonlySet<HostStatus> = new Set<HostStatus>(['failed', 'partial', 'unreachable'])

/**
 * Hosts that ended failed, partial or unreachable (like Ansible's retry file), in the run's host order.
 * Uses the latest `host-status` record or `host-done` event per host; a host whose latest host step (`step`
 * record or `host-step` event) failed, with no later status or successful host step, counts as failed. Interrupted hosts are not included: that is `resume`'s job.
 */
export function failedHosts(records: readonly JournalRecord[]): string[] {
  const status = new Map<string, HostStatus>()
  const stepFailed = new Map<string, boolean>()
  const order: string[] = []
  const see = (h: string) => {
    if (!order.includes(h)) order.push(h)
  }
  for (const r of records) {
    switch (r.type) {
      case 'run':
        r.hosts.forEach(see)
        break
      case 'host-status':
        see(r.host)
        status.set(r.host, r.status)
        stepFailed.delete(r.host)
        break
      case 'event':
        if (r.event.type === 'host-done') {
          see(r.event.host)
          status.set(r.event.host, r.event.report.status)
          stepFailed.delete(r.event.host)
        } else if (r.event.type === 'host-step') {
          see(r.event.host)
          if (r.event.status === 'failed') stepFailed.set(r.event.host, true)
          else if (r.event.status === 'ok') stepFailed.delete(r.event.host)
        }
        break
      case 'step':
        see(r.host)
        if (r.status === 'failed') stepFailed.set(r.host, true)
        else if (r.status === 'ok' && r.guest === undefined) stepFailed.delete(r.host)
        break
      default:
        break
    }
  }
  return order.filter((h) => {
    const s = status.get(h)
    return (s !== undefined && FAILED_STATUSES.has(s)) || stepFailed.get(h) === true
  })
}

/**
 * The run's report: the one in the last `run-done` event, else rebuilt from `host-done` events (hosts that
 * started but never finished are `interrupted`, hosts never started are `skipped`). Undefined without a `run` record
 * or any event to go on.
 */
export function reportFromJournal(records: readonly JournalRecord[]): RunReport | undefined {
  const events = records.flatMap((r) => (r.type === 'event' ? [r.event] : []))
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as FleetEvent
    if (e.type === 'run-done') return e.report
  }
  const run = records.find((r): r is RunRecord => r.type === 'run')
  const runStart = events.find((e): e is Extract<FleetEvent, { type: 'run-start' }> => e.type === 'run-start')
  if (!run && !runStart) return undefined
  const end = findLast(records as JournalRecord[], (r): r is EndRecord => r.type === 'end')

  const hostOrder: string[] = [...(run?.hosts ?? runStart?.hosts ?? [])]
  const done = new Map<string, HostReport>()
  const started = new Map<string, string>()
  const guestsDone = new Map<string, GuestReport[]>()
  let lastAt = run?.startedAt ?? runStart?.at ?? ''
  for (const e of events) {
    if (e.at > lastAt) lastAt = e.at
    if ('host' in e && typeof e.host === 'string' && !hostOrder.includes(e.host)) hostOrder.push(e.host)
    if (e.type === 'host-start') started.set(e.host, e.at)
    else if (e.type === 'host-done') done.set(e.host, e.report)
    else if (e.type === 'guest-done') {
      const list = guestsDone.get(e.host) ?? []
      list.push(e.guest)
      guestsDone.set(e.host, list)
    }
  }
  const startedAt = run?.startedAt ?? runStart?.at ?? lastAt
  const endedAt = end?.at ?? lastAt
  const hosts: HostReport[] = hostOrder.map((host) => {
    const report = done.get(host)
    if (report) return report
    const s = started.get(host)
    return {
      host,
      status: s ? 'interrupted' : 'skipped',
      durationMs: s ? Math.max(0, Date.parse(endedAt) - Date.parse(s)) : 0,
      guests: guestsDone.get(host) ?? [],
    }
  })
  return {
    command: run?.command ?? runStart?.command ?? '?',
    runId: run?.runId ?? runStart?.runId ?? '?',
    check: runStart?.check ?? run?.options.check === true,
    startedAt,
    endedAt,
    durationMs: Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)) || 0,
    exitCode: end?.exitCode ?? ExitCode.interrupted,
    interrupted: !end || end.exitCode === ExitCode.interrupted,
    summary: summarize(hosts),
    hosts,
  }
}
