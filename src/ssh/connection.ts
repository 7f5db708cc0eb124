// One live SSH connection: its channel budget (sshd MaxSessions), the in-flight channels to fail when it dies, and
// a close that is bounded whatever the peer does. A close we did not ask for (peer killed, keepalives unanswered,
// jump host gone) is a loss: every waiter and in-flight command fails with ConnectionLostError, and onClose
// callbacks get that error (they get undefined after our own close).

import type { Duplex } from 'node:stream'
import type { ClientChannel } from 'ssh2'
import { realClock } from '../core/clock.js'
import { abortReason, Semaphore, type Release } from '../core/semaphore.js'
import { ConnectionLostError, lostReason, type ConnectError } from './connect-errors.js'
import type { Endpoint } from './endpoint.js'
import type { SshClient } from './handshake.js'

export interface ConnectionLimits {
  maxChannels: number
  keepaliveIntervalMs: number
  keepaliveCountMax: number
  /** A graceful end that takes longer than this destroys the socket. */
  closeGraceMs: number
}

/**
 * Any bytes from the peer prove it alive, as they do for OpenSSH (packet.c resets its ServerAlive count on every packet
 * received). ssh2 counts a keepalive answered only when its own reply comes back, so a host busy streaming output
 * under load, whose replies lag behind that output, was declared lost. Data from the peer now restarts ssh2's
 * keepalive count and timer (`_resetKA`, ssh2 1.17's own reset, the one its reply runs), at most twice an interval.
 */
export function hearFromPeer(client: object, sock: Duplex, intervalMs: number, now: () => number = realClock.now): void {
  if (intervalMs <= 0) return
  let last = -Infinity
  sock.on('data', () => {
    const t = now()
    if (t - last < intervalMs / 2) return
    last = t
    const reset = (client as { _resetKA?: unknown })._resetKA
    if (typeof reset === 'function') reset.call(client)
  })
}

export class SshConnection {
  readonly channels: Semaphore
  private readonly closeCbs: ((err?: ConnectionLostError) => void)[] = []
  /** Fail hooks of in-flight channels: called once when the connection dies. */
  private readonly inflight = new Set<(err: ConnectionLostError) => void>()
  closed = false
  /** Set when the connection closed without our asking. */
  lost?: ConnectionLostError
  private lastError?: ConnectError
  private endRequested = false
  private ended?: Promise<void>

  constructor(
    readonly ep: Endpoint,
    readonly client: SshClient,
    /** The stream under the SSH protocol (TCP socket or forwarded channel): destroyed directly when needed. */
    private readonly sock: Duplex,
    private readonly limits: ConnectionLimits,
    readonly isBastion: boolean,
  ) {
    this.channels = new Semaphore(limits.maxChannels)
    client.on('error', (err: ConnectError) => {
      this.lastError ??= err
    })
    client.on('close', () => this.markClosed())
    sock.on('error', () => {})
    sock.on('close', () => this.markClosed())
    hearFromPeer(client, sock, limits.keepaliveIntervalMs)
  }

  onClose(cb: (err?: ConnectionLostError) => void): void {
    if (this.closed) queueMicrotask(() => cb(this.lost))
    else this.closeCbs.push(cb)
  }

  /** The error for a command on this (closed) connection; commandSent says whether it had been sent. */
  lostError(commandSent = false): ConnectionLostError {
    if (this.lost) return this.lost.forCommand(commandSent)
    return new ConnectionLostError(this.ep.label, this.closed ? 'connection closed by this run' : undefined, { commandSent })
  }

  /** Track an in-flight channel; returns the function that stops tracking it. */
  track(fail: (err: ConnectionLostError) => void): () => void {
    this.inflight.add(fail)
    return () => this.inflight.delete(fail)
  }

  private markClosed(): void {
    if (this.closed) return
    this.closed = true
    if (!this.endRequested) {
      const reason = lostReason(this.lastError, { intervalMs: this.limits.keepaliveIntervalMs, countMax: this.limits.keepaliveCountMax })
      this.lost = new ConnectionLostError(this.ep.label, reason, this.lastError ? { cause: this.lastError } : {})
    }
    // Make sure nothing of it stays open (a forwarded channel, a half-closed socket).
    this.sock.destroy()
    this.channels.rejectAll(this.lostError(false))
    const inflight = this.lostError(true)
    for (const fail of [...this.inflight]) fail(inflight)
    this.inflight.clear()
    for (const cb of this.closeCbs.splice(0)) {
      try {
        cb(this.lost)
      } catch {
        // a callback's failure must not stop the others
      }
    }
  }

