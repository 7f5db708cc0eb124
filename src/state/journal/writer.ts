// Writing a run journal: one append-only JSON-lines file per run, every decision written with writeSync + fsyncSync
// before `append` returns, so what was recorded survives SIGKILL or power loss; engine events are group-committed:
// written on the event loop, fsynced on libuv's thread pool, so a slow disk never stalls a fleet's SSH traffic.
// Limits: one writer per run; never overwrites a run; reopening (resume) first cuts a torn last line.

import fs from 'node:fs'
import os from 'node:os'

import type { Clock } from '../../core/clock.js'
import type { EventBus } from '../../core/events.js'
import { readBoundedFile, parseRunFile } from './reader.js'
import { JOURNAL_VERSION, type JournalRecord } from './records.js'
import { newRunId, resolveStateDir, runFile, runsDir } from './run-files.js'
import { UsageError } from '../../core/errors.js'

/** How long an event may wait in memory before it is written and fsynced with the ones around it. */
export const GROUP_COMMIT_MS = 50

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
  private pending: string[] = []
  private timer: NodeJS.Timeout | undefined
  /** A group commit's fsync running on the thread pool, and whether another must follow it. */
  private syncing = false
  private syncAgain = false
  /** close() was called while `syncing`: the fd is closed when that fsync returns, never under it. */
  private closeWhenSynced = false
  /** Reports a failed background flush (disk full); set by attachJournal. */
  onFlushError?: (err: unknown) => void

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
    const file = runFile(stateDir, runId)
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
   * Reopen an existing run for appending (resume). The file must read back as a run of ours (else an InputError, and
   * nothing is written); a torn last line left by a crash is cut off first, so the next record starts on its own
   * line; that half-written record was never durable anyway.
   */
  static open(stateDir: string, runId: string): Journal {
    const file = runFile(stateDir, runId)
    if (!fs.existsSync(file)) throw new UsageError(`no such run: ${runId} (in ${runsDir(stateDir)})`)
    const bytes = readBoundedFile(file)
    const { validBytes } = parseRunFile(bytes, file, runId)
    if (validBytes !== bytes.length) {
      const fd = fs.openSync(file, 'r+')
      try {
        fs.ftruncateSync(fd, validBytes)
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
    }
    return new Journal(stateDir, runId, file, fs.openSync(file, 'a'))
  }

  /** Append one record and fsync it before returning. */
  append(rec: JournalRecord): void {
    if (this.closed) throw new Error(`journal ${this.runId} is closed`)
    this.pending.push(JSON.stringify(rec) + '\n')
    this.flush()
  }

  /**
   * Group commit for the event stream: queued now, written together within `GROUP_COMMIT_MS` and fsynced on the
   * thread pool (or written and fsynced by the next `append`/`flush`/`close`). A fleet run emits tens of thousands of
   * events: one fsync each would stall the event loop, and so would one per group on a slow disk. Decisions (steps,
   * end) still go through `append`, durable on return.
   */
  appendSoon(rec: JournalRecord): void {
    if (this.closed) throw new Error(`journal ${this.runId} is closed`)
    this.pending.push(JSON.stringify(rec) + '\n')
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        try {
          this.write()
          this.syncSoon()
        } catch (err) {
          this.onFlushError?.(err)
        }
      }, GROUP_COMMIT_MS)
      this.timer.unref()
    }
  }

  /** Write what is queued and fsync it before returning. */
  flush(): void {
    this.write()
    if (this.fd !== undefined) fs.fsyncSync(this.fd)
  }

  /** Write what is queued (to the page cache: lines keep their order, whichever fsync makes them durable). */
  private write(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.fd === undefined || this.pending.length === 0) return
    const buf = Buffer.from(this.pending.join(''), 'utf8')
    this.pending = []
    let off = 0
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off)
  }

  /**
   * fsync on the thread pool: at most one at a time; writes made meanwhile get one more. A failure (disk full, I/O
   * error) is reported through onFlushError, as a failed write is.
   */
  private syncSoon(): void {
    if (this.fd === undefined) return
    if (this.syncing) {
      this.syncAgain = true
      return
    }
    this.syncing = true
    this.syncAgain = false
    fs.fsync(this.fd, (err) => {
      this.syncing = false
      if (err) this.onFlushError?.(err)
      if (this.closeWhenSynced) {
        this.closeWhenSynced = false
        if (this.fd !== undefined) fs.closeSync(this.fd)
        this.fd = undefined
      } else if (this.syncAgain) this.syncSoon()
    })
  }

  get closed(): boolean {
    return this.fd === undefined || this.closeWhenSynced
  }

  close(): void {
    if (this.fd === undefined || this.closeWhenSynced) return
    this.flush()
    if (this.syncing) {
      // Everything is durable already (the fsync above); only the descriptor waits for the pool's fsync to return.
      this.closeWhenSynced = true
      return
    }
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
