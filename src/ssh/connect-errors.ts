// Error mapping for the SSH transport: ssh2 and socket errors become typed UnreachableError (with "transient" for
// the retry loop), and a connection that dies after it was up becomes ConnectionLostError. HostKeyError and other
// typed errors pass through unchanged.

import { UnreachableError, VirtfleetError } from '../core/errors.js'
import type { Endpoint } from './endpoint.js'

/** What ssh2 puts on its errors: a socket `code` or an ssh2 `level` ('client-timeout', 'client-authentication'...). */
export type ConnectError = Error & { code?: string; level?: string }

/**
 * A connection that was up is gone (peer killed, frozen past the keepalive limit, network cut, jump host closed).
 * `commandSent` says whether the command that fails with it had already been sent: false means it never ran.
 */
export class ConnectionLostError extends UnreachableError {
  readonly reason: string | undefined
  readonly commandSent: boolean
  constructor(host: string, reason: string | undefined, options: { cause?: unknown; commandSent?: boolean } = {}) {
    super(host, `connection lost${reason ? `: ${reason}` : ''}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ConnectionLostError'
    this.reason = reason
    this.commandSent = options.commandSent ?? false
  }

  /** The same loss, as seen by a command that was (or was not) already running. */
  forCommand(commandSent: boolean): ConnectionLostError {
    return new ConnectionLostError(this.host, this.reason, { cause: this.cause, commandSent })
  }
}

/** Why a live connection closed, in the operator's words. */
export function lostReason(err: ConnectError | undefined, keepalive: { intervalMs: number; countMax: number }): string {
  if (!err) return 'closed by the peer'
  if (/Keepalive timeout/.test(err.message)) {
    return `no answer to ${keepalive.countMax + 1} keepalives in ${fmtSeconds(keepalive.intervalMs * (keepalive.countMax + 1))} (host frozen or network cut)`
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'reset by the peer'
  return err.message
}

export function mapConnectError(ep: Endpoint, err: unknown, attempt: number, readyTimeoutMs: number): { error: Error; transient: boolean } {
  if (err instanceof VirtfleetError) return { error: err, transient: false }
  const e = err as ConnectError
  const where = `${ep.address}:${ep.port}`
  const after = attempt > 1 ? ` (after ${attempt} attempts)` : ''
  const un = (msg: string) => new UnreachableError(ep.label, msg + after, { cause: err })
  if (e.level === 'client-authentication') return { error: un(e.message), transient: false }
  switch (e.code) {
    case 'ECONNREFUSED':
      return { error: un(`connection refused by ${where}`), transient: true }
    case 'ETIMEDOUT':
      return { error: un(`connection to ${where} timed out`), transient: true }
    case 'ECONNRESET':
    case 'EPIPE':
      return { error: un(`connection to ${where} reset`), transient: true }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { error: un(`no route to ${where}`), transient: true }
    case 'ENOTFOUND':
      return { error: un(`cannot resolve ${ep.address}`), transient: false }
    case 'EAI_AGAIN':
      return { error: un(`cannot resolve ${ep.address} (temporary DNS failure)`), transient: true }
  }
  if (e.level === 'client-timeout' || /Timed out while waiting for handshake/.test(e.message)) {
    return { error: un(`timed out after ${fmtSeconds(readyTimeoutMs)} connecting to ${where}`), transient: true }
  }
  if (/Connection lost before handshake|closed during handshake|No response from server/.test(e.message)) {
    // sshd drops connections beyond MaxStartups like this.
    return { error: un(`connection to ${where} closed during handshake: ${e.message}`), transient: true }
  }
  if (/open failed|forward/i.test(e.message) && e.level === undefined) {
    return { error: un(`jump host could not open a channel to ${where}: ${e.message}`), transient: true }
  }
  return { error: un(`cannot connect to ${where}: ${e.message}`), transient: false }
}

export function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}
