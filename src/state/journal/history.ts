// How long each guest's actions took in recent runs, derived from the journal's `guest-done` events: the input the
// stop planner orders its queue by (longest first) and predicts a host's duration from. Bounded: the newest runs
// within a byte budget, a few samples per guest and action, and only `guest-done` lines parsed (checked as the
// reader checks them). A run file that cannot be read is skipped and named, never fatal.

import fs from 'node:fs'
import path from 'node:path'

import { errorMessage, InputError } from '../../core/errors.js'
import type { Verb } from '../../core/report.js'
import { parseRunFile, readBoundedFile } from './reader.js'
import { recordProblem, type JournalRecord } from './records.js'
import { isRunId, runsDir } from './run-files.js'

/** What the journal says about one guest's action on one host. */
export interface DurationEstimate {
  /** Median of the recorded successful attempts, in ms (0 when every sample timed out). */
  durationMs: number
  /** The latest sample timed out: a prediction counts the step's timeout instead. */
  timedOut: boolean
  samples: number
}

/** Looks a guest up by host + UUID, then host + name (a guest redefined under the same name keeps its history). */
export interface DurationHistory {
  estimate(host: string, guest: { uuid: string; name: string }, action: Verb): DurationEstimate | undefined
  /** How many runs the history was taken from. */
  readonly runs: number
}

export const HISTORY_LIMITS = {
  /** Newest run files read. */
  runs: 10,
  /**
   * Bytes of run files read, the newest always: a 500-host run journals about 8 MB, and this is read before any
   * host is contacted, so a big fleet's history is its latest runs only.
   */
  bytes: 8 * 1024 * 1024,
  /** Newest samples kept per host, guest and action. */
  samples: 5,
}

interface Sample {
  durationMs: number
  timedOut: boolean
}

const key = (host: string, id: string, action: Verb) => `${host}\u0000${id}\u0000${action}`

/** An empty history: every guest unseen. */
export const NO_HISTORY: DurationHistory = { estimate: () => undefined, runs: 0 }

/**
 * The history of `runs` (each a run's records, newest run first). Only attempts that ended on their own count:
 * `ok` gives a duration, `timeout` marks the guest as one that timed out; failed, interrupted and request-only
 * attempts (sent after a host budget ran out) say nothing about how long the action takes.
 */
export function durationHistory(runs: ReadonlyArray<readonly JournalRecord[]>, o: Partial<typeof HISTORY_LIMITS> = {}): DurationHistory {
  const limits = { ...HISTORY_LIMITS, ...o }
  // Newest first within a key: runs come newest first.
  const samples = new Map<string, Sample[]>()
  const used = runs.slice(0, limits.runs)
  for (const records of used) {
    const fresh = new Map<string, Sample[]>()
    for (const r of records) {
      if (r.type !== 'event' || r.event.type !== 'guest-done') continue
      const { host, guest } = r.event
      for (const a of guest.attempts) {
        if (a.reason === 'host-budget' || (a.result !== 'ok' && a.result !== 'timeout')) continue
        const s = { durationMs: Math.max(0, a.durationMs), timedOut: a.result === 'timeout' }
        for (const k of [key(host, `uuid:${guest.uuid}`, a.action), key(host, `name:${guest.name}`, a.action)]) {
          const xs = fresh.get(k)
          if (xs) xs.push(s)
          else fresh.set(k, [s])
        }
      }
    }
    // Within a run, later events are newer: reversed, so each key's list stays newest first.
    for (const [k, xs] of fresh) samples.set(k, [...(samples.get(k) ?? []), ...xs.reverse()].slice(0, limits.samples))
  }
  const estimates = new Map<string, DurationEstimate>()
  for (const [k, xs] of samples) estimates.set(k, summarize(xs))
  return {
    runs: used.length,
    estimate: (host, guest, action) => estimates.get(key(host, `uuid:${guest.uuid}`, action)) ?? estimates.get(key(host, `name:${guest.name}`, action)),
  }
}

