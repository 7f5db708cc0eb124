import { execFileSync } from 'node:child_process'
import { createHash, createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  appendKnownHost,
  checkHostKey,
  checkHostKeyInEntries,
  entryMatchesHost,
  fingerprint,
  formatKnownHostLine,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../src/ssh/known-hosts.js'

function sshString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}
/** A syntactically valid ed25519 public key blob with a recognisable payload. */
function ed25519(fill: number): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(32, fill))])
}
function rsa(fill: number): Buffer {
  return Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.from([1, 0, 1])), sshString(Buffer.alloc(64, fill))])
}
const A = ed25519(1)
const B = ed25519(2)
const R = rsa(3)
const b64 = (k: Buffer) => k.toString('base64')

function hashed(name: string, salt = Buffer.alloc(20, 7)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'virtfleet-kh-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('parseKnownHosts', () => {
  it('reads plain lists, markers and comments, skipping junk lines', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `hv1,10.0.0.1 ssh-ed25519 ${b64(A)} root@hv1`,
        `@revoked * ssh-ed25519 ${b64(B)}`,
        `@cert-authority *.example.org ssh-ed25519 ${b64(A)}`,
        `@bogus hv9 ssh-ed25519 ${b64(A)}`,
        'hv2 ssh-ed25519',
        `hv3 ssh-ed25519 not*base64`,
        `   hv4\tssh-rsa   ${b64(R)}  `,
      ].join('\n'),
      'kh',
    )
    expect(entries.map((e) => [e.line, e.marker, e.patterns, e.keyType])).toEqual([
      [3, undefined, ['hv1', '10.0.0.1'], 'ssh-ed25519'],
      [4, 'revoked', ['*'], 'ssh-ed25519'],
      [5, 'cert-authority', ['*.example.org'], 'ssh-ed25519'],
      [9, undefined, ['hv4'], 'ssh-rsa'],
    ])
  })
})

describe('host matching', () => {
  const one = (line: string) => parseKnownHosts(line)[0]!

  it('uses [host]:port for non-22 ports and the bare name for 22', () => {
    expect(knownHostName('HV1.example', 22)).toBe('hv1.example')
    expect(knownHostName('hv1', 2222)).toBe('[hv1]:2222')
    expect(entryMatchesHost(one(`[hv1]:2222 ssh-ed25519 ${b64(A)}`), 'hv1', 2222)).toBe(true)
    expect(entryMatchesHost(one(`[hv1]:2222 ssh-ed25519 ${b64(A)}`), 'hv1', 22)).toBe(false)
    expect(entryMatchesHost(one(`hv1 ssh-ed25519 ${b64(A)}`), 'hv1', 2222)).toBe(false)
    expect(entryMatchesHost(one(`HV1 ssh-ed25519 ${b64(A)}`), 'hv1', 22)).toBe(true)
  })

  it('matches hashed entries computed with HMAC-SHA1', () => {
    expect(entryMatchesHost(one(`${hashed('hv1')} ssh-ed25519 ${b64(A)}`), 'hv1', 22)).toBe(true)
    expect(entryMatchesHost(one(`${hashed('[hv1]:2222')} ssh-ed25519 ${b64(A)}`), 'hv1', 2222)).toBe(true)
    expect(entryMatchesHost(one(`${hashed('hv1')} ssh-ed25519 ${b64(A)}`), 'hv2', 22)).toBe(false)
  })

  it('matches entries hashed by ssh-keygen -H', () => {
    const f = path.join(tmp, 'to-hash')
    writeFileSync(f, `hv7.example.org ssh-ed25519 ${b64(A)}\n[10.1.1.1]:2200 ssh-ed25519 ${b64(B)}\n`)
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' })
    const entries = parseKnownHosts(readFileSync(f, 'utf8'))
    expect(entries.every((e) => e.hashed)).toBe(true)
    expect(checkHostKeyInEntries(entries, 'hv7.example.org', 22, 'ssh-ed25519', A).status).toBe('match')
    expect(checkHostKeyInEntries(entries, '10.1.1.1', 2200, 'ssh-ed25519', B).status).toBe('match')
    expect(checkHostKeyInEntries(entries, '10.1.1.1', 22, 'ssh-ed25519', B).status).toBe('unknown')
  })

  it('supports * and ? wildcards', () => {
    const e = one(`hv?.lab,*.example.org ssh-ed25519 ${b64(A)}`)
    expect(entryMatchesHost(e, 'hv1.lab')).toBe(true)
    expect(entryMatchesHost(e, 'hv10.lab')).toBe(false)
    expect(entryMatchesHost(e, 'a.b.example.org')).toBe(true)
    expect(entryMatchesHost(e, 'example.org')).toBe(false)
  })

  it('a matching !negation vetoes the entry', () => {
    const e = one(`*.lab,!db*.lab ssh-ed25519 ${b64(A)}`)
    expect(entryMatchesHost(e, 'hv1.lab')).toBe(true)
    expect(entryMatchesHost(e, 'db1.lab')).toBe(false)
    // negation alone never matches
    expect(entryMatchesHost(one(`!hv1 ssh-ed25519 ${b64(A)}`), 'hv2')).toBe(false)
  })
})

