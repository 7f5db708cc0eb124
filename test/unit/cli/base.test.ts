// The error → report → exit code mapping every command shares (src/cli/base.ts), independent of output mode.

import { Errors } from '@oclif/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { argvWantsJson, describeError, reportError } from '../../../src/cli/base.js'
import { InputError, UnreachableError, UsageError } from '../../../src/core/errors.js'

afterEach(() => vi.restoreAllMocks())

describe('describeError', () => {
  it('an input error keeps its file, line and column and maps to exit 4', () => {
    expect(describeError(new InputError('bad section', { file: 'inv.ini', line: 3, column: 7 }))).toEqual({
      message: 'inv.ini:3:7: bad section',
      kind: 'input',
      exitCode: 4,
      file: 'inv.ini',
      line: 3,
      column: 7,
    })
  })

  it('typed errors keep their own exit code (usage 64, unreachable 3)', () => {
    expect(describeError(new UsageError('no hosts matched'))).toMatchObject({ kind: 'usage', exitCode: 64 })
    expect(describeError(new UnreachableError('hv1', 'refused'))).toMatchObject({ kind: 'unreachable', exitCode: 3 })
  })

  it("oclif's parse errors are usage errors on one line", () => {
    const flagValue = new Errors.CLIError('Expected an integer less than or equal to 10000 but received: 1e20')
    flagValue.message = `Parsing --forks \n\t${flagValue.message}\nSee more help with --help`
    expect(describeError(flagValue)).toEqual({
      message: '--forks: Expected an integer less than or equal to 10000 but received: 1e20',
      kind: 'usage',
      exitCode: 64,
    })
    const parse = Object.assign(new Errors.CLIError('Nonexistent flag: --nope\nSee more help with --help'), { parse: {} })
    expect(describeError(parse)).toEqual({ message: 'Nonexistent flag: --nope', kind: 'usage', exitCode: 64 })
  })

  it('an unknown command is a usage error; a stray argument of a command reads as one', () => {
    expect(describeError(new Errors.CLIError('command nosuch not found'))).toEqual({ message: 'unknown command: nosuch', kind: 'usage', exitCode: 64 })
    expect(describeError(new Errors.CLIError('command status:extra not found')).message).toBe('unknown command or unexpected argument: status extra')
  })

  it('anything else is an internal error, exit 1', () => {
    expect(describeError(new TypeError('x is undefined'))).toEqual({ message: 'x is undefined', kind: 'internal', exitCode: 1 })
  })
})

describe('reportError', () => {
  it('under --json prints exactly one JSON object on stdout carrying the error', () => {
    let out = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    reportError(describeError(new InputError('oops', { file: 'f.yml', line: 1 })), { json: true })
    expect(JSON.parse(out)).toEqual({ error: { message: 'f.yml:1: oops', kind: 'input', exitCode: 4, file: 'f.yml', line: 1 } })
  })

  it('without --json prints nothing on stdout', () => {
    let out = ''
    let err = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true))
    reportError(describeError(new UsageError('no hosts matched')), { json: false, command: 'status' })
    expect(out).toBe('')
    expect(err).toBe('virtfleet: usage: no hosts matched\nSee: virtfleet status --help\n')
  })
})

describe('argvWantsJson', () => {
  it('sees --json before a "--" only', () => {
    expect(argvWantsJson(['-i', 'x', '--json'])).toBe(true)
    expect(argvWantsJson(['--', '--json'])).toBe(false)
    expect(argvWantsJson(['-i', 'x'])).toBe(false)
  })
})
