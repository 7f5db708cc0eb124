// The exec channel protocol behind HostSession: argv quoted once into a command line (sudo when become), stdout
// collected or split into lines, stderr collected, exit code or signal, stdin then EOF, stopping a command early
// (abort, stream close) and failing with ConnectionLostError when the connection dies under a running command.

import { StringDecoder } from 'node:string_decoder'
import type { ClientChannel } from 'ssh2'
import { RemoteError } from '../core/errors.js'
import type { HostSpec } from '../inventory/types.js'
import { abortReason } from '../core/semaphore.js'
import type { ConnectionLostError } from './connect-errors.js'
import type { SshConnection } from './connection.js'
import { quoteCommand } from './quote.js'
import type { ExecOptions, ExecResult, HostSession, LineStream } from './transport.js'

/**
 * sh wrapper for commands that may be stopped early (streams, exec with an AbortSignal): runs "$@" with stdin from
 * /dev/null and kills it (TERM) when the channel's stdin reaches EOF, which happens when we close the channel. sshd
 * does not honour "signal" requests for root logins, and closing a channel does not kill a command that never
 * writes (e.g. `virsh event --loop` on a quiet host). Exit status is kept; a signal death shows as 128+n.
 */
export const STOP_ON_EOF =
  // fd 3 keeps the channel's stdin: asynchronous lists get /dev/null as stdin in a non-interactive sh.
  'exec 3<&0 0</dev/null; "$@" 3<&- & p=$!; { cat <&3 >/dev/null 2>&1; kill -TERM "$p" 2>/dev/null; } >/dev/null 2>&1 & w=$!; ' +
  'exec 3<&-; wait "$p"; rc=$?; kill "$w" 2>/dev/null; exit "$rc"'

/** The remote command line for argv: sudo -n [-u user] -- when become applies, the stop wrapper when stoppable. */
export function commandLine(spec: HostSpec, argv: readonly string[], become: boolean | undefined, stoppable: boolean): string {
  const wantsSudo = (become ?? true) && spec.become && (spec.user !== 'root' || spec.becomeUser !== undefined)
  const full = wantsSudo ? ['sudo', '-n', ...(spec.becomeUser ? ['-u', spec.becomeUser] : []), '--', ...argv] : argv
  return quoteCommand(stoppable ? ['sh', '-c', STOP_ON_EOF, 'virtfleet', ...full] : full)
}

/** Splits decoded text into lines (CRLF or LF) across chunks; the last partial line waits for more or for the end. */
export class LineSplitter {
  private partial = ''
  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string, final: boolean): void {
    this.partial += text
    const parts = this.partial.split('\n')
    this.partial = parts.pop() ?? ''
    if (final && this.partial !== '') {
      parts.push(this.partial)
      this.partial = ''
    }
    for (const line of parts) {
      try {
        this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line)
      } catch {
        // a throwing consumer must not break the channel
      }
    }
  }
}

export class SshHostSession implements HostSession {
  readonly host: string

  constructor(
    private readonly spec: HostSpec,
    private readonly conn: SshConnection,
  ) {
    this.host = spec.name
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const stoppable = options.signal !== undefined && options.stdin === undefined
    return this.run(commandLine(this.spec, argv, options.become, stoppable), options, undefined, stoppable).done
  }

  stream(argv: readonly string[], onLine: (line: string) => void, options: ExecOptions = {}): LineStream {
    const stoppable = options.stdin === undefined
    return this.run(commandLine(this.spec, argv, options.become, stoppable), options, onLine, stoppable)
  }

  onClose(cb: (err?: Error) => void): void {
    this.conn.onClose(cb)
  }

  close(): Promise<void> {
    return this.conn.end()
  }

  /**
   * Shared by exec and stream: with onLine, stdout is delivered line by line instead of collected. The promise
   * settles on the channel's close (or on abort/close() at once); the channel slot is released only when the
   * channel is really closed (or the connection is gone), so sshd's MaxSessions is never exceeded.
   */
  private run(command: string, options: ExecOptions, onLine: ((line: string) => void) | undefined, stoppable: boolean): LineStream {
    const { signal } = options
    let stopChannel: (() => void) | undefined
    let closedByUser = false
    const done = (async (): Promise<ExecResult> => {
      if (signal?.aborted) throw abortReason(signal)
      const { ch, release, exit } = await this.conn.openExec(command, signal)
      return await new Promise<ExecResult>((resolve, reject) => {
        const out: Buffer[] = []
        const err: Buffer[] = []
        const decoder = new StringDecoder('utf8')
        const lines = onLine ? new LineSplitter(onLine) : undefined
        let settled = false
        let channelClosed = false
        const freeChannel = () => {
          if (channelClosed) return
          channelClosed = true
          untrack()
          release()
        }
        const finish = (outcome: { error: Error } | { result: ExecResult }) => {
          if (settled) return
          settled = true
          signal?.removeEventListener('abort', onAbort)
          if ('error' in outcome) reject(outcome.error)
          else resolve(outcome.result)
        }
        const result = (): ExecResult => {
          lines?.push(decoder.end(), true)
          const r: ExecResult = {
            code: exit.code,
            stdout: onLine ? '' : Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          }
          if (exit.signal !== undefined) r.signal = exit.signal
          return r
        }
        // Stop the remote command: EOF on stdin makes the STOP_ON_EOF wrapper kill it; the "signal" request covers
        // unwrapped commands where sshd honours it (OpenSSH >= 7.9, not for root logins, which run without privsep).
        const stop = () => {
          if (channelClosed) return
          try {
            ch.signal('TERM')
            ch.end()
          } catch {
            // closing the channel is what counts
          }
          ch.close()
        }
        const onConnectionLost = (e: ConnectionLostError) => {
          freeChannel()
          finish({ error: e })
        }
        const onAbort = () => {
          stop()
          finish({ error: abortReason(signal!) })
        }
        stopChannel = () => {
          stop()
          finish({ result: result() })
        }
        const untrack = this.conn.track(onConnectionLost)
        signal?.addEventListener('abort', onAbort, { once: true })
        if (closedByUser) stopChannel()
        wireChannel(ch, {
          onStdout: (d) => {
            if (settled) return
            if (lines) lines.push(decoder.write(d), false)
            else out.push(d)
          },
          onStderr: (d) => err.push(d),
          onError: (e) => finish({ error: new RemoteError(this.host, command, null, '', `${this.host}: channel error: ${e.message}`) }),
          onClose: () => {
            freeChannel()
            if (settled) return
            if (!exit.got) {
              // Closed without an exit status: if the connection went down (its close may come just after the
              // channel's), this is a lost connection, not a result.
              setImmediate(() => {
                if (this.conn.closed) finish({ error: this.conn.lostError(true) })
                else finish({ result: result() })
              })
              return
            }
            finish({ result: result() })
          },
        })
        if (options.stdin !== undefined) ch.end(options.stdin)
        else if (!stoppable) ch.end()
      })
    })()
    done.catch(() => {}) // callers of stream() may never await `done`
    return {
      done,
      close: () => {
        closedByUser = true
        stopChannel?.()
      },
    }
  }
}

interface ChannelHandlers {
  onStdout(d: Buffer): void
  onStderr(d: Buffer): void
  onError(e: Error): void
  onClose(): void
}

function wireChannel(ch: ClientChannel, h: ChannelHandlers): void {
  ch.on('data', (d: Buffer) => h.onStdout(d))
  ch.stderr.on('data', (d: Buffer) => h.onStderr(d))
  ch.on('error', (e: Error) => h.onError(e))
  ch.stderr.on('error', () => {})
  ch.on('close', () => h.onClose())
}
