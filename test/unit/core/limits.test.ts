// Regression tests for values that overflowed or crashed (issue 9): durations past Node's timer limit, huge counts,
// invalid globs and regexes, and input files that are not regular files.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_MS, realClock } from '../../../src/core/clock.js'
import { MAX_COUNT, parseCount } from '../../../src/core/count.js'
import { MAX_DURATION_MS, parseDuration } from '../../../src/core/duration.js'
import { InputError } from '../../../src/core/errors.js'
import { compileGlob, compilePrefixRegex, matchesAny } from '../../../src/core/glob.js'
import { readInputFile, readInputFileSync } from '../../../src/core/input-file.js'

const message = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return (err as Error).message
  }
  throw new Error('expected an InputError')
}

describe('durations have a stated maximum of 7 days', () => {
  it('accepts up to 7d', () => {
    expect(parseDuration('7d')).toBe(MAX_DURATION_MS)
    expect(parseDuration('6d23h59m')).toBeLessThan(MAX_DURATION_MS)
    expect(parseDuration(604_800)).toBe(MAX_DURATION_MS)
  })
  it('refuses --timeout 25d and --connect-timeout 30d (they fired after ~1 ms before)', () => {
    expect(message(() => parseDuration('25d', '--timeout'))).toBe('--timeout: "25d" is longer than the maximum duration of 7d (7 days)')
    expect(message(() => parseDuration('30d', '--connect-timeout'))).toMatch(/^--connect-timeout: .*maximum duration of 7d/)
    expect(message(() => parseDuration('7d1ms'))).toMatch(/maximum duration/)
  })
  it('refuses huge numbers of seconds, as text and as numbers', () => {
    expect(message(() => parseDuration('99999999999999999999'))).toMatch(/maximum duration/)
    expect(message(() => parseDuration(2 ** 31))).toMatch(/maximum duration/)
    expect(message(() => parseDuration('1'.repeat(400) + 's'))).toMatch(/maximum duration/)
  })
})

describe('realClock.sleep beyond the timer limit', () => {
  afterEach(() => {
    vi.useRealTimers()
  })
  it('sleeps in slices instead of firing at once', async () => {
    vi.useFakeTimers()
    let done = false
    const p = realClock.sleep(MAX_TIMER_MS + 10_000).then(() => {
      done = true
    })
    await vi.advanceTimersByTimeAsync(10)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(10_000)
    await p
    expect(done).toBe(true)
  })
  it('an abort cancels a sliced sleep', async () => {
    vi.useFakeTimers()
    const ac = new AbortController()
    const p = realClock.sleep(3 * MAX_TIMER_MS, ac.signal)
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 5)
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
  })
})

describe('counts', () => {
  it('--forks 99999999999999999999 is a typed error (exit 1 before)', () => {
    expect(message(() => parseCount('99999999999999999999', '--forks', { min: 1 }))).toBe(
      `--forks: expected a whole number from 1 to ${MAX_COUNT}, got "99999999999999999999"`,
    )
  })
  it('accepts whole numbers within bounds only', () => {
    expect(parseCount('20', '--forks', { min: 1 })).toBe(20)
    expect(parseCount(' 7 ', 'parallel', { min: 1 })).toBe(7)
    for (const bad of ['0', '-1', '1.5', '1e3', '', 'ten', '0x10']) expect(() => parseCount(bad, '--forks', { min: 1 })).toThrow(InputError)
  })
})

describe('globs and regexes', () => {
  it('an invalid class is an InputError naming the glob', () => {
    expect(message(() => compileGlob('[z-a]'))).toMatch(/^invalid glob "\[z-a\]": .*invalid character class range/)
  })
  it('globs match whole names, with classes and negated classes', () => {
    expect(compileGlob('hv[0-9]*').test('hv1x')).toBe(true)
    expect(compileGlob('hv[!0-9]').test('hv1')).toBe(false)
    expect(compileGlob('a?c').test('abc')).toBe(true)
    expect(compileGlob('a.c').test('abc')).toBe(false)
  })
  it('guest globs share the host-pattern dialect (a literal bracket is written [[]) and do not backtrack', () => {
    expect(compileGlob('vm[[]1]').test('vm[1]')).toBe(true)
    expect(compileGlob('vm[12]').test('vm2')).toBe(true)
    const t = performance.now()
    expect(matchesAny([`${'*a'.repeat(25)}*b`], 'a'.repeat(200))).toBe(false)
    expect(performance.now() - t).toBeLessThan(2000)
  })
  it('prefix regexes are linear and anchored at the start only', () => {
    const t = performance.now()
    expect(compilePrefixRegex('(a*)*b').test('a'.repeat(5000))).toBe(false)
    expect(performance.now() - t).toBeLessThan(2000)
    expect(compilePrefixRegex('hv0[12]').test('hv01-x')).toBe(true)
    expect(compilePrefixRegex('v0').test('hv01')).toBe(false)
  })
  it('lookaround, backreferences and overlong patterns are typed errors', () => {
    expect(message(() => compilePrefixRegex('(?=a)'))).toMatch(/lookaround and backreferences are not supported/)
    expect(message(() => compilePrefixRegex('(a)\\1'))).toMatch(/invalid regular expression/)
    expect(message(() => compileGlob('a'.repeat(5000)))).toMatch(/longer than 4096 characters/)
  })
})

describe('input files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtfleet-core-'))
  it('reads a regular file', async () => {
    writeFileSync(path.join(dir, 'f'), 'héllo')
    expect(await readInputFile(path.join(dir, 'f'), 'file')).toBe('héllo')
    expect(readInputFileSync(path.join(dir, 'f'), 'file')).toBe('héllo')
  })
  it('reads a file larger than one read whole, and a file whose size fstat does not know (/proc)', async () => {
    const big = 'é'.repeat(600_000) + 'end'
    writeFileSync(path.join(dir, 'large'), big)
    expect(await readInputFile(path.join(dir, 'large'), 'file')).toBe(big)
    expect(readInputFileSync(path.join(dir, 'large'), 'file')).toBe(big)
    expect(await readInputFile('/proc/self/status', 'file')).toMatch(/^Name:[^]*\nPid:/)
    expect(readInputFileSync('/proc/self/status', 'file')).toMatch(/^Name:[^]*\nPid:/)
  })
  it('refuses devices, FIFOs and directories at once', async () => {
    const fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    await expect(readInputFile(fifo, 'inventory file')).rejects.toThrow(`${fifo}: inventory file must be a regular file, this is a FIFO`)
    expect(message(() => readInputFileSync('/dev/zero', 'host pattern file'))).toBe('/dev/zero: host pattern file must be a regular file, this is a device')
    expect(message(() => readInputFileSync(dir, 'file'))).toMatch(/must be a regular file, this is a directory/)
  })
  it('refuses files over the cap, and reports a missing file as an InputError unless missingOk', async () => {
    writeFileSync(path.join(dir, 'big'), 'x'.repeat(100))
    await expect(readInputFile(path.join(dir, 'big'), 'file', { maxBytes: 99 })).rejects.toThrow(/file is too large \(100 bytes; at most 99 bytes are read\)/)
    await expect(readInputFile(path.join(dir, 'nope'), 'file')).rejects.toBeInstanceOf(InputError)
    expect(await readInputFile(path.join(dir, 'nope'), 'file', { missingOk: true })).toBeUndefined()
  })
})
