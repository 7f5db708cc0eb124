// The boundary between the engine and the network. The real implementation is ssh2 (src/ssh/ssh-transport.ts);
// unit tests use an in-memory fake (test/support/fake-transport.ts). Commands are argv arrays: quoting happens
// inside the transport, in one place (src/ssh/quote.ts).

import type { HostSpec } from '../inventory/types.js'

export interface ExecResult {
  /** Exit code, or null when the command was killed by a signal. */
  code: number | null
  signal?: string
  stdout: string
  stderr: string
}

export interface ExecOptions {
  /** Data written to the command's stdin, then EOF. */
  stdin?: string
  /** Abort the command (closes the channel) when this fires. */
  signal?: AbortSignal
  /** Run through `sudo -n` when the host's become setting asks for it (default true). */
  become?: boolean
}

export interface LineStream {
  /** Resolves when the remote command ends (or the stream is closed). */
  readonly done: Promise<ExecResult>
  close(): void
}

export interface HostSession {
  readonly host: string
  /** Run argv on the host; never throws for a non-zero exit (check `code`), throws UnreachableError if the connection is gone. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>
  /** Run a long-lived command and get its stdout line by line (e.g. `virsh event --loop`). */
  stream(argv: readonly string[], onLine: (line: string) => void, options?: ExecOptions): LineStream
  /**
   * Register a callback for the connection's end: with an UnreachableError (ConnectionLostError for the real
   * transport) when it was lost, with undefined when it was closed on purpose (close(), closeAll()).
   */
  onClose(cb: (err?: Error) => void): void
  close(): Promise<void>
}

export interface Transport {
  /** Throw InputError when a host's connection settings cannot be used at all (e.g. a malformed jump host). */
  checkHost?(host: HostSpec): void
  /** Open (or reuse) the one connection to a host. Throws UnreachableError or HostKeyError. */
  connect(host: HostSpec, signal?: AbortSignal): Promise<HostSession>
  /** Close every connection. */
  closeAll(): Promise<void>
}
