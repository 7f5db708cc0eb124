import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listRuns } from '../../../../src/state/journal.js'
import { SAMPLE_RUN_ID, sampleText } from '../../../support/journal-sample.js'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-list-'))
  fs.mkdirSync(path.join(dir, 'runs'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))
const put = (id: string, text: string) => fs.writeFileSync(path.join(dir, 'runs', `${id}.jsonl`), text)

describe('listRuns with unreadable files', () => {
  it('lists what it can and marks the rest unreadable, with file and line; a FIFO does not hang it', () => {
    put(SAMPLE_RUN_ID, sampleText())
    put('20261125T040000Z-000001', '')
    put('20261125T040000Z-000002', sampleText().replace('"hosts":["hv1","hv2"],"pid"', '"hosts":null,"pid"'))
    execFileSync('mkfifo', [path.join(dir, 'runs', '20261125T040000Z-000003.jsonl')])
    put('not-a-run', 'ignored')
    const rows = listRuns(dir, { isAlive: () => false })
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      ['20261125T040000Z-000003', 'unreadable'],
      ['20261125T040000Z-000002', 'unreadable'],
      ['20261125T040000Z-000001', 'unreadable'],
      [SAMPLE_RUN_ID, 'finished'],
    ])
    expect(rows[0]?.error).toMatch(/000003\.jsonl: not a regular file/)
    expect(rows[1]?.error).toMatch(/000002\.jsonl:1:1: corrupt journal record \(record\.hosts: expected a list, got null\)/)
    expect(rows[2]?.error).toMatch(/000001\.jsonl:1:1: not a virtfleet run journal: empty/)
    expect(rows[3]).toMatchObject({ command: 'shutdown', exitCode: 2, hosts: 2 })
  })

  it('notes a torn last record of a run it could read', () => {
    put(SAMPLE_RUN_ID, sampleText() + '{"type":"en')
    expect(listRuns(dir)[0]?.note).toBe('line 21 torn by a crash mid-write, ignored')
  })

  it('a state dir whose runs entry is not a directory is an input error, not a crash', () => {
    fs.rmSync(path.join(dir, 'runs'), { recursive: true })
    fs.writeFileSync(path.join(dir, 'runs'), '')
    expect(() => listRuns(dir)).toThrow(/runs: cannot list runs \(ENOTDIR\)/)
  })
})
