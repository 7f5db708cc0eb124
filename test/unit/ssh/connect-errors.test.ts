import { describe, expect, it } from 'vitest'
import { HostKeyError, InputError, UnreachableError } from '../../../src/core/errors.js'
import { exitCodeForError } from '../../../src/core/exit-codes.js'
import { ConnectionLostError, fmtSeconds, lostReason, mapConnectError, type ConnectError } from '../../../src/ssh/connect-errors.js'
import type { Endpoint } from '../../../src/ssh/endpoint.js'
import { resolveSshOptions, SSH_DEFAULTS } from '../../../src/ssh/ssh-options.js'
import { endpointFor } from '../../../src/ssh/endpoint.js'
import { hostSpec } from '../../support/fake-fleet.js'

const ep: Endpoint = endpointFor(hostSpec('hv1', { address: '10.0.0.5', port: 2222, knownHostsFiles: [] }), {})

function err(message: string, extra: { code?: string; level?: string } = {}): ConnectError {
  return Object.assign(new Error(message), extra)
}

describe('mapConnectError', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused by 10.0.0.5:2222', true],
    ['ETIMEDOUT', 'connection to 10.0.0.5:2222 timed out', true],
    ['ECONNRESET', 'connection to 10.0.0.5:2222 reset', true],
    ['EHOSTUNREACH', 'no route to 10.0.0.5:2222', true],
    ['ENOTFOUND', 'cannot resolve 10.0.0.5', false],
    ['EAI_AGAIN', 'cannot resolve 10.0.0.5 (temporary DNS failure)', true],
  ])('%s → UnreachableError "%s" (transient: %s)', (code, text, transient) => {
    const m = mapConnectError(ep, err('x', { code }), 1, 10_000)
    expect(m.error).toBeInstanceOf(UnreachableError)
    expect(m.error.message).toBe(`hv1: ${text}`)
    expect(m.transient).toBe(transient)
  })

  it('names the attempts after a retry and keeps the low-level cause', () => {
    const low = err('x', { code: 'ECONNREFUSED' })
    const m = mapConnectError(ep, low, 3, 10_000)
    expect(m.error.message).toBe('hv1: connection refused by 10.0.0.5:2222 (after 3 attempts)')
    expect(m.error.cause).toBe(low)
  })

  it('a handshake timeout says how long; an authentication failure is final', () => {
    expect(mapConnectError(ep, err('Timed out while waiting for handshake', { level: 'client-timeout' }), 1, 1500).error.message).toBe(
      'hv1: timed out after 1.5s connecting to 10.0.0.5:2222',
    )
    const auth = mapConnectError(ep, err('authentication failed for root@10.0.0.5', { level: 'client-authentication' }), 1, 1000)
    expect(auth).toMatchObject({ transient: false })
    expect(auth.error.message).toBe('hv1: authentication failed for root@10.0.0.5')
  })

  it('a dropped handshake (sshd MaxStartups) is transient; typed errors pass through unchanged', () => {
    expect(mapConnectError(ep, err('Connection lost before handshake'), 1, 1000).transient).toBe(true)
    const hk = new HostKeyError('hv1', 'changed', 'SHA256:x')
    expect(mapConnectError(ep, hk, 1, 1000)).toEqual({ error: hk, transient: false })
    const input = new InputError('bad')
    expect(mapConnectError(ep, input, 1, 1000).error).toBe(input)
  })
})

describe('ConnectionLostError', () => {
  it('is an UnreachableError (exit 3) naming the host and the reason', () => {
    const e = new ConnectionLostError('hv1', 'reset by the peer')
    expect(e).toBeInstanceOf(UnreachableError)
    expect(e.message).toBe('hv1: connection lost: reset by the peer')
    expect(e.host).toBe('hv1')
    expect(exitCodeForError(e)).toBe(3)
    expect(e.commandSent).toBe(false)
  })

  it('forCommand keeps the reason and cause and says whether the command had been sent', () => {
    const cause = new Error('Keepalive timeout')
    const e = new ConnectionLostError('hv1', 'why', { cause }).forCommand(true)
    expect(e).toMatchObject({ message: 'hv1: connection lost: why', commandSent: true, cause })
  })

  it('lostReason explains a keepalive timeout with the numbers that produced it', () => {
    expect(lostReason(err('Keepalive timeout', { level: 'client-timeout' }), { intervalMs: 2000, countMax: 3 })).toBe(
      'no answer to 4 keepalives in 8s (host frozen or network cut)',
    )
    expect(lostReason(undefined, { intervalMs: 2000, countMax: 3 })).toBe('closed by the peer')
    expect(lostReason(err('read ECONNRESET', { code: 'ECONNRESET' }), { intervalMs: 2000, countMax: 3 })).toBe('reset by the peer')
  })

  it('fmtSeconds', () => {
    expect(fmtSeconds(10_000)).toBe('10s')
    expect(fmtSeconds(2500)).toBe('2.5s')
  })
})

describe('transport options', () => {
  it('a lost peer is noticed within ~10 s by default; explicit undefined keeps a default', () => {
    expect(SSH_DEFAULTS.keepaliveIntervalMs * (SSH_DEFAULTS.keepaliveCountMax + 1)).toBeLessThanOrEqual(10_000)
    const o = resolveSshOptions({ keepaliveIntervalMs: undefined, keepaliveCountMax: 5, closeGraceMs: 200 })
    expect(o).toMatchObject({ keepaliveIntervalMs: 2000, keepaliveCountMax: 5, closeGraceMs: 200, readyTimeoutMs: 10_000 })
  })
})
