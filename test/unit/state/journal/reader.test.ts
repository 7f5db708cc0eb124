import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InputError, UsageError } from '../../../../src/core/errors.js'
import { MAX_JOURNAL_BYTES, parseJournalText, readBoundedFile, readRun, readRunFile } from '../../../../src/state/journal.js'
import { SAMPLE_RUN_ID, sampleRecords, sampleText } from '../../../support/journal-sample.js'

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-reader-'))
  fs.mkdirSync(path.join(dir, 'runs'))
  file = path.join(dir, 'runs', `${SAMPLE_RUN_ID}.jsonl`)
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const write = (text: string | Buffer) => fs.writeFileSync(file, text)
const readErr = (): InputError => {
  try {
    readRun(dir, SAMPLE_RUN_ID)
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as InputError
  }
  throw new Error('expected an InputError')
}

describe('reading a run file', () => {
  it('reads back every record of a well-formed run', () => {
    write(sampleText())
    expect(readRun(dir, SAMPLE_RUN_ID)).toEqual(sampleRecords())
  })

  it('a missing run is a usage error, not a crash', () => {
    expect(() => readRun(dir, '20261125T031800Z-000000')).toThrow(UsageError)
  })

  it('reports a torn last line (a crash mid-write) with its line, and keeps what came before', () => {
    write(sampleText() + '{"type":"step","ho')
    const run = readRunFile(dir, SAMPLE_RUN_ID)
    expect(run.tornTail).toBe(true)
    expect(run.tornLine).toBe(sampleRecords().length + 1)
    expect(run.records).toHaveLength(sampleRecords().length)
  })

  it('an empty file is unreadable, named with its file and line 1', () => {
    write('')
    const err = readErr()
    expect(err.file).toBe(file)
    expect(err.line).toBe(1)
    expect(err.message).toMatch(/not a virtfleet run journal: empty/)
  })

  it('a foreign JSON-lines file (no run header) is unreadable', () => {
    write('{"type":"step","host":"h","step":"s","status":"ok","at":"t"}\n')
    expect(readErr().message).toMatch(/:1:1: not a virtfleet run journal: does not start with a run header/)
    write('{"level":30,"msg":"a pino log"}\n')
    expect(readErr().message).toMatch(/:1:1: corrupt journal record \(record\.type: expected a string/)
  })

  it('a record of the wrong shape is refused with its line, even on the last line', () => {
    const recs: unknown[] = sampleRecords()
    recs[3] = { type: 'event', event: { type: 'host-start', host: null, at: 't' } }
    write(recs.map((r) => JSON.stringify(r) + '\n').join(''))
    expect(readErr().message).toMatch(/:4:1: corrupt journal record \(record\.event\.host: expected a string, got null\)/)
    write(sampleText() + '{"type":"end","exitCode":"0","at":"t"}\n')
    expect(readErr().line).toBe(sampleRecords().length + 1)
  })

  it('a newer journal version, another run’s header or two headers are refused', () => {
    const [header, ...rest] = sampleRecords()
    write(sampleText([{ ...header, v: 2 } as never, ...rest]))
    expect(readErr().message).toMatch(/journal version 2; this virtfleet reads version 1/)
    write(sampleText([{ ...header, runId: '20261125T031800Z-ffffff' } as never, ...rest]))
    expect(readErr().message).toMatch(/names run "20261125T031800Z-ffffff"/)
    write(sampleText([...sampleRecords(), header as never]))
    expect(readErr().message).toMatch(/a second run header/)
  })

  it('bytes that are not UTF-8 are refused; NUL bytes at the end (a crash on some filesystems) are a torn tail', () => {
    write(Buffer.concat([Buffer.from(sampleText()), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(sampleText().split('\n')[1] + '\n')]))
    expect(readErr().message).toMatch(/not UTF-8/)
    write(Buffer.concat([Buffer.from(sampleText()), Buffer.alloc(64)]))
    expect(readRunFile(dir, SAMPLE_RUN_ID).tornTail).toBe(true)
    write(Buffer.concat([Buffer.from(sampleText()), Buffer.alloc(64), Buffer.from('\n')]))
    expect(readRunFile(dir, SAMPLE_RUN_ID).tornTail).toBe(true)
  })

  it('a FIFO in place of a run file is refused at once, without waiting for a writer', () => {
    execFileSync('mkfifo', [file])
    const t0 = Date.now()
    expect(readErr().message).toMatch(/not a regular file/)
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('a directory in place of a run file is refused', () => {
    fs.mkdirSync(file)
    expect(readErr().message).toMatch(/not a regular file/)
  })

  it(`a file over ${MAX_JOURNAL_BYTES / 1024 / 1024} MiB is refused without reading it`, () => {
    write(sampleText())
    fs.truncateSync(file, MAX_JOURNAL_BYTES + 1)
    expect(readErr().message).toMatch(/over the 67108864-byte limit/)
    expect(() => readBoundedFile(file, 10)).toThrow(/over the 10-byte limit/)
  })

  it('a huge line within the limit is read (one long guest list), not a stack overflow', () => {
    const rec = { type: 'event', event: { type: 'log', level: 'info', message: 'x'.repeat(5_000_000), at: 't' } }
    write(sampleText() + JSON.stringify(rec) + '\n')
    expect(readRun(dir, SAMPLE_RUN_ID)).toHaveLength(sampleRecords().length + 1)
  })

  it('parseJournalText keeps blank lines harmless and counts bytes, not characters', () => {
    const text = sampleText().replace('\n', '\n\n').replace('"shutdown"', '"shütdöwn"')
    const parsed = parseJournalText(text + '{"ty')
    expect(parsed.validBytes).toBe(Buffer.byteLength(text))
  })

  // Found by test/fuzz/journal.fuzz.test.ts against the reader before records were checked: both read back fine and
  // then made failedHosts throw a TypeError (run.hosts.forEach of undefined).
  it('regression: a run header with a field dropped is refused, not handed to the queries', () => {
    const [header, ...rest] = sampleRecords()
    const { hosts: _dropped, ...noHosts } = header as Extract<(typeof rest)[number] | typeof header, { type: 'run' }>
    write(sampleText([noHosts as never, ...rest]))
    expect(readErr().message).toMatch(/:1:1: corrupt journal record \(record\.hosts: missing\)/)
  })
  it('regression: one byte spliced into a key of the header is refused', () => {
    const text = sampleText()
    const at = text.indexOf('"hosts"') + 2
    write(text.slice(0, at) + ' ' + text.slice(at))
    expect(readErr().line).toBe(1)
  })
})
