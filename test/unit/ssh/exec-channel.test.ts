import { describe, expect, it } from 'vitest'
import { commandLine, LineSplitter, STOP_ON_EOF } from '../../../src/ssh/exec-channel.js'
import { quoteCommand } from '../../../src/ssh/quote.js'
import { hostSpec } from '../../support/fake-fleet.js'

describe('commandLine', () => {
  it('quotes argv once; no sudo for root or when become is off', () => {
    expect(commandLine(hostSpec('hv1', { user: 'root', become: true }), ['virsh', 'list'], undefined, false)).toBe(quoteCommand(['virsh', 'list']))
    expect(commandLine(hostSpec('hv1', { user: 'ops', become: false }), ['id'], undefined, false)).toBe(quoteCommand(['id']))
  })

  it('sudo -n [-u user] -- for a non-root user with become, unless the call says become: false', () => {
    const ops = hostSpec('hv1', { user: 'ops', become: true })
    expect(commandLine(ops, ['id'], undefined, false)).toBe(quoteCommand(['sudo', '-n', '--', 'id']))
    expect(commandLine(ops, ['id'], false, false)).toBe(quoteCommand(['id']))
    const asNobody = hostSpec('hv1', { user: 'root', become: true, becomeUser: 'nobody' })
    expect(commandLine(asNobody, ['id'], undefined, false)).toBe(quoteCommand(['sudo', '-n', '-u', 'nobody', '--', 'id']))
  })

  it('a stoppable command runs under the stop-on-EOF wrapper, sudo inside it', () => {
    const ops = hostSpec('hv1', { user: 'ops', become: true })
    expect(commandLine(ops, ['virsh', 'event'], undefined, true)).toBe(
      quoteCommand(['sh', '-c', STOP_ON_EOF, 'virtfleet', 'sudo', '-n', '--', 'virsh', 'event']),
    )
  })
})

describe('LineSplitter', () => {
  it('splits across chunks, strips CR, keeps empty lines, flushes the final partial line', () => {
    const lines: string[] = []
    const s = new LineSplitter((l) => lines.push(l))
    s.push('a\r\nb', false)
    s.push('c\nd\n\ne', false)
    expect(lines).toEqual(['a', 'bc', 'd', ''])
    s.push('', true)
    expect(lines).toEqual(['a', 'bc', 'd', '', 'e'])
  })

  it('a throwing consumer does not stop the other lines', () => {
    const lines: string[] = []
    const s = new LineSplitter((l) => {
      if (l === 'bad') throw new Error('boom')
      lines.push(l)
    })
    s.push('x\nbad\ny\n', false)
    expect(lines).toEqual(['x', 'y'])
  })
})
