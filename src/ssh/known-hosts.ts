// OpenSSH known_hosts: parse, look up a host's key, append a new one. ssh2 reads no known_hosts itself, so the
// transport's hostVerifier calls checkHostKey(). Follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"; limits:
// `@cert-authority` lines are parsed but never match (ssh2 does not do host certificates), and an `@revoked` key is
// refused for every host, whatever its host patterns (stricter than OpenSSH, which scopes it to matching hosts).

import { createHash, createHmac, randomBytes } from 'node:crypto'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { readInputFile } from '../core/input-file.js'
import { dirname } from 'node:path'

export type HostKeyStatus = 'match' | 'mismatch' | 'unknown' | 'revoked'

export type KnownHostMarker = 'revoked' | 'cert-authority'

export interface KnownHostEntry {
  file: string
  /** 1-based line number. */
  line: number
  marker?: KnownHostMarker
  /** Plain comma-separated patterns (may include `*`, `?`, `!negation`, `[host]:port`); empty for hashed entries. */
  patterns: string[]
  /** `|1|salt|hmac` entry: HMAC-SHA1 of the host name keyed with the salt. */
  hashed?: { salt: Buffer; hash: Buffer }
  /** Key type as read from the key blob (falls back to the line's type field). */
  keyType: string
  keyBlob: Buffer
}

export interface HostKeyCheck {
  status: HostKeyStatus
  /** Fingerprint of the key the server presented (`SHA256:...`, as OpenSSH prints it). */
  seen: string
  /** Fingerprints of the keys known for this host with the same key type (mismatch), or any type (unknown). */
  expected: string[]
  /** Where the deciding entry is (the matching, revoked, or first conflicting line). */
  where?: { file: string; line: number }
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port = 22): string {
  const h = host.toLowerCase()
  return port === 22 ? h : `[${h}]:${port}`
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The key type string at the start of an SSH wire-format public key blob, or undefined if malformed. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const len = blob.readUInt32BE(0)
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined
  return blob.subarray(4, 4 + len).toString('latin1')
}

export function parseKnownHosts(text: string, file = '<known_hosts>'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim()
    if (raw === '' || raw.startsWith('#')) continue
    const fields = raw.split(/\s+/)
    let marker: KnownHostMarker | undefined
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!
      if (m === '@revoked') marker = 'revoked'
      else if (m === '@cert-authority') marker = 'cert-authority'
      else continue // unknown marker: OpenSSH skips the line
    }
    const [hosts, type, b64] = fields
    if (hosts === undefined || type === undefined || b64 === undefined) continue
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue
    const keyBlob = Buffer.from(b64, 'base64')
    if (keyBlob.length === 0) continue
    const keyType = keyTypeOfBlob(keyBlob) ?? type
    const entry: KnownHostEntry = { file, line: i + 1, patterns: [], keyType, keyBlob }
    if (marker) entry.marker = marker
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|')
      if (!salt || !hash) continue
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }
    } else {
      entry.patterns = hosts.split(',').filter((p) => p !== '')
    }
    entries.push(entry)
  }
  return entries
}

/** Glob match as OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive. */
export function matchPattern(name: string, pattern: string): boolean {
  // Most entries name one host literally: compare, rather than compile a regex per entry for every host looked up.
  if (!pattern.includes('*') && !pattern.includes('?')) return name.toLowerCase() === pattern.toLowerCase()
  const re = new RegExp(
    '^' +
      pattern
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    's',
  )
  return re.test(name.toLowerCase())
}

/** Does this entry's host field name `host:port`? A matching `!pattern` vetoes the entry. */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port = 22): boolean {
  const name = knownHostName(host, port)
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest()
    return mac.length === entry.hashed.hash.length && mac.equals(entry.hashed.hash)
  }
  let positive = false
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(name, p.slice(1))) return false
    } else if (matchPattern(name, p)) {
      positive = true
    }
  }
  return positive
}

/** Pure lookup over already-parsed entries. */
export function checkHostKeyInEntries(entries: readonly KnownHostEntry[], host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyCheck {
  const seen = fingerprint(keyBlob)
  const revoked = entries.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob))
  if (revoked) return { status: 'revoked', seen, expected: [], where: { file: revoked.file, line: revoked.line } }
  const forHost = entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port))
  const exact = forHost.find((e) => e.keyBlob.equals(keyBlob))
  if (exact) return { status: 'match', seen, expected: [seen], where: { file: exact.file, line: exact.line } }
  const sameType = forHost.filter((e) => e.keyType === keyType)
  if (sameType.length > 0) {
    return {
      status: 'mismatch',
      seen,
      expected: unique(sameType.map((e) => fingerprint(e.keyBlob))),
      where: { file: sameType[0]!.file, line: sameType[0]!.line },
    }
  }
  return { status: 'unknown', seen, expected: unique(forHost.map((e) => `${e.keyType} ${fingerprint(e.keyBlob)}`)) }
}

/** Key types known for a host (plain `ssh-rsa` etc. as written in the files), for host key algorithm preference. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  return unique(entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port)).map((e) => e.keyType))
}

/** Read and parse known_hosts files; missing files are skipped (as OpenSSH does). */
export async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = []
  for (const file of files) {
    // Regular files only, size-capped: `--known-hosts /dev/zero` or a FIFO must not hang or exhaust memory.
    const text = await readInputFile(file, 'known_hosts file', { missingOk: true })
    if (text === undefined) continue
    for (const e of parseKnownHosts(text, file)) all.push(e)
  }
  return all
}

export async function checkHostKey(files: readonly string[], host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyCheck> {
  return checkHostKeyInEntries(await readKnownHosts(files), host, port, keyType, keyBlob)
}

/** Format one known_hosts line (plain, or hashed `|1|salt|hmac` like `ssh-keygen -H`). */
export function formatKnownHostLine(host: string, port: number, keyBlob: Buffer, options: { hash?: boolean } = {}): string {
  const name = knownHostName(host, port)
  const type = keyTypeOfBlob(keyBlob)
  if (!type) throw new Error('malformed host key blob')
  let field = name
  if (options.hash) {
    const salt = randomBytes(20)
    const mac = createHmac('sha1', salt).update(name).digest()
    field = `|1|${salt.toString('base64')}|${mac.toString('base64')}`
  }
  return `${field} ${type} ${keyBlob.toString('base64')}`
}

/** Append a host key (accept-new). Creates the file and its directory (mode 0700) when missing. */
export async function appendKnownHost(file: string, host: string, port: number, keyBlob: Buffer, options: { hash?: boolean } = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  let prefix = ''
  try {
    const existing = await readFile(file)
    if (existing.length > 0 && existing[existing.length - 1] !== 0x0a) prefix = '\n'
  } catch {
    // new file
  }
  await appendFile(file, `${prefix}${formatKnownHostLine(host, port, keyBlob, options)}\n`, { mode: 0o600 })
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
