import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { parseSshArgs, resolveHost } from '../../../src/inventory/index.js'
import { inputError, parse } from './helpers.js'

const one = (vars: string, file = 'r.yml') => resolveHost(parse([file, `all:\n  hosts:\n    h1:\n${vars.replace(/^/gm, '      ')}\n`]), 'h1')

describe('resolveHost defaults', () => {
  it('uses the name as address, port 22, the local user, qemu:///system, and marks nothing explicit', () => {
    const h = one('{}')
    expect(h).toMatchObject({
      name: 'h1',
      address: 'h1',
      port: 22,
      user: os.userInfo().username,
      identityFiles: [],
      jump: [],
      uris: ['qemu:///system'],
      become: false,
      groups: ['all', 'ungrouped'],
    })
    expect(h.explicit).toEqual({})
  })
  it('takes defaults for user, port and uris from the caller', () => {
    const h = resolveHost(parse(['d.ini', 'h1\n']), 'h1', { user: 'admin', port: 2022, uris: ['qemu:///session'] })
    expect(h).toMatchObject({ user: 'admin', port: 2022, uris: ['qemu:///session'] })
  })
})

describe('virtfleet keys', () => {
  it('reads every key', () => {
    const h = one(`address: 10.0.0.1
port: 2200
user: ops
identity_file: [~/.ssh/a, ~/.ssh/b]
jump: [ops@bastion:2222, inner]
uris: qemu:///system qemu+tcp://x/system
become: 'yes'
become_user: virt
parallel: '3'
timeout: 90
host_timeout: 1h30m
action: suspend
fallback: shutdown, destroy
reboot_command: /sbin/reboot
state_dir: /srv/virtfleet
known_hosts_files: /etc/vf/known_hosts
host_key_checking: accept-new`)
    expect(h).toMatchObject({
      address: '10.0.0.1',
      port: 2200,
      user: 'ops',
      identityFiles: ['~/.ssh/a', '~/.ssh/b'],
      jump: ['ops@bastion:2222', 'inner'],
      uris: ['qemu:///system', 'qemu+tcp://x/system'],
      become: true,
      becomeUser: 'virt',
      parallel: 3,
      timeoutMs: 90_000,
      hostTimeoutMs: 5_400_000,
      action: 'suspend',
      fallback: ['shutdown', 'destroy'],
      rebootCommand: '/sbin/reboot',
      stateDir: '/srv/virtfleet',
      knownHostsFiles: ['/etc/vf/known_hosts'],
      hostKeyChecking: 'accept-new',
    })
    expect(h.explicit).toEqual({ address: true, port: true, user: true, identityFiles: true, jump: true })
  })
  it('rejects bad values naming host, var and position', () => {
    expect(inputError(() => one('port: 70000'))).toBe('r.yml:4:13: host h1: port: expected a port number (1-65535), got 70000')
    expect(inputError(() => one('become: maybe'))).toMatch(/^r\.yml:4:15: host h1: become: expected a boolean/)
    expect(inputError(() => one('timeout: soon'))).toMatch(/^r\.yml:4:16: host h1: timeout: expected seconds or a duration/)
    expect(inputError(() => one('fallback: [suspend, nap]'))).toMatch(/^r\.yml:4:17: host h1: fallback: expected one of shutdown, suspend, destroy/)
    expect(inputError(() => one('jump: "a b"'))).toMatch(/host h1: jump: expected jump hosts/)
    expect(inputError(() => one('uris: []'))).toMatch(/host h1: uris: expected at least one value/)
    expect(inputError(() => one('user: {a: 1}'))).toMatch(/host h1: user: expected a non-empty string/)
  })
})

describe('Ansible connection vars', () => {
  it('reads ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_become(_user), libvirt_uris', () => {
    const h = one(`ansible_host: 192.0.2.7
ansible_port: 2222
ansible_user: deploy
ansible_ssh_private_key_file: ~/.ssh/deploy
ansible_become: true
ansible_become_user: root
libvirt_uris: [qemu:///system]`)
    expect(h).toMatchObject({ address: '192.0.2.7', port: 2222, user: 'deploy', identityFiles: ['~/.ssh/deploy'], become: true, becomeUser: 'root' })
    expect(h.explicit).toEqual({ address: true, port: true, user: true, identityFiles: true })
  })
  it('takes the port from host:port in INI and YAML and marks it explicit', () => {
    const inv = parse(['p.ini', 'h1:2200\n'])
    expect(resolveHost(inv, 'h1')).toMatchObject({ port: 2200, explicit: { port: true } })
  })
  it('ansible_become accepts yes/true strings (INI [vars] values are strings)', () => {
    const inv = parse(['b.ini', '[g]\nh1\nh2 ansible_become=False\n[g:vars]\nansible_become=yes\n'])
    expect(resolveHost(inv, 'h1').become).toBe(true)
    expect(resolveHost(inv, 'h2').become).toBe(false)
  })
  it('between a virtfleet key and its Ansible alias, the more specific level wins', () => {
    const inv = parse(['a.yml', 'all:\n  vars: { user: everyone }\n  hosts:\n    h1: { ansible_user: special }\n    h2:\n'])
    expect(resolveHost(inv, 'h1').user).toBe('special')
    expect(resolveHost(inv, 'h2').user).toBe('everyone')
    const same = parse(['b.yml', 'all:\n  hosts:\n    h1: { ansible_user: a, user: b }\n'])
    expect(resolveHost(same, 'h1').user).toBe('b')
  })
})

