// Reading a run journal back, defensively: regular files only (a FIFO never blocks us), at most MAX_JOURNAL_BYTES,
// strict UTF-8 and every record checked against the schema. Only a last line without its newline (the writer died
// mid-write) is tolerated, and reported as `tornTail`; anything else unreadable is an InputError with file and line.

import fs from 'node:fs'

import { InputError, UsageError } from '../../core/errors.js'
import { JOURNAL_VERSION, recordProblem, type JournalRecord, type RunRecord } from './records.js'
import { runFile, runsDir } from './run-files.js'

/** Largest run file read: a long fleet run writes a few MB; anything far bigger is not ours or is runaway. */
export const MAX_JOURNAL_BYTES = 64 * 1024 * 1024

export interface ParsedJournal {
  records: JournalRecord[]
  /** A last line was incomplete (the writer died mid-write) and was ignored. */
  tornTail: boolean
  /** Line number of that torn last line. */
  tornLine?: number
  /** Byte length of the well-formed prefix. */
  validBytes: number
}

const NEWLINE = 0x0a
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Parse journal bytes. Only the last line may be broken; a broken line before it is an InputError with its position. */
export function parseJournalBytes(buf: Uint8Array, file = 'journal'): ParsedJournal {
  const records: JournalRecord[] = []
  let pos = 0
  let lineNo = 0
  while (pos < buf.length) {
    lineNo++
    const nl = buf.indexOf(NEWLINE, pos)
    // Without its newline a line's write may not have completed (and was never fsynced), even if it parses.
    if (nl === -1) return { records, tornTail: true, tornLine: lineNo, validBytes: pos }
    const problem = lineProblem(buf.subarray(pos, nl), records)
    if (problem !== undefined) {
      const where = { file, line: lineNo, column: 1 }
      if (nl === buf.length - 1 && problem.torn) return { records, tornTail: true, tornLine: lineNo, validBytes: pos }
      throw new InputError(`corrupt journal record (${problem.why})`, where)
    }
    pos = nl + 1
  }
  return { records, tornTail: false, validBytes: pos }
}

/** Text form of parseJournalBytes (tests, tools). */
export function parseJournalText(text: string, file = 'journal'): ParsedJournal {
  return parseJournalBytes(Buffer.from(text, 'utf8'), file)
}

/** Parses one line into `records`; returns why it is unusable. `torn` = it looks like a cut-off write (NUL bytes). */
function lineProblem(bytes: Uint8Array, records: JournalRecord[]): { why: string; torn: boolean } | undefined {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { why: 'not UTF-8', torn: false }
  }
  if (text.trim() === '') return undefined
  // A crash after the file grew but before its data reached the disk leaves NUL bytes on some filesystems.
  if (text.includes('\u0000')) return { why: 'NUL bytes, a write cut off by a crash', torn: true }
  let rec: unknown
  try {
    rec = JSON.parse(text)
  } catch (err) {
    return { why: `not JSON: ${(err as Error).message}`, torn: false }
  }
  const problem = recordProblem(rec)
  if (problem) return { why: problem, torn: false }
  records.push(rec as JournalRecord)
  return undefined
}

/**
 * Read a file without trusting it: opened non-blocking (a FIFO returns at once), refused unless it is a regular file
 * of at most `maxBytes`. Errors are InputErrors naming the file.
 */
export function readBoundedFile(file: string, maxBytes = MAX_JOURNAL_BYTES): Buffer {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (err) {
    throw new InputError(`cannot open run journal (${(err as NodeJS.ErrnoException).code ?? errText(err)})`, { file })
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new InputError('not a regular file, so not a run journal', { file })
    if (st.size > maxBytes) throw new InputError(`${st.size} bytes, over the ${maxBytes}-byte limit for a run journal`, { file })
    // The file may still grow (a running run): read what fits the limit, and no more than that.
    const buf = Buffer.alloc(Math.min(maxBytes + 1, st.size + 65536))
    let len = 0
    for (;;) {
      const n = fs.readSync(fd, buf, len, buf.length - len, null)
      if (n === 0) break
      len += n
      if (len === buf.length) break
    }
    if (len > maxBytes) throw new InputError(`over the ${maxBytes}-byte limit for a run journal`, { file })
    return buf.subarray(0, len)
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(`cannot read run journal (${(err as NodeJS.ErrnoException).code ?? errText(err)})`, { file })
  } finally {
    fs.closeSync(fd)
  }
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err))

export interface RunFile extends ParsedJournal {
  file: string
  header: RunRecord
}

/** Parse a run file's bytes and check it is one run of ours: a `run` header first, of this version and id, and only one. */
export function parseRunFile(buf: Uint8Array, file: string, runId?: string): RunFile {
  const parsed = parseJournalBytes(buf, file)
  const first = parsed.records[0]
  if (first?.type !== 'run') {
    const why = parsed.records.length === 0 ? 'empty: no run header (the run died before writing it?)' : 'does not start with a run header'
    throw new InputError(`not a virtfleet run journal: ${why}`, { file, line: 1, column: 1 })
  }
  if (first.v !== JOURNAL_VERSION)
    throw new InputError(`journal version ${first.v}; this virtfleet reads version ${JOURNAL_VERSION}`, { file, line: 1, column: 1 })
  if (runId !== undefined && first.runId !== runId) throw new InputError(`run header names run "${first.runId}", not ${runId}`, { file, line: 1, column: 1 })
  const second = parsed.records.findIndex((r, i) => i > 0 && r.type === 'run')
  if (second !== -1) throw new InputError('a second run header: two runs in one file', { file })
  return { ...parsed, file, header: first }
}

/** Read and check run `runId`: UsageError when there is no such run, InputError (file:line) when it is unreadable. */
export function readRunFile(stateDir: string, runId: string): RunFile {
  const file = runFile(stateDir, runId)
  if (!fs.existsSync(file)) throw new UsageError(`no such run: ${runId} (in ${runsDir(stateDir)})`)
  return parseRunFile(readBoundedFile(file), file, runId)
}

/** The records of run `runId` (see readRunFile; a torn last line is left out). */
export function readRun(stateDir: string, runId: string): JournalRecord[] {
  return readRunFile(stateDir, runId).records
}
