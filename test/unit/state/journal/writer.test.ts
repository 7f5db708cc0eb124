import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InputError } from '../../../../src/core/errors.js'
import { Journal, readRunFile } from '../../../../src/state/journal.js'
import { SAMPLE_RUN_ID, sampleText } from '../../../support/journal-sample.js'

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-writer-'))
  fs.mkdirSync(path.join(dir, 'runs'))
  file = path.join(dir, 'runs', `${SAMPLE_RUN_ID}.jsonl`)
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('reopening a run (resume)', () => {
  it('refuses a run it cannot read, and leaves the file as it was', () => {
    const text = sampleText().replace('"step":"reboot","status":"ok"', '"step":"reboot","status":42')
    fs.writeFileSync(file, text + '{"type":"en')
    expect(() => Journal.open(dir, SAMPLE_RUN_ID)).toThrow(InputError)
    expect(fs.readFileSync(file, 'utf8')).toBe(text + '{"type":"en')
  })

  it('cuts only the torn last line, by bytes (non-ASCII before it stays intact)', () => {
    const text = sampleText().replace('"message":"boom"', '"message":"bööm ✓"')
    fs.writeFileSync(file, text + '{"type":"en')
    const j = Journal.open(dir, SAMPLE_RUN_ID)
    j.append({ type: 'end', exitCode: 0, at: 't' })
    j.close()
    const run = readRunFile(dir, SAMPLE_RUN_ID)
    expect(run.tornTail).toBe(false)
    expect(fs.readFileSync(file, 'utf8').startsWith(text)).toBe(true)
    expect(run.records.at(-1)).toEqual({ type: 'end', exitCode: 0, at: 't' })
  })
})