describe('ansible_ssh_common_args', () => {
  it('parses -o ProxyJump, -J, UserKnownHostsFile, StrictHostKeyChecking and identity options', () => {
    expect(parseSshArgs('-o ProxyJump=ops@bastion:2222,inner -o UserKnownHostsFile="/a b/kh /etc/kh2" -o StrictHostKeyChecking=no')).toEqual({
      jump: ['ops@bastion:2222', 'inner'],
      knownHostsFiles: ['/a', 'b/kh', '/etc/kh2'],
      hostKeyChecking: 'off',
    })
    expect(parseSshArgs("-J jump1 -oStrictHostKeyChecking=accept-new -o 'IdentityFile ~/.ssh/x' -i ~/.ssh/y")).toEqual({
      jump: ['jump1'],
      hostKeyChecking: 'accept-new',
      identityFiles: ['~/.ssh/x', '~/.ssh/y'],
    })
    expect(parseSshArgs('-Jb1,b2 -o StrictHostKeyChecking yes -o ProxyJump=none')).toEqual({ jump: [], hostKeyChecking: 'strict' })
    expect(parseSshArgs('-o Compression=yes -C')).toEqual({})
    expect(parseSshArgs('-o ServerAliveInterval=5 -C')).toEqual({ keepaliveIntervalMs: 5000 })
  })
  it('feeds jump, knownHostsFiles and hostKeyChecking into the HostSpec (jump explicit)', () => {
    const inv = parse([
      's.ini',
      '[g]\nh1\n[g:vars]\nansible_ssh_common_args=-o ProxyJump=admin@gw.example.net -o UserKnownHostsFile=/etc/vf/kh -o StrictHostKeyChecking=accept-new\n',
    ])
    expect(resolveHost(inv, 'h1')).toMatchObject({
      jump: ['admin@gw.example.net'],
      knownHostsFiles: ['/etc/vf/kh'],
      hostKeyChecking: 'accept-new',
      explicit: { jump: true },
    })
  })
  it('reads ConnectTimeout, ServerAliveInterval and ServerAliveCountMax (ssh_config time formats) into the HostSpec', () => {
    expect(parseSshArgs('-o ConnectTimeout=30 -o ServerAliveInterval=1m30s -o ServerAliveCountMax=5')).toEqual({
      connectTimeoutMs: 30_000,
      keepaliveIntervalMs: 90_000,
      keepaliveCountMax: 5,
    })
    // ConnectTimeout 0 is ssh's "no timeout of its own": the run's --connect-timeout still bounds the connect
    expect(parseSshArgs('-o ConnectTimeout=0 -o ServerAliveInterval=0')).toEqual({ keepaliveIntervalMs: 0 })
    expect(one('ansible_ssh_common_args: -o ServerAliveInterval=15 -o ServerAliveCountMax=2 -o ConnectTimeout=45')).toMatchObject({
      connectTimeoutMs: 45_000,
      keepaliveIntervalMs: 15_000,
      keepaliveCountMax: 2,
    })
  })
  it('ansible_ssh_timeout (and connect_timeout) set the connect timeout, over -o ConnectTimeout', () => {
    expect(one('ansible_ssh_timeout: 30').connectTimeoutMs).toBe(30_000)
    expect(one('connect_timeout: 2m').connectTimeoutMs).toBe(120_000)
    expect(one('ansible_ssh_common_args: -o ConnectTimeout=5\nansible_ssh_timeout: 60').connectTimeoutMs).toBe(60_000)
    expect(one('ansible_host: h').connectTimeoutMs).toBeUndefined()
  })
  it('a bad timing value is an InputError at the var', () => {
    expect(inputError(() => one('ansible_ssh_common_args: -o ServerAliveInterval=soon'))).toBe(
      'r.yml:4:32: host h1: ansible_ssh_common_args: ServerAliveInterval=soon: expected seconds or a time like 30s, 1m30s',
    )
    expect(inputError(() => one('ansible_ssh_common_args: -o ServerAliveCountMax=-1'))).toMatch(/ServerAliveCountMax=-1: expected a whole number up to 1000$/)
    expect(inputError(() => one('ansible_ssh_timeout: 0'))).toMatch(/^r\.yml:4:28: host h1: ansible_ssh_timeout: expected a connect timeout above 0/)
    expect(inputError(() => one('ansible_ssh_timeout: soon'))).toMatch(/ansible_ssh_timeout: expected seconds or a duration/)
  })
  it('an explicit jump var beats the ProxyJump in ssh args', () => {
    expect(one('ansible_ssh_common_args: -J a\njump: b').jump).toEqual(['b'])
  })
  it('a bad StrictHostKeyChecking value is an InputError at the var', () => {
    expect(inputError(() => one('ansible_ssh_common_args: -o StrictHostKeyChecking=perhaps'))).toBe(
      'r.yml:4:32: host h1: ansible_ssh_common_args: StrictHostKeyChecking=perhaps: expected yes, accept-new or no',
    )
  })
})