function summarize(newestFirst: Sample[]): DurationEstimate {
  const ok = newestFirst
    .filter((s) => !s.timedOut)
    .map((s) => s.durationMs)
    .sort((a, b) => a - b)
  // The median: one unusually slow or fast run does not reorder the queue.
  const mid = Math.floor(ok.length / 2)
  const median = ok.length === 0 ? 0 : ok.length % 2 === 1 ? (ok[mid] as number) : Math.round(((ok[mid - 1] as number) + (ok[mid] as number)) / 2)
  return { durationMs: median, timedOut: newestFirst[0]?.timedOut ?? false, samples: newestFirst.length }
}

export interface LoadedHistory {
  history: DurationHistory
  /** Run files that could not be read (corrupt, foreign, too big), with the reason: skipped. */
  skipped: Array<{ file: string; error: string }>
}

/** Read the newest run files of the state dir (see HISTORY_LIMITS) and derive their history. No runs dir: no history. */
export function loadDurationHistory(stateDir: string, o: Partial<typeof HISTORY_LIMITS> = {}): LoadedHistory {
  const limits = { ...HISTORY_LIMITS, ...o }
  const dir = runsDir(stateDir)
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { history: NO_HISTORY, skipped: [] }
    return { history: NO_HISTORY, skipped: [{ file: dir, error: `cannot list runs (${code ?? errorMessage(err)})` }] }
  }
  // Run ids sort by time: the newest first.
  const ids = names
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => n.slice(0, -'.jsonl'.length))
    .filter(isRunId)
    .sort()
    .reverse()
    .slice(0, limits.runs)
  const runs: JournalRecord[][] = []
  const skipped: LoadedHistory['skipped'] = []
  let budget = limits.bytes
  for (const id of ids) {
    const file = path.join(dir, `${id}.jsonl`)
    try {
      if (runs.length + skipped.length > 0 && fileSize(file) > budget) break
      const buf = readBoundedFile(file)
      budget -= buf.length
      runs.push(guestDoneRecords(buf, file, id))
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      skipped.push({ file, error: err.message })
    }
  }
  return { history: durationHistory(runs, limits), skipped }
}

/** Size for the byte budget; a file that cannot be stat'ed is left to the reader to report. */
function fileSize(file: string): number {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

const NEWLINE = 0x0a
// The writer writes JSON.stringify output: no spaces, and a quote inside a string value is escaped, so this byte
// sequence appears unescaped only as a record's own event type.
const GUEST_DONE = Buffer.from('"type":"guest-done"')
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The run header and the `guest-done` records of a run file, without parsing the rest: a fleet run's host and run
 * reports repeat every guest and make up most of its bytes. The header and every line read pass the same checks as
 * the full reader; a bad one is an InputError with file:line. A last line without its newline (torn) is ignored.
 */
export function guestDoneRecords(buf: Uint8Array, file: string, runId?: string): JournalRecord[] {
  const headerEnd = buf.indexOf(NEWLINE)
  const { header } = parseRunFile(buf.subarray(0, headerEnd === -1 ? buf.length : headerEnd + 1), file, runId)
  const records: JournalRecord[] = [header]
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  let pos = headerEnd + 1
  let line = 1
  let hit = bytes.indexOf(GUEST_DONE, pos)
  while (hit !== -1 && pos < bytes.length) {
    const nl = bytes.indexOf(NEWLINE, pos)
    if (nl === -1) break
    line++
    if (hit < nl) {
      records.push(checkedLine(bytes.subarray(pos, nl), { file, line, column: 1 }))
      hit = bytes.indexOf(GUEST_DONE, nl + 1)
    }
    pos = nl + 1
  }
  return records
}

function checkedLine(bytes: Uint8Array, where: { file: string; line: number; column: number }): JournalRecord {
  let rec: unknown
  try {
    rec = JSON.parse(utf8.decode(bytes))
  } catch (err) {
    throw new InputError(`corrupt journal record (${err instanceof SyntaxError ? `not JSON: ${err.message}` : 'not UTF-8'})`, where)
  }
  const problem = recordProblem(rec)
  if (problem) throw new InputError(`corrupt journal record (${problem})`, where)
  return rec as JournalRecord
}
