// Reading a user-named input file (inventory, vars, pattern list, known_hosts) safely: regular files only (a FIFO or
// a device would block or never end), at most MAX_INPUT_FILE_BYTES, decoded as UTF-8. Errors are InputErrors.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
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
 * The bytes read so far, for the async and the sync reader alike (only the read call differs). The size may change
 * (or be 0 for /proc files), so both read until EOF, never past the cap: next() is undefined once EOF was seen.
 */
const READ_CHUNK = 64 * 1024

class CappedText {
  private readonly chunks: Buffer[] = []
  private total = 0
  private eof = false
  constructor(
    private readonly file: string,
    private readonly what: string,
    private readonly max: number,
    /** The size fstat reported (0 when unknown): the first read takes it whole, plus a byte to see growth. */
    private readonly sizeHint: number,
  ) {}

  /**
   * A buffer for the next read, sized from the file instead of a fixed 1 MiB: the transport reads known_hosts for
   * every host it connects to, and zero-filling 2 MiB each time was most of a handshake's CPU. Unfilled, since only
   * the bytes read are kept.
   */
  next(): Buffer | undefined {
    if (this.eof) return undefined
    const want = this.total === 0 && this.sizeHint > 0 ? this.sizeHint + 1 : READ_CHUNK
    return Buffer.allocUnsafe(Math.min(1 << 20, this.max + 1 - this.total, want))
  }

  took(buf: Buffer, bytesRead: number): void {
    if (bytesRead === 0) {
      this.eof = true
      return
    }
    this.chunks.push(buf.subarray(0, bytesRead))
    this.total += bytesRead
    if (this.total > this.max) throw tooLarge(this.file, this.what, this.max)
  }

  toString(): string {
    return Buffer.concat(this.chunks, this.total).toString('utf8')
  }
}

/** Read a user-named text file within the size cap; InputError if it is not a regular file or too large. */
export async function readInputFile(file: string, what: string, options: ReadInputOptions & { missingOk: true }): Promise<string | undefined>
export async function readInputFile(file: string, what: string, options?: ReadInputOptions): Promise<string>
export async function readInputFile(file: string, what: string, options: ReadInputOptions = {}): Promise<string | undefined> {
  const max = options.maxBytes ?? MAX_INPUT_FILE_BYTES
  let handle
  try {
    handle = await open(file, OPEN_FLAGS)
  } catch (err) {
    if (options.missingOk && isMissing(err)) return undefined
    throw openFailure(err, file, what)
  }
  try {
    const st = await handle.stat()
    checkStats(st, file, what, max)
    const text = new CappedText(file, what, max, st.size)
    for (let buf = text.next(); buf; buf = text.next()) text.took(buf, (await handle.read(buf, 0, buf.length, null)).bytesRead)
    return text.toString()
  } catch (err) {
    if (err instanceof InputError) throw err
    throw openFailure(err, file, what)
  } finally {
    await handle.close()
  }
}

/** The synchronous twin of readInputFile, for code that resolves patterns synchronously. */
export function readInputFileSync(file: string, what: string, options: ReadInputOptions = {}): string {
  const max = options.maxBytes ?? MAX_INPUT_FILE_BYTES
  let fd: number
  try {
    fd = openSync(file, OPEN_FLAGS)
  } catch (err) {
    throw openFailure(err, file, what)
  }
  try {
    const st = fstatSync(fd)
    checkStats(st, file, what, max)
    const text = new CappedText(file, what, max, st.size)
    for (let buf = text.next(); buf; buf = text.next()) text.took(buf, readSync(fd, buf, 0, buf.length, null))
    return text.toString()
  } catch (err) {
    if (err instanceof InputError) throw err
    throw openFailure(err, file, what)
  } finally {
    closeSync(fd)
  }
}
