import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { AnyAuthMethod } from 'ssh2'
import ssh2 from 'ssh2'
import type { ParsedKey } from 'ssh2'
import { authHandler, identityFiles, KeyStore, signingWithKeyObject } from '../../../src/ssh/auth.js'
import type { Endpoint } from '../../../src/ssh/endpoint.js'
import { endpointFor } from '../../../src/ssh/endpoint.js'
import { hostSpec } from '../../support/fake-fleet.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'vf-auth-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
function keygen(name: string, passphrase = '', type = ['-t', 'ed25519']): string {
  const f = path.join(dir, name)
  execFileSync('ssh-keygen', ['-q', ...type, '-N', passphrase, '-f', f])
  return f
}
/** The key as ssh2 parses it, untouched. */
function parsedBySsh2(file: string): ParsedKey {
  const k = ssh2.utils.parseKey(readFileSync(file))
  if (k instanceof Error || Array.isArray(k)) throw new Error(`unparsable ${file}`)
  return k
}
function ep(identityFiles: string[]): Endpoint {
  return endpointFor(hostSpec('hv1', { address: 'h', user: 'ops', identityFiles, knownHostsFiles: [] }), {})
}
/** Every method the handler offers, in order, as if the server refused each one. */
async function offered(handler: ReturnType<typeof authHandler>): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    const m = await new Promise<AnyAuthMethod | false>((resolve) => handler(['publickey'], false, (x) => resolve(x as AnyAuthMethod | false)))
    if (m === false) return out
    out.push(m.type === 'agent' ? 'agent' : 'key')
  }
}

describe('signing with a KeyObject decoded once', () => {
  const data = Buffer.from('session id and userauth request')
  // one key per type: an RSA key is slow to make
  const made = new Map<string, string>()
  const keyOf = (type: readonly string[]) => {
    const name = `sign-${type.join('')}`
    if (!made.has(name)) made.set(name, keygen(name, '', [...type]))
    return made.get(name) as string
  }
  it.each([
    ['ed25519', ['-t', 'ed25519'], undefined],
    ['rsa, rsa-sha2-256', ['-t', 'rsa', '-b', '2048'], 'sha256'],
    ['rsa, rsa-sha2-512', ['-t', 'rsa', '-b', '2048'], 'sha512'],
    ['rsa, ssh-rsa', ['-t', 'rsa', '-b', '2048'], 'sha1'],
  ] as const)('%s: the same signature as ssh2 makes from the PEM', (_name, type, algo) => {
    const f = keyOf(type)
    const mine = signingWithKeyObject(parsedBySsh2(f))
    const theirs = parsedBySsh2(f)
    // ed25519 and RSA PKCS#1 v1.5 signatures are deterministic
    expect(mine.sign(data, algo)).toEqual(theirs.sign(data, algo))
  })

  it.each([
    ['nistp256', '256'],
    ['nistp384', '384'],
    ['nistp521', '521'],
  ])('ecdsa %s: a signature ssh2 verifies', (curve, bits) => {
    const f = keygen(`sign-ecdsa-${curve}`, '', ['-t', 'ecdsa', '-b', bits])
    const mine = signingWithKeyObject(parsedBySsh2(f))
    const sig = mine.sign(data)
    expect(sig).toBeInstanceOf(Buffer)
    expect(parsedBySsh2(f).verify(data, sig)).toBe(true)
  })

  it('signs without the PEM: the key no longer decodes it for each signature', () => {
    const key = signingWithKeyObject(parsedBySsh2(keygen('sign-no-pem')))
    const pemSymbol = Object.getOwnPropertySymbols(key).find((s) => s.description === 'Private key PEM') as symbol
    // the key keeps its PEM (getPrivatePEM, equals); signing no longer reads it
    ;(key as unknown as Record<symbol, unknown>)[pemSymbol] = 'not a PEM any more'
    expect(key.sign(data)).toBeInstanceOf(Buffer)
    expect(key.getPrivatePEM()).toBe('not a PEM any more')
  })

  it('a key whose internals are not where ssh2 1.17 keeps them is left as it is', () => {
    const odd = { sign: () => Buffer.from('x') } as unknown as ParsedKey
    const sign = odd.sign
    expect(signingWithKeyObject(odd).sign).toBe(sign)
  })

  it('KeyStore hands out keys that sign this way', async () => {
    const f = keygen('sign-store')
    const key = (await new KeyStore({ env: {} }).load(f, 'hv1', true)) as ParsedKey
    expect(Object.prototype.hasOwnProperty.call(key, 'sign')).toBe(true)
    expect(key.sign(data)).toEqual(parsedBySsh2(f).sign(data))
  })
})

