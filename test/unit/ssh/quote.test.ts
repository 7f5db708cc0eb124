import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { quoteArg, quoteCommand } from '../../../src/ssh/quote.js'

const hostile = ['$(reboot)', '`reboot`', "it's", 'a b', '"double"', 'x;rm -rf /', 'ünïcødé 🚀', 'new\nline', '', '-n', '*', '~root', 'a\\b', "'", "''"]

describe('quoting', () => {
  it('leaves plain words readable', () => {
    expect(quoteCommand(['virsh', '-c', 'qemu:///system', 'start', '0a1b-2c'])).toBe('virsh -c qemu:///system start 0a1b-2c')
  })
  it.each(hostile)('a real shell gets %j back byte for byte', (arg) => {
    const out = execFileSync('sh', ['-c', `printf '%s' ${quoteArg(arg)}`], { encoding: 'utf8' })
    expect(out).toBe(arg)
  })
  it('keeps argv boundaries for a whole command', () => {
    const out = execFileSync('sh', ['-c', `${quoteCommand(['printf', '[%s]', ...hostile])}`], { encoding: 'utf8' })
    expect(out).toBe(hostile.map((h) => `[${h}]`).join(''))
  })
  it('refuses NUL bytes', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL/)
  })
})
