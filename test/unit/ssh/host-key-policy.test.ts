import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HostKeyError } from '../../../src/core/errors.js'
import type { Endpoint } from '../../../src/ssh/endpoint.js'
import { asHostKeyError, HOST_KEY_ALGOS, preferredHostKeyAlgos, verifyHostKey } from '../../../src/ssh/host-key-policy.js'
import { fingerprint, formatKnownHostLine } from '../../../src/ssh/known-hosts.js'
import { endpointFor } from '../../../src/ssh/endpoint.js'
import { hostSpec } from '../../support/fake-fleet.js'

function sshString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}
const ed25519 = (fill: number) => Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(32, fill))])
const rsa = (fill: number) => Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.from([1, 0, 1])), sshString(Buffer.alloc(64, fill))])

const dir = mkdtempSync(path.join(os.tmpdir(), 'vf-hkp-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
function knownHosts(lines: string[]): string {
  const f = path.join(dir, `kh${n++}`)
  writeFileSync(f, lines.join('\n') + '\n')
  return f
}
function ep(over: Partial<Endpoint>): Endpoint {
  return { ...endpointFor(hostSpec('hv1', { address: '10.0.0.5', knownHostsFiles: [] }), {}), ...over }
}
async function refusal(p: Promise<void>): Promise<HostKeyError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(HostKeyError)
  return e as HostKeyError
}

describe('verifyHostKey', () => {
  const key = ed25519(1)
  const other = ed25519(2)

  it('strict: a known key passes', async () => {
    const kh = knownHosts([formatKnownHostLine('10.0.0.5', 22, key)])
    await expect(verifyHostKey(ep({ knownHostsFiles: [kh] }), key)).resolves.toBeUndefined()
  })

  it('strict: a changed key is refused with both fingerprints and how to fix it', async () => {
    const kh = knownHosts([formatKnownHostLine('10.0.0.5', 22, other)])
    const e = await refusal(verifyHostKey(ep({ knownHostsFiles: [kh] }), key))
    expect(e.seen).toBe(fingerprint(key))
    expect(e.expected).toBe(fingerprint(other))
    expect(e.message).toMatch(/HOST KEY CHANGED for 10\.0\.0\.5/)
    expect(e.message).toContain(`ssh-keygen -R '10.0.0.5' -f ${kh}`)
  })

  it('strict: an unknown key is refused with the ssh-keyscan hint; nothing is written', async () => {
    const kh = knownHosts([])
    const e = await refusal(verifyHostKey(ep({ knownHostsFiles: [kh], port: 2222 }), key))
    expect(e.message).toMatch(/unknown host key for \[10\.0\.0\.5\]:2222/)
    expect(e.message).toContain(`ssh-keyscan -p 2222 10.0.0.5 >> ${kh}`)
    expect(readFileSync(kh, 'utf8')).toBe('\n')
  })

  it('accept-new: an unknown key is appended to the first file and warned about; a changed one is still refused', async () => {
    const kh = path.join(dir, 'sub', 'new-kh')
    const warnings: string[] = []
    await verifyHostKey(ep({ knownHostsFiles: [kh], hostKeyChecking: 'accept-new' }), key, (m) => warnings.push(m))
    expect(readFileSync(kh, 'utf8')).toContain(formatKnownHostLine('10.0.0.5', 22, key))
    expect(warnings.join()).toMatch(/added ssh-ed25519 key/)
    await refusal(verifyHostKey(ep({ knownHostsFiles: [kh], hostKeyChecking: 'accept-new' }), other))
  })

  it('accept-new with no known_hosts file to write is refused', async () => {
    await refusal(
      verifyHostKey(
        ep({ knownHostsFiles: [], hostKeyChecking: 'accept-new', connectTimeoutMs: 10_000, keepaliveIntervalMs: 2_000, keepaliveCountMax: 3 }),
        key,
      ),
    )
  })

  it('@revoked refuses even when another line matches', async () => {
    const line = formatKnownHostLine('10.0.0.5', 22, key)
    const kh = knownHosts([line, `@revoked ${line}`])
    const e = await refusal(verifyHostKey(ep({ knownHostsFiles: [kh] }), key))
    expect(e.message).toMatch(/REVOKED/)
  })

  it('off: anything passes, with a warning', async () => {
    const warnings: string[] = []
    await verifyHostKey(ep({ hostKeyChecking: 'off' }), key, (m) => warnings.push(m))
    expect(warnings.join()).toMatch(/host key checking is off/)
  })

  it('a failure to verify is a HostKeyError too', () => {
    const e = asHostKeyError(ep({}), key, new Error('EACCES'))
    expect(e).toBeInstanceOf(HostKeyError)
    expect(e.message).toBe('hv1: cannot verify host key: EACCES')
  })
})

describe('preferredHostKeyAlgos', () => {
  it('offers the key types known for the host first (RSA as its SHA-2 signatures), then the rest', async () => {
    const kh = knownHosts([formatKnownHostLine('10.0.0.5', 22, rsa(3))])
    const algos = await preferredHostKeyAlgos(ep({ knownHostsFiles: [kh] }))
    expect(algos?.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
    expect(new Set(algos)).toEqual(new Set(HOST_KEY_ALGOS))
  })

  it('leaves the default order when nothing is known or checking is off', async () => {
    expect(await preferredHostKeyAlgos(ep({ knownHostsFiles: [knownHosts([])] }))).toBeUndefined()
    expect(await preferredHostKeyAlgos(ep({ hostKeyChecking: 'off' }))).toBeUndefined()
  })
})
