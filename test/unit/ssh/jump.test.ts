import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { InputError } from '../../../src/core/errors.js'
import { EventBus } from '../../../src/core/events.js'
import { exitCodeForError } from '../../../src/core/exit-codes.js'
import { runStop } from '../../../src/engine/stop.js'
import { bastionSpec, checkJumps, parseJump } from '../../../src/ssh/jump.js'
import { parseSshConfig } from '../../../src/ssh/ssh-config.js'
import { createSshTransport } from '../../../src/ssh/ssh-transport.js'
import { hostSpec } from '../../support/fake-fleet.js'

describe('parseJump', () => {
  it('reads user@host:port, host, [v6]:port, [v6] and ssh:// forms', () => {
    expect(parseJump('admin@bastion:2200')).toEqual({ user: 'admin', host: 'bastion', port: 2200 })
    expect(parseJump('bastion')).toEqual({ host: 'bastion' })
    expect(parseJump('[fe80::1]:22')).toEqual({ host: 'fe80::1', port: 22 })
    expect(parseJump('[fe80::1]')).toEqual({ host: 'fe80::1' })
    expect(parseJump('ssh://a@b:3')).toEqual({ user: 'a', host: 'b', port: 3 })
    expect(parseJump('  ops@10.0.0.1  ')).toEqual({ user: 'ops', host: '10.0.0.1' })
  })

  it.each([
    ['', /no host name/],
    ['user@', /no host name/],
    ['@host', /empty user name/],
    ['host:', /port "" is not 1-65535/],
    ['host:0', /port "0" is not 1-65535/],
    ['host:65536', /port "65536" is not 1-65535/],
    ['host:22x', /port "22x" is not 1-65535/],
    ['fe80::1', /IPv6 address must be in brackets/],
    ['[fe80::1', /unclosed/],
    ['a b@host', /user name contains white space/],
    ['host/x', /host name contains/],
  ])('refuses %j as bad input (InputError, exit 4)', (spec, why) => {
    const err = (() => {
      try {
        parseJump(spec)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toMatch(why)
    expect((err as Error).message).toContain(`invalid jump host "${spec}"`)
    expect(exitCodeForError(err)).toBe(4)
  })

  it('checkJumps names the host whose entry is bad', () => {
    expect(() => checkJumps({ name: 'hv7', jump: ['ok@bastion', 'x@y:99999'] })).toThrow(/^host hv7: invalid jump host "x@y:99999"/)
    expect(() => checkJumps({ name: 'hv7', jump: ['ok@bastion:22'] })).not.toThrow()
  })
})

describe('bastionSpec', () => {
  it("inherits the target's identity files and known_hosts policy, with its own address, port and user", () => {
    const target = hostSpec('hv1', { identityFiles: ['/k/id'], knownHostsFiles: ['/k/kh'], hostKeyChecking: 'accept-new', jump: ['a@b:2'] })
    const b = bastionSpec('ops@gw:2222', target, undefined, '/home/me', 'me')
    expect(b).toMatchObject({
      name: 'gw',
      address: 'gw',
      port: 2222,
      user: 'ops',
      jump: [],
      identityFiles: ['/k/id'],
      knownHostsFiles: ['/k/kh'],
      hostKeyChecking: 'accept-new',
    })
    expect(bastionSpec('gw', target, undefined, '/home/me', 'me')).toMatchObject({ port: 22, user: 'me' })
  })

  it('ssh_config fills what the jump entry leaves open (HostName, Port, User), never what it says', () => {
    const config = parseSshConfig('Host gw\n  HostName gw.example.net\n  Port 2200\n  User jumper\n')
    expect(bastionSpec('gw', hostSpec('hv1'), config, '/home/me', 'me')).toMatchObject({ address: 'gw.example.net', port: 2200, user: 'jumper' })
    expect(bastionSpec('ops@gw:2022', hostSpec('hv1'), config, '/home/me', 'me')).toMatchObject({ port: 2022, user: 'ops' })
  })
})

describe('a run with a malformed jump host', () => {
  it('is refused with InputError before any host is touched', async () => {
    const transport = createSshTransport({ agent: false })
    const events: string[] = []
    const bus = new EventBus()
    bus.on((e) => events.push(e.type))
    const ctx = { transport, clock: new FakeClock(), bus, runId: 'r', command: 'shutdown', check: false }
    await expect(runStop([hostSpec('hv1'), hostSpec('hv2', { jump: ['ops@gw:99999'] })], ctx, {})).rejects.toThrow(
      /^host hv2: invalid jump host "ops@gw:99999": port "99999" is not 1-65535/,
    )
    expect(events).toEqual([])
    await transport.closeAll()
  })
})
