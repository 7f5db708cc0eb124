// Keepalive against a peer that never answers keepalive requests (an SSH server in this process, ssh2's, whose
// replies to `keepalive@openssh.com` are swallowed: what a loaded host whose replies lag looks like, taken to the
// limit). Output that keeps arriving proves the peer alive, as it does for OpenSSH; silence still ends the
// connection within about interval × (count + 1).

import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HostSpec } from '../../src/inventory/types.js'
import { ConnectionLostError, createSshTransport, type SshTransport } from '../../src/ssh/ssh-transport.js'

const { Server, utils } = ssh2

let server: InstanceType<typeof Server>
let port = 0
let dir = ''
let keepalivesSeen = 0
const transports: SshTransport[] = []

/** `ticks N MS`: prints a line every MS ms, N times; `silent MS`: prints nothing for MS ms. Then exits 0. */
function run(command: string, out: ssh2.ServerChannel): void {
  const [verb, a, b] = command.split(' ')
  const finish = () => {
    out.exit(0)
    out.end()
  }
  if (verb === 'silent') return void setTimeout(finish, Number(a))
  let left = Number(a)
  const t = setInterval(() => {
    out.write(`tick ${left}\n`)
    if (--left === 0) {
      clearInterval(t)
      finish()
    }
  }, Number(b))
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vf-keepalive-'))
  const host = utils.generateKeyPairSync('ed25519')
  const client = utils.generateKeyPairSync('ed25519')
  writeFileSync(path.join(dir, 'client_key'), client.private, { mode: 0o600 })
  server = new Server({ hostKeys: [host.private] }, (conn) => {
    // Swallow every keepalive request: no reply ever goes back (ssh2's server would answer each with a failure).
    const handlers = (conn as unknown as { _protocol: { _handlers: Record<string, (...args: unknown[]) => void> } })._protocol._handlers
    const globalRequest = handlers.GLOBAL_REQUEST as (...args: unknown[]) => void
    handlers.GLOBAL_REQUEST = (p: unknown, name: unknown, ...rest: unknown[]) => {
      if (name === 'keepalive@openssh.com') return void keepalivesSeen++
      globalRequest(p, name, ...rest)
    }
    conn.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])))
    conn.on('session', (accept) => {
      accept().on('exec', (acceptExec, _reject, info) => run(info.command, acceptExec()))
    })
    conn.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as { port: number }).port
  writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${host.public}\n`)
})

afterAll(async () => {
  await Promise.all(transports.splice(0).map((t) => t.closeAll()))
  await new Promise<void>((resolve) => server?.close(() => resolve()))
})

function spec(): HostSpec {
  return {
    name: 'deaf',
    address: '127.0.0.1',
    port,
    user: 'root',
    identityFiles: [path.join(dir, 'client_key')],
    jump: [],
    uris: ['qemu:///system'],
    become: false,
    knownHostsFiles: [path.join(dir, 'known_hosts')],
    vars: {},
    groups: ['all'],
  }
}

function transport(): SshTransport {
  const t = createSshTransport({ agent: false, keepaliveIntervalMs: 200, keepaliveCountMax: 1, retries: 0, onWarning: () => {} })
  transports.push(t)
  return t
}

describe('keepalive against a peer that never answers one', () => {
  it('a command whose output keeps coming runs to its end: the output proves the peer alive', async () => {
    const s = await transport().connect(spec())
    const t0 = Date.now()
    // 20 lines 100 ms apart: 2 s, five times the 400 ms (200 ms × (1 + 1)) in which an unanswered keepalive ends it
    const res = await s.exec(['ticks', '20', '100'])
    expect(res.code).toBe(0)
    expect(res.stdout.trim().split('\n')).toHaveLength(20)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900)
  })

  it('silence still ends the connection within about interval × (count + 1), with ConnectionLostError', async () => {
    const s = await transport().connect(spec())
    const seen = keepalivesSeen
    const t0 = Date.now()
    const err = await s.exec(['silent', '5000']).catch((e: unknown) => e)
    const elapsed = Date.now() - t0
    expect(err).toBeInstanceOf(ConnectionLostError)
    expect((err as Error).message).toMatch(/no answer to 2 keepalives in 0\.4s/)
    expect(elapsed).toBeLessThan(2000)
    // the keepalives were sent and went unanswered
    expect(keepalivesSeen).toBeGreaterThan(seen)
  })
})