describe('checkHostKeyInEntries', () => {
  const entries = parseKnownHosts(
    [
      `hv1 ssh-ed25519 ${b64(A)}`,
      `hv2 ssh-ed25519 ${b64(A)}`,
      `hv2 ssh-ed25519 ${b64(B)}`,
      `hv3 ssh-rsa ${b64(R)}`,
      `@cert-authority * ssh-ed25519 ${b64(B)}`,
    ].join('\n'),
    'kh',
  )

  it('match when the key is on a line for the host', () => {
    const r = checkHostKeyInEntries(entries, 'hv1', 22, 'ssh-ed25519', A)
    expect(r).toMatchObject({ status: 'match', seen: fingerprint(A), where: { file: 'kh', line: 1 } })
  })

  it('any of several keys for the host matches', () => {
    expect(checkHostKeyInEntries(entries, 'hv2', 22, 'ssh-ed25519', B).status).toBe('match')
  })

  it('mismatch when the host has a different key of the same type, with both fingerprints', () => {
    const r = checkHostKeyInEntries(entries, 'hv1', 22, 'ssh-ed25519', B)
    expect(r.status).toBe('mismatch')
    expect(r.seen).toBe(fingerprint(B))
    expect(r.expected).toEqual([fingerprint(A)])
  })

  it('unknown for a new host, and for a host known only by another key type', () => {
    expect(checkHostKeyInEntries(entries, 'hv9', 22, 'ssh-ed25519', A).status).toBe('unknown')
    const r = checkHostKeyInEntries(entries, 'hv3', 22, 'ssh-ed25519', A)
    expect(r.status).toBe('unknown')
    expect(r.expected).toEqual([`ssh-rsa ${fingerprint(R)}`])
    expect(knownKeyTypes(entries, 'hv3', 22)).toEqual(['ssh-rsa'])
  })

  it('@cert-authority lines never match a plain key', () => {
    expect(checkHostKeyInEntries(entries, 'hv9', 22, 'ssh-ed25519', B).status).toBe('unknown')
  })

  it('@revoked wins over a matching line', () => {
    const withRevoked = [...entries, ...parseKnownHosts(`@revoked otherhost ssh-ed25519 ${b64(A)}`, 'revoked')]
    const r = checkHostKeyInEntries(withRevoked, 'hv1', 22, 'ssh-ed25519', A)
    expect(r.status).toBe('revoked')
    expect(r.where).toEqual({ file: 'revoked', line: 1 })
  })

  it('fingerprints look like OpenSSH output', () => {
    const pub = path.join(tmp, 'fp.pub')
    writeFileSync(pub, `ssh-ed25519 ${b64(A)} x\n`)
    const out = execFileSync('ssh-keygen', ['-l', '-f', pub], { encoding: 'utf8' })
    expect(out.split(/\s+/)[1]).toBe(fingerprint(A))
    expect(fingerprint(A)).toBe(`SHA256:${createHash('sha256').update(A).digest('base64').replace(/=+$/, '')}`)
  })
})

describe('files', () => {
  it('checkHostKey reads several files and skips missing ones', async () => {
    const f1 = path.join(tmp, 'kh1')
    writeFileSync(f1, `hv1 ssh-ed25519 ${b64(A)}\n`)
    expect((await checkHostKey([path.join(tmp, 'missing'), f1], 'hv1', 22, 'ssh-ed25519', A)).status).toBe('match')
  })

  it('appendKnownHost writes [host]:port lines, creating directories, keeping earlier lines', async () => {
    const f = path.join(tmp, 'new', 'dir', 'known_hosts')
    await appendKnownHost(f, 'hv1', 2222, A)
    writeFileSync(f, readFileSync(f, 'utf8') + `hv0 ssh-rsa ${b64(R)}`) // no trailing newline
    await appendKnownHost(f, 'HV2', 22, B)
    expect(readFileSync(f, 'utf8')).toBe(`[hv1]:2222 ssh-ed25519 ${b64(A)}\nhv0 ssh-rsa ${b64(R)}\nhv2 ssh-ed25519 ${b64(B)}\n`)
    expect((await checkHostKey([f], 'hv1', 2222, 'ssh-ed25519', A)).status).toBe('match')
  })

  it('hashed lines written by formatKnownHostLine match, and ssh-keygen -F finds them', () => {
    const f = path.join(tmp, 'hashed-out')
    writeFileSync(f, `${formatKnownHostLine('hv5', 2200, A, { hash: true })}\n`)
    expect(checkHostKeyInEntries(parseKnownHosts(readFileSync(f, 'utf8')), 'hv5', 2200, 'ssh-ed25519', A).status).toBe('match')
    const found = execFileSync('ssh-keygen', ['-F', '[hv5]:2200', '-f', f], { encoding: 'utf8' })
    expect(found).toContain('|1|')
  })
})
