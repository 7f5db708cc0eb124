// Reading a user-named input file (inventory, vars, pattern list, known_hosts) safely: regular files only (a FIFO or
// a device would block or never end), at most MAX_INPUT_FILE_BYTES, decoded as UTF-8. Errors are InputErrors.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { InputError } from './errors.js'

/** The largest input file read: far above any real inventory, far below what would exhaust memory. */
export const MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024

export interface ReadInputOptions {
  /** Return undefined for a missing file instead of throwing (known_hosts files may be absent). */
  missingOk?: boolean
  /** A smaller cap than MAX_INPUT_FILE_BYTES. */
  maxBytes?: number
}

// O_NONBLOCK: opening a FIFO with no writer must not block before fstat can refuse it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

function checkStats(st: Stats, file: string, what: string, max: number): void {
  if (!st.isFile()) throw new InputError(`${what} must be a regular file, this is ${kindOf(st)}`, { file })
  if (st.size > max) throw new InputError(`${what} is too large (${st.size} bytes; at most ${max} bytes are read)`, { file })
}

function tooLarge(file: string, what: string, max: number): InputError {
  return new InputError(`${what} is too large (more than ${max} bytes; at most ${max} bytes are read)`, { file })
}

function openFailure(err: unknown, file: string, what: string): InputError {
  return new InputError(`cannot read ${what}: ${(err as Error).message}`, { file })
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * Read a user-named text file within the size cap; InputError if it is not a regular file or too large. The read
 * itself is synchronous (local files of at most a few MiB, read once at start-up): one implementation, not two.
 */
export async function readInputFile(file: string, what: string, options: ReadInputOptions & { missingOk: true }): Promise<string | undefined>
export async function readInputFile(file: string, what: string, options?: ReadInputOptions): Promise<string>
export async function readInputFile(file: string, what: string, options: ReadInputOptions = {}): Promise<string | undefined> {
  return readInputFileSync(file, what, options)
}

/** Read a user-named text file within the size cap (synchronously: pattern `@file`s resolve synchronously). */
export function readInputFileSync(file: string, what: string, options: ReadInputOptions & { missingOk: true }): string | undefined
export function readInputFileSync(file: string, what: string, options?: ReadInputOptions): string
export function readInputFileSync(file: string, what: string, options: ReadInputOptions = {}): string | undefined {
  const max = options.maxBytes ?? MAX_INPUT_FILE_BYTES
  let fd: number
  try {
    fd = openSync(file, OPEN_FLAGS)
  } catch (err) {
    if (options.missingOk && isMissing(err)) return undefined
    throw openFailure(err, file, what)
  }
  try {
    checkStats(fstatSync(fd), file, what, max)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, max + 1 - total))
      const bytesRead = readSync(fd, buf, 0, buf.length, null)
      if (bytesRead === 0) break
      chunks.push(buf.subarray(0, bytesRead))
      total += bytesRead
      if (total > max) throw tooLarge(file, what, max)
    }
    return Buffer.concat(chunks, total).toString('utf8')
  } catch (err) {
    if (err instanceof InputError) throw err
    throw openFailure(err, file, what)
  } finally {
    closeSync(fd)
  }
}
