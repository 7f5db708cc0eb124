// Run journals as a hostile disk would leave them: cut anywhere, random bytes spliced in, any field of any record
// replaced by any JSON value or dropped, random JSON lines, huge lines. The property: reading gives records or an
// InputError, and whatever reads back is usable by every consumer (runs, runs show table/JSON/HTML, resume, retry).

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { renderHtmlReport } from '../../src/render/html-report.js'
import { reportToJson } from '../../src/render/json.js'
import { renderSummary } from '../../src/render/summary.js'
import { completedSteps, failedHosts, Journal, listRuns, parseRunFile, reportFromJournal, type JournalRecord } from '../../src/state/journal.js'
import { SAMPLE_RUN_ID, sampleRecords, sampleText } from '../support/journal-sample.js'
import { fuzz } from './params.js'

const FILE = `/state/runs/${SAMPLE_RUN_ID}.jsonl`
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-fuzz-journal-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Everything a command does with a run it has read; must not throw. */
function useAll(records: JournalRecord[]): void {
  failedHosts(records)
  completedSteps(records)
  const report = reportFromJournal(records)
  if (report) {
    renderSummary(report, { color: false })
    reportToJson(report)
    renderHtmlReport(
      report,
      records.flatMap((r) => (r.type === 'event' ? [r.event] : [])),
    )
  }
}

/** Read bytes as `runs show`/`resume` would: records used by everything, or an InputError; nothing else. */
function readOrRefuse(bytes: Uint8Array): void {
  let records: JournalRecord[]
  try {
    records = parseRunFile(bytes, FILE, SAMPLE_RUN_ID).records
  } catch (err) {
    if (err instanceof InputError) return
    throw err
  }
  useAll(records)
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** Every path to a value inside `v` (objects and arrays), root excluded. */
function paths(v: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...prefix, i]), paths(x, [...prefix, i], out)))
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push([...prefix, k]), paths(x, [...prefix, k], out))
  return out
}

/** Replace (or with `value` undefined, delete) the value at path `p`. */
function mutate(root: Json, p: Array<string | number>, value: Json | undefined): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json
  let parent = copy as Record<string | number, Json>
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, Json>
  const last = p[p.length - 1] as string | number
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1)
    else delete parent[last]
  } else parent[last] = value
  return copy
}

const lines = sampleText().split('\n').slice(0, -1)

it('a record with any field replaced or dropped is either read and usable, or refused with an InputError', async () => {
  await fuzz(
    'journal: field mutations',
    fc.property(
      fc.nat(lines.length - 1),
      fc.nat(),
      fc.option(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<Json>(null, '', 0, -1, 1e308, [], {}, 'x', true)), { nil: undefined }),
      fc.nat(3),
      (line, pick, value, times) => {
        const out = [...lines]
        let rec = JSON.parse(out[line] as string) as Json
        for (let i = 0; i <= times; i++) {
          const ps = paths(rec)
          if (ps.length === 0) break
          rec = mutate(rec, ps[(pick + i * 7919) % ps.length] as Array<string | number>, value as Json | undefined)
        }
        out[line] = JSON.stringify(rec)
        readOrRefuse(Buffer.from(out.join('\n') + '\n'))
      },
    ),
    400,
  )
})

it('a run file cut anywhere or with random bytes spliced in is read or refused, never anything else', async () => {
  const bytes = Buffer.from(sampleText())
  await fuzz(
    'journal: cuts and splices',
    fc.property(fc.nat(bytes.length), fc.uint8Array({ maxLength: 64 }), fc.nat(bytes.length), (cut, noise, at) => {
      readOrRefuse(bytes.subarray(0, cut))
      readOrRefuse(Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)]))
    }),
    300,
  )
})

it('random JSON lines, random text and huge lines are refused or read, never anything else', async () => {
  const header = lines[0] as string
  await fuzz(
    'journal: foreign lines',
    fc.property(
      fc.array(fc.oneof(fc.json({ maxDepth: 3 }), fc.string(), fc.constant('"' + 'x'.repeat(200_000) + '"')), { maxLength: 6 }),
      fc.boolean(),
      (junk, withHeader) => {
        const text = (withHeader ? [header, ...junk] : junk).map((l) => l.replace(/\n/g, ' ') + '\n').join('')
        readOrRefuse(Buffer.from(text))
      },
    ),
    200,
  )
})

it('the whole path through files: runs lists every file, Journal.open refuses or reopens', async () => {
  await fuzz(
    'journal: files',
    fc.property(fc.nat(lines.length - 1), fc.jsonValue({ maxDepth: 2 }), (line, value) => {
      const out = [...lines]
      const rec = JSON.parse(out[line] as string) as Json
      const ps = paths(rec)
      out[line] = JSON.stringify(ps.length ? mutate(rec, ps[(line * 31) % ps.length] as Array<string | number>, value as Json) : value)
      const runs = path.join(dir, 'runs')
      fs.rmSync(runs, { recursive: true, force: true })
      fs.mkdirSync(runs, { recursive: true })
      fs.writeFileSync(path.join(runs, `${SAMPLE_RUN_ID}.jsonl`), out.join('\n') + '\n')
      const rows = listRuns(dir, { isAlive: () => false })
      expect(rows).toHaveLength(1)
      expect(['finished', 'interrupted', 'unreadable']).toContain(rows[0]?.status)
      try {
        Journal.open(dir, SAMPLE_RUN_ID).close()
      } catch (err) {
        expect(err).toBeInstanceOf(InputError)
        expect(rows[0]?.status).toBe('unreadable')
      }
    }),
    60,
  )
})

it('the unmutated sample reads back whole (so the properties above start from a valid run)', () => {
  expect(parseRunFile(Buffer.from(sampleText()), FILE, SAMPLE_RUN_ID).records).toEqual(sampleRecords())
})