  /** Drop the connection at once, as lost (e.g. its jump host went away). */
  destroy(err: Error): void {
    this.lastError ??= err
    this.sock.destroy()
    this.markClosed()
  }

  /** Graceful end; resolves when closed, at the latest closeGraceMs later (then the socket is destroyed). */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.endRequested = true
    this.ended ??= new Promise<void>((resolve) => {
      // A frozen peer never answers our FIN: ssh2's destroy() does nothing once its socket is ended, so destroy the
      // socket itself, or the process would wait for it forever (FIN-WAIT-2).
      const t = setTimeout(() => {
        this.sock.destroy()
        this.markClosed()
      }, this.limits.closeGraceMs)
      this.onClose(() => {
        clearTimeout(t)
        resolve()
      })
      try {
        this.client.end()
      } catch {
        this.sock.destroy()
      }
    })
    return this.ended
  }

  /** A direct-tcpip channel to the next hop (not counted against MaxSessions, which limits sessions only). */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.lostError())
      const untrack = this.track(reject)
      try {
        this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
          untrack()
          if (err) return reject(this.closed ? this.lostError() : err)
          ch.on('error', () => {})
          resolve(ch)
        })
      } catch {
        untrack()
        reject(this.lostError())
      }
    })
  }

  /**
   * Open an exec channel. Its exit status is recorded from inside ssh2's callback: a fast command's CHANNEL_SUCCESS,
   * output, exit-status and close often arrive in one TCP read (routinely under load), which ssh2 parses in one go,
   * so a listener attached after an `await` would miss the 'exit' event (the output is buffered, the exit is not).
   * A channel the server refuses is asked for again a few times, backing off (see below).
   */
  async openExec(command: string, signal?: AbortSignal): Promise<{ ch: ClientChannel; release: Release; exit: ExitRecord }> {
    if (this.closed) throw this.lostError()
    const release = await this.channels.acquire(signal)
    try {
      const exit: ExitRecord = { got: false, code: null }
      for (let attempt = 0; ; attempt++) {
        try {
          return { ch: await this.execChannel(command, exit), release, exit }
        } catch (err) {
          // sshd refuses a session ("open failed") while it still counts ones whose close we already saw: it frees
          // them a moment later, and under load later still. The channel never opened, so nothing ran: ask again.
          if (this.closed || !isChannelOpenRefused(err) || attempt >= OPEN_RETRIES) throw err
          await realClock.sleep(OPEN_RETRY_MS * 2 ** attempt, signal).catch(() => Promise.reject(abortReason(signal!)))
        }
      }
    } catch (err) {
      release()
      throw err
    }
  }

  private execChannel(command: string, exit: ExitRecord): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      if (this.closed) return reject(this.lostError())
      // Once the request is out, the command may run even if its channel never opens for us.
      const untrack = this.track(reject)
      try {
        this.client.exec(command, (err, ch) => {
          untrack()
          if (err) return reject(this.closed ? this.lostError(true) : err)
          ch.on('exit', (c: number | null, s?: string) => {
            exit.got = true
            exit.code = typeof c === 'number' ? c : null
            if (typeof s === 'string') exit.signal = s.startsWith('SIG') ? s : `SIG${s}`
          })
          resolve(ch)
        })
      } catch {
        untrack()
        reject(this.lostError())
      }
    })
  }
}

/** Refused channel opens are asked again this many times, after 50, 100, 200, 400 and 800 ms. */
const OPEN_RETRIES = 5
const OPEN_RETRY_MS = 50

/** ssh2's error for a CHANNEL_OPEN_FAILURE (the server refused the channel: no command was sent). */
export function isChannelOpenRefused(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('(SSH) Channel open failure')
}

/** A channel's exit status as the server reported it: code, or null and the signal name ("SIGTERM") when killed. */
export interface ExitRecord {
  got: boolean
  code: number | null
  signal?: string
}
