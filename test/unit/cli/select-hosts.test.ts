import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { connectionSpec, loadSshConfigFlag, resolveFailedLimit, selectInventoryHosts, selectPlayHosts } from '../../../src/cli/select-hosts.js'
import { connectionOverrides } from '../../../src/cli/flags.js'
import { InputError } from '../../../src/core/errors.js'
import { parseSshConfig } from '../../../src/ssh/ssh-config.js'
import { Journal } from '../../../src/state/journal.js'
import { hostSpec } from '../../support/fake-fleet.js'

const inventory = ['inventories/example.ini']
const names = (hosts: Array<{ name: string }>) => hosts.map((h) => h.name)

afterEach(() => vi.restoreAllMocks())

describe('selecting the hosts of a run', () => {
  it('exact host names intersect the pattern selection, by name, in inventory order', async () => {
    expect(names(await selectInventoryHosts({ inventory, onlyHosts: ['hv03', 'hv01'] }))).toEqual(['hv01', 'hv03'])
    expect(names(await selectInventoryHosts({ inventory, limit: 'rack1:!gpu', onlyHosts: ['hv03', 'hv01'] }))).toEqual(['hv01'])
  })

  it('a host name holding pattern syntax matches no host: nothing is widened', async () => {
    await expect(selectInventoryHosts({ inventory, onlyHosts: ['nosuch,all'] })).rejects.toThrow(/no hosts matched hosts "nosuch,all"/)
    await expect(selectInventoryHosts({ inventory, onlyHosts: ['*'] })).rejects.toThrow(/no hosts matched/)
  })

  it("a playbook's --limit narrows each play as a subset: `--limit hv01,hv03` keeps both hosts", async () => {
    expect(names(await selectPlayHosts({ inventory, limit: 'hv01,hv03' }, 'rack1'))).toEqual(['hv01', 'hv03'])
    expect(names(await selectPlayHosts({ inventory, limit: 'gpu' }, 'hv01,hv02'))).toEqual([])
  })

  it('--limit @failed stands for the failed hosts as exact names', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const dir = mkdtempSync(join(tmpdir(), 'vf-failed-'))
    const j = Journal.create({ stateDir: dir, runId: '20261102T000000Z-bbbbbb', command: 'reboot', hosts: ['hv01', 'nosuch,all'] })
    j.append({ type: 'host-status', host: 'nosuch,all', status: 'failed', at: 'x' })
    j.close()
    expect(resolveFailedLimit({ inventory, limit: '@failed', stateDir: dir })).toEqual({ inventory, stateDir: dir, onlyHosts: ['nosuch,all'] })
  })
})

describe('connection settings', () => {
  it('an unreadable --ssh-config is an input error naming the flag', async () => {
    const err = await loadSshConfigFlag('/nonexistent/ssh_config').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toMatch(/^--ssh-config: cannot read ssh config \/nonexistent\/ssh_config/)
  })

  it('an ssh_config that exists is loaded', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vf-sshcfg-')), 'config')
    writeFileSync(file, 'Host hv01\n  User admin\n')
    expect(await loadSshConfigFlag(file)).toBeDefined()
  })

  it('a jump host spec that cannot be parsed is an input error naming the host, before anything connects', () => {
    expect(() => connectionSpec(hostSpec('hv1', { jump: ['ops@'] }), {})).toThrow(InputError)
    expect(() => connectionSpec(hostSpec('hv1', { jump: ['ops@'] }), {})).toThrow(/host hv1: jump host "ops@"/)
  })

  it('command-line key settings override the inventory', () => {
    const spec = connectionSpec(hostSpec('hv1', { hostKeyChecking: 'strict' }), { knownHosts: ['/k'], hostKeyChecking: 'accept-new' })
    expect(spec).toMatchObject({ knownHostsFiles: ['/k'], hostKeyChecking: 'accept-new' })
  })

  it('a given --connect-timeout / --keepalive beats the inventory and ssh_config; left out, theirs stay', () => {
    const own = hostSpec('hv1', { connectTimeoutMs: 60_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 6 })
    const flags = { forks: 1, json: false, output: 'auto', 'connect-timeout': '20s', keepalive: '5s,1' }
    expect(connectionSpec(own, connectionOverrides(flags, undefined))).toMatchObject({
      connectTimeoutMs: 20_000,
      keepaliveIntervalMs: 5_000,
      keepaliveCountMax: 1,
    })
    expect(connectionSpec(own, connectionOverrides({ forks: 1, json: false, output: 'auto' }, undefined))).toMatchObject({
      connectTimeoutMs: 60_000,
      keepaliveIntervalMs: 15_000,
      keepaliveCountMax: 6,
    })
    const fromConfig = connectionSpec(hostSpec('hv1', { address: 'slow' }), { sshConfig: parseSshConfig('Host slow\n  ServerAliveInterval 30\n') })
    expect(fromConfig.keepaliveIntervalMs).toBe(30_000)
    expect(() => connectionOverrides({ forks: 1, json: false, output: 'auto', 'connect-timeout': '0' }, undefined)).toThrow(
      /--connect-timeout: expected a duration above 0/,
    )
  })
})
