import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { AnyAuthMethod } from 'ssh2'
import { authHandler, identityFiles, KeyStore } from '../../../src/ssh/auth.js'
import type { Endpoint } from '../../../src/ssh/endpoint.js'
import { endpointFor } from '../../../src/ssh/endpoint.js'
import { hostSpec } from '../../support/fake-fleet.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'vf-auth-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
function keygen(name: string, passphrase = ''): string {
  const f = path.join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', f])
  return f
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