describe('KeyStore', () => {
  it('asks once per encrypted file and unlocks it', async () => {
    const f = keygen('locked', 'sekrit')
    const asked: string[] = []
    const keys = new KeyStore({ env: {}, askPassphrase: (file) => (asked.push(file), 'sekrit') })
    expect(await keys.load(f, 'hv1', true)).toBeDefined()
    expect(await keys.load(f, 'hv2', true)).toBeDefined()
    expect(asked).toEqual([f])
  })

  it('VIRTFLEET_SSH_PASSPHRASE wins over asking', async () => {
    const f = keygen('locked-env', 'pw')
    const keys = new KeyStore({ env: { VIRTFLEET_SSH_PASSPHRASE: 'pw' }, askPassphrase: () => expect.unreachable('asked') })
    expect(await keys.load(f, 'hv1', true)).toBeDefined()
  })

  it('an encrypted key with no passphrase, a wrong one or a missing explicit file is skipped with a warning', async () => {
    const warnings: string[] = []
    const onWarning = (m: string) => warnings.push(m)
    const f = keygen('locked2', 'pw')
    expect(await new KeyStore({ env: {}, onWarning }).load(f, 'hv1', true)).toBeUndefined()
    expect(await new KeyStore({ env: {}, onWarning, askPassphrase: () => 'wrong' }).load(f, 'hv1', true)).toBeUndefined()
    expect(await new KeyStore({ env: {}, onWarning }).load(path.join(dir, 'nope'), 'hv1', true)).toBeUndefined()
    expect(warnings[0]).toMatch(/is encrypted and no passphrase was given; skipping it/)
    expect(warnings[1]).toMatch(/unusable/)
    expect(warnings[2]).toMatch(/not readable/)
    // a default identity that does not exist is no news
    expect(await new KeyStore({ env: {}, onWarning }).load(path.join(dir, 'nope2'), 'hv1', false)).toBeUndefined()
    expect(warnings).toHaveLength(3)
  })
})

describe('authHandler', () => {
  it('explicit identity files come before the agent; ~ is the given home', async () => {
    const f = keygen('plain')
    expect(identityFiles(ep(['~/k', '/abs']), '/home/me')).toEqual(['/home/me/k', '/abs'])
    const tried: string[] = []
    const h = authHandler(ep([f]), new KeyStore({ env: {} }), { agent: '/agent.sock', env: {} }, tried)
    expect(await offered(h)).toEqual(['key', 'agent'])
    expect(tried).toEqual([f, 'ssh-agent'])
  })

  it('without identity files: the agent first, then the default ~/.ssh keys that exist', async () => {
    const home = mkdtempSync(path.join(dir, 'home-'))
    execFileSync('mkdir', ['-p', path.join(home, '.ssh')])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, '.ssh', 'id_ed25519')])
    const tried: string[] = []
    const h = authHandler(ep([]), new KeyStore({ env: {} }), { env: { SSH_AUTH_SOCK: '/a.sock' }, homeDir: home }, tried)
    expect(await offered(h)).toEqual(['agent', 'key'])
    expect(tried).toEqual(['ssh-agent', path.join(home, '.ssh', 'id_ed25519')])
  })

  it('agent: false disables the agent', async () => {
    const h = authHandler(ep([keygen('plain2')]), new KeyStore({ env: {} }), { agent: false, env: { SSH_AUTH_SOCK: '/a.sock' } }, [])
    expect(await offered(h)).toEqual(['key'])
  })
})
