// `virtfleet runs`: every run file in the state dir as one row, newest first. A file that cannot be read is still
// listed, as `unreadable` with the reason (file:line), never hidden and never fatal to the listing.
// Limits: "running" is judged by pid liveness on this machine (a reused pid can make a dead run look alive).

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { errorMessage, InputError } from '../../core/errors.js'
import { parseRunFile, readBoundedFile } from './reader.js'
import type { EndRecord, JournalRecord, RunRecord } from './records.js'
import { findLast } from './report.js'
import { isRunId, runsDir } from './run-files.js'

export type RunState = 'finished' | 'interrupted' | 'running' | 'unreadable'

export interface RunRow {
  id: string
  command: string
  started?: string
  ended?: string
  exitCode?: number
  status: RunState
  hosts: number
  file: string
  /** Why an `unreadable` run could not be read (with file:line). */
  error?: string
  /** Something worth knowing about a readable run, e.g. a torn last record it ignored. */
  note?: string
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

/** Every run in the state dir, newest first. Unreadable files are listed as `unreadable` rather than hidden. */
export function listRuns(stateDir: string, opts: ListRunsOptions = {}): RunRow[] {
  const dir = runsDir(stateDir)
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return []
    throw new InputError(`cannot list runs (${code ?? errorMessage(err)})`, { file: dir })
  }
  const isAlive = opts.isAlive ?? defaultIsAlive
  const rows: RunRow[] = []
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue
    const id = name.slice(0, -'.jsonl'.length)
    if (!isRunId(id)) continue
    const file = path.join(dir, name)
    try {
      const run = parseRunFile(readBoundedFile(file), file, id)
      const note = run.tornTail ? `line ${run.tornLine ?? '?'} torn by a crash mid-write, ignored` : undefined
      rows.push({ ...runRow(id, file, run.records, isAlive), ...(note ? { note } : {}) })
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      rows.push({ id, command: '?', status: 'unreadable', hosts: 0, file, error: err.message })
    }
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
