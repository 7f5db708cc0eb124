// Typed errors: each kind carries what the operator needs to act, and maps to one exit code
// (see src/exit-codes.ts). Commands never print stack traces for these.

export type ErrorKind = 'usage' | 'input' | 'unreachable' | 'host-key' | 'remote' | 'interrupted' | 'internal'

export class VirtfleetError extends Error {
  readonly kind: ErrorKind
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
    this.name = 'VirtfleetError'
  }
}

/** Bad inventory/playbook/flag value, with a source position when there is a file. */
export class InputError extends VirtfleetError {
  readonly file?: string
  readonly line?: number
  readonly column?: number
  constructor(message: string, where?: { file?: string; line?: number; column?: number }) {
    const prefix = where?.file
      ? `${where.file}${where.line !== undefined ? `:${where.line}${where.column !== undefined ? `:${where.column}` : ''}` : ''}: `
      : ''
    super('input', prefix + message)
    this.name = 'InputError'
    this.file = where?.file
    this.line = where?.line
    this.column = where?.column
  }
}

export class UsageError extends VirtfleetError {
  constructor(message: string) {
    super('usage', message)
    this.name = 'UsageError'
  }
}

/** A host could not be reached (DNS, TCP, auth, timeout); `cause` keeps the low-level reason. */
export class UnreachableError extends VirtfleetError {
  readonly host: string
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super('unreachable', `${host}: ${message}`, options)
    this.name = 'UnreachableError'
    this.host = host
  }
}

/** The host's key is unknown or differs from known_hosts. */
export class HostKeyError extends VirtfleetError {
  readonly host: string
  readonly seen: string
  readonly expected?: string
  constructor(host: string, message: string, seen: string, expected?: string) {
    super('host-key', `${host}: ${message}`)
    this.name = 'HostKeyError'
    this.host = host
    this.seen = seen
    this.expected = expected
  }
}

/** A remote command failed (non-zero exit, signal, or unparsable output). */
export class RemoteError extends VirtfleetError {
  readonly host: string
  readonly command: string
  readonly exitCode: number | null
  readonly stderr: string
  constructor(host: string, command: string, exitCode: number | null, stderr: string, message?: string) {
    super('remote', message ?? `${host}: \`${command}\` exited ${exitCode ?? 'by signal'}: ${stderr.trim() || '(no stderr)'}`)
    this.name = 'RemoteError'
    this.host = host
    this.command = command
    this.exitCode = exitCode
    this.stderr = stderr
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
