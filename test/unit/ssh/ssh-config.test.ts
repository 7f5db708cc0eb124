import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { HostSpec } from '../../../src/inventory/types.js'
import { hostSpec } from '../../support/fake-fleet.js'
import { applySshConfig, expandTokens, loadSshConfig, parseSshConfig, sshConfigPath } from '../../../src/ssh/ssh-config.js'

const home = '/home/op'
const opts = { home, localUser: 'op', matchExec: false }

function spec(over: Partial<HostSpec> = {}): HostSpec {
  // no `explicit` unless a test sets it: the parser's defaults must stay overridable by ssh_config
  const { explicit: _none, ...base } = hostSpec('hv1', { address: 'hv1', user: 'op' })
  return { ...base, ...over }
}

const config = parseSshConfig(`
Host hv1
  HostName 10.0.0.%h.x
  User admin
  Port 2222
  IdentityFile ~/.ssh/id_%h_%r
  IdentityFile /keys/%u-%p
  ProxyJump jump@bastion:2200,inner
  UserKnownHostsFile ~/.ssh/kh_fleet /etc/kh_%h
  StrictHostKeyChecking accept-new

host hv2
  hostname hv2.example.org
  stricthostkeychecking no
  proxyjump none

Host *
  User fallback
  Port 2200
  IdentityFile ~/.ssh/id_default
`)

describe('applySshConfig', () => {
  it('fills every connection field when the inventory set none (missing explicit = nothing explicit)', () => {
    const r = applySshConfig(spec(), config, opts)
    expect(r).toMatchObject({
      address: '10.0.0.hv1.x',
      user: 'admin',
      port: 2222,
      identityFiles: ['/home/op/.ssh/id_10.0.0.hv1.x_admin', '/keys/op-2222', '/home/op/.ssh/id_default'],
      jump: ['jump@bastion:2200', 'inner'],
      knownHostsFiles: ['/home/op/.ssh/kh_fleet', '/etc/kh_10.0.0.hv1.x'],
      hostKeyChecking: 'accept-new',
    })
  })

  it('keeps what the inventory set explicitly', () => {
    const r = applySshConfig(
      spec({
        address: 'hv1',
        port: 22,
        user: 'op',
        identityFiles: ['/inv/key'],
        jump: ['inv-bastion'],
        knownHostsFiles: ['/inv/kh'],
        hostKeyChecking: 'strict',
        explicit: { address: true, port: true, user: true, identityFiles: true, jump: true },
      }),
      config,
      opts,
    )
    expect(r).toMatchObject({
      address: 'hv1',
      port: 22,
      user: 'op',
      identityFiles: ['/inv/key'],
      jump: ['inv-bastion'],
      knownHostsFiles: ['/inv/kh'],
      hostKeyChecking: 'strict',
    })
  })

  it('mixes explicit and config fields per field', () => {
    const r = applySshConfig(spec({ port: 2022, explicit: { port: true } }), config, opts)
    expect(r.port).toBe(2022)
    expect(r.user).toBe('admin')
    expect(r.identityFiles[1]).toBe('/keys/op-2022') // %p is the final port
  })

  it('first value wins; Host * only fills the rest; keywords are case-insensitive', () => {
    const r = applySshConfig(spec({ name: 'hv2', address: 'hv2' }), config, opts)
    expect(r).toMatchObject({
      address: 'hv2.example.org',
      user: 'fallback',
      port: 2200,
      identityFiles: ['/home/op/.ssh/id_default'],
      jump: [],
      hostKeyChecking: 'off',
    })
    expect(r.knownHostsFiles).toBeUndefined()
  })

  it('looks the host up by address (like `ssh <ansible_host>`)', () => {
    const r = applySshConfig(spec({ name: 'other', address: 'hv2', explicit: { address: true } }), config, opts)
    expect(r.address).toBe('hv2')
    expect(r.hostKeyChecking).toBe('off')
  })

  it('leaves the spec alone without a config and does not mutate its input', () => {
    const s = spec()
    expect(applySshConfig(s, undefined, opts)).toBe(s)
    applySshConfig(s, config, opts)
    expect(s.address).toBe('hv1')
  })
})

describe('applySshConfig: connect timeout and keepalive', () => {
  const timing = parseSshConfig(`
Host slow
  ConnectTimeout 1m
  ServerAliveInterval 15
  ServerAliveCountMax 6

Host *
  ServerAliveInterval 60
`)
  it('fills ConnectTimeout, ServerAliveInterval and ServerAliveCountMax the inventory did not set', () => {
    expect(applySshConfig(spec({ address: 'slow' }), timing, opts)).toMatchObject({
      connectTimeoutMs: 60_000,
      keepaliveIntervalMs: 15_000,
      keepaliveCountMax: 6,
    })
    const other = applySshConfig(spec({ address: 'other' }), timing, opts)
    expect(other.keepaliveIntervalMs).toBe(60_000)
    expect(other.connectTimeoutMs).toBeUndefined()
    expect(other.keepaliveCountMax).toBeUndefined()
  })
  it("keeps the inventory's own values", () => {
    const r = applySshConfig(spec({ address: 'slow', connectTimeoutMs: 5_000, keepaliveIntervalMs: 0, keepaliveCountMax: 1 }), timing, opts)
    expect(r).toMatchObject({ connectTimeoutMs: 5_000, keepaliveIntervalMs: 0, keepaliveCountMax: 1 })
  })
  it('ignores a value it cannot read, as for the other keywords', () => {
    const bad = parseSshConfig('Host *\n  ServerAliveInterval often\n  ConnectTimeout soon\n')
    const r = applySshConfig(spec(), bad, opts)
    expect([r.keepaliveIntervalMs, r.connectTimeoutMs]).toEqual([undefined, undefined])
  })
})

describe('config file location', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'virtfleet-sshcfg-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  it('option > VIRTFLEET_SSH_CONFIG > ~/.ssh/config', () => {
    expect(sshConfigPath({ env: {}, home })).toBe('/home/op/.ssh/config')
    expect(sshConfigPath({ env: { VIRTFLEET_SSH_CONFIG: '~/alt' }, home })).toBe('/home/op/alt')
    expect(sshConfigPath({ env: { VIRTFLEET_SSH_CONFIG: '/x' }, path: '/y', home })).toBe('/y')
  })

  it('a missing default file is no config; a missing explicit file is an error', async () => {
    expect(await loadSshConfig({ env: {}, home: tmp })).toBeUndefined()
    await expect(loadSshConfig({ env: { VIRTFLEET_SSH_CONFIG: path.join(tmp, 'nope') } })).rejects.toThrow(/cannot read ssh config/)
    const f = path.join(tmp, 'cfg')
    writeFileSync(f, 'Host a\n  Port 2\n')
    const c = await loadSshConfig({ path: f })
    expect(applySshConfig(spec({ name: 'a', address: 'a' }), c, opts).port).toBe(2)
  })

  it('expands tokens', () => {
    const t = { home, host: 'h', originalHost: 'n', port: 22, remoteUser: 'r', localUser: 'u' }
    expect(expandTokens('%d/%h/%n/%p/%r/%u/%%/%z', t)).toBe('/home/op/h/n/22/r/u/%/%z')
  })
})
