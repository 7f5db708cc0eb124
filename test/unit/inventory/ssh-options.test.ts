import { describe, expect, it } from 'vitest'
import { resolveHost } from '../../../src/inventory/index.js'
import { applySshOption, parseHostKeyChecking, parseSshArgs, type SshOptions } from '../../../src/inventory/ssh-options.js'
import { applySshConfig, parseSshConfig } from '../../../src/ssh/ssh-config.js'
import { hostSpec } from '../../support/fake-fleet.js'
import { inputError, parse } from './helpers.js'

describe('one ssh option parser for inventory vars, ssh args and ssh_config', () => {
  it('the common [all:vars] idiom ansible_ssh_common_args="-o UserKnownHostsFile=…" works (was: "needs a value", exit 4)', () => {
    const inv = parse(['i.ini', '[g]\nh1\n[all:vars]\nansible_ssh_common_args="-o UserKnownHostsFile=/path/known_hosts"\n'])
    expect(resolveHost(inv, 'h1').knownHostsFiles).toEqual(['/path/known_hosts'])
  })
  it('reads -o Key=Value, -o Key Value, -o "Key Value", -oKey=Value, -p, -l, and skips other flags with their argument', () => {
    expect(parseSshArgs('-o Port=2200 -o User deploy')).toEqual({ port: 2200, user: 'deploy' })
    expect(parseSshArgs("-o 'Port 2201' -oUser=x")).toEqual({ port: 2201, user: 'x' })
    expect(parseSshArgs('-p 2202 -l ops -F /dev/null -c aes128-ctr -C')).toEqual({ port: 2202, user: 'ops' })
    expect(parseSshArgs('-o ProxyCommand="ssh -W %h:%p -q user@gw"')).toEqual({})
  })
  it('Port and User from ansible_ssh_common_args reach the HostSpec; ansible_port still wins', () => {
    const inv = parse(['i.ini', '[g]\nh1 ansible_ssh_common_args="-o Port=2200 -o User=deploy"\nh2 ansible_port=22 ansible_ssh_common_args="-p 2200"\n'])
    expect(resolveHost(inv, 'h1')).toMatchObject({ port: 2200, user: 'deploy', explicit: { port: true, user: true } })
    expect(resolveHost(inv, 'h2').port).toBe(22)
  })
  it('a bad value of an option virtfleet uses is an InputError at the var', () => {
    const inv = parse(['i.ini', '[g]\nh1 ansible_ssh_common_args="-o Port=http"\n'])
    expect(inputError(() => resolveHost(inv, 'h1'))).toMatch(/^i\.ini:2:4: host h1: ansible_ssh_common_args: Port=http: expected a port number/)
  })
  it('StrictHostKeyChecking words and the inventory var share one reading', () => {
    expect(['yes', 'ask', 'accept-new', 'no', 'off'].map(parseHostKeyChecking)).toEqual(['strict', 'strict', 'accept-new', 'off', 'off'])
    expect([true, false, 'strict', 'false'].map(parseHostKeyChecking)).toEqual(['strict', 'off', 'strict', 'off'])
    const out: SshOptions = {}
    expect(() => applySshOption(out, 'StrictHostKeyChecking', 'strict')).toThrow(/expected yes, accept-new or no/)
    const inv = parse(['i.ini', '[g]\nh1 host_key_checking=accept-new\nh2 ansible_ssh_common_args="-o StrictHostKeyChecking=accept-new"\n'])
    expect(resolveHost(inv, 'h1').hostKeyChecking).toBe(resolveHost(inv, 'h2').hostKeyChecking)
  })
})

describe('ProxyJump aliases from ~/.ssh/config', () => {
  const config = parseSshConfig(`
Host gw
  HostName bastion.example.net
  User jumper
  Port 2222

Host inner
  HostName 10.9.9.9

Host hv1
  ProxyJump gw,inner
`)
  const opts = { home: '/home/op', localUser: 'op', matchExec: false }
  it('a jump alias from ssh_config resolves to its HostName, User and Port (was: used as a host name)', () => {
    const { explicit: _none, ...spec } = hostSpec('hv1', { address: 'hv1', user: 'op' })
    expect(applySshConfig(spec, config, opts).jump).toEqual(['jumper@bastion.example.net:2222', '10.9.9.9'])
  })
  it('an inventory jump naming an alias resolves too; its own user and port win', () => {
    const spec = hostSpec('hv2', { address: 'hv2', user: 'op', jump: ['admin@gw', 'gw:22', 'plain.example.org'], explicit: { jump: true } })
    expect(applySshConfig(spec, config, opts).jump).toEqual(['admin@bastion.example.net:2222', 'jumper@bastion.example.net:22', 'plain.example.org'])
  })
})
