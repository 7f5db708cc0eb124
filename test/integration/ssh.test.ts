// SshTransport against a real OpenSSH sshd on 127.0.0.1 (test/support/sshd.ts).

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HostKeyError, UnreachableError } from '../../src/core/errors.js'
import type { HostSpec } from '../../src/inventory/types.js'
import { createSshTransport, type SshTransport, type SshTransportOptions } from '../../src/ssh/ssh-transport.js'
import { freePort, startSshd, type Sshd } from '../support/sshd.js'

let sshd: Sshd
const transports: SshTransport[] = []

beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.closeAll()))
})

function spec(overrides: Partial<HostSpec> = {}): HostSpec {
  return {
    name: 'hv1',
    address: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    identityFiles: [sshd.clientKeyPath],
    jump: [],
    uris: ['qemu:///system'],
    become: false,
    knownHostsFiles: [sshd.knownHostsPath],
    vars: {},
    groups: ['all'],
    ...overrides,
  }
}

function transport(options: SshTransportOptions = {}): SshTransport {
  const t = createSshTransport({ agent: false, retryBaseDelayMs: 100, onWarning: () => {}, ...options })
  transports.push(t)
  return t
}

function acceptedLogins(): number {
  return (sshd.log().match(/Accepted publickey/g) ?? []).length
}

async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('exec', () => {
  it('passes hostile argv through verbatim and runs none of it', async () => {
    const s = await transport().connect(spec())
    const marker = path.join(sshd.dir, 'pwned')
    const args = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      `'single' "double" \\back`,
      '  spaces  inside  ',
      'ünïcødé ✓ 日本',
      'line1\nline2',
      '',
      '*',
      '--',
      '-n',
    ]
    const r = await s.exec(['printf', '%s\\0', ...args])
    expect(r.code).toBe(0)
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(args)
    expect(existsSync(marker)).toBe(false)
  })

  it('propagates exit codes and signals', async () => {
    const s = await transport().connect(spec())
    expect((await s.exec(['sh', '-c', 'exit 7'])).code).toBe(7)
    expect((await s.exec(['true'])).code).toBe(0)
    const killed = await s.exec(['sh', '-c', 'kill -TERM $$'])
    expect(killed.code).toBeNull()
    expect(killed.signal).toBe('SIGTERM')
    const err = await s.exec(['sh', '-c', 'echo oops >&2; exit 3'])
    expect(err).toMatchObject({ code: 3, stdout: '', stderr: 'oops\n' })
  })

  it('writes stdin then EOF', async () => {
    const s = await transport().connect(spec())
    const r = await s.exec(['cat'], { stdin: 'hello\nwörld\n' })
    expect(r.stdout).toBe('hello\nwörld\n')
    // no stdin: EOF right away, cat does not hang
    expect((await s.exec(['cat'])).stdout).toBe('')
  })

  it('prefixes sudo -n -u <becomeUser> -- when become is set', async () => {
    const s = await transport().connect(spec({ become: true, becomeUser: 'nobody' }))
    const r = await s.exec(['id', '-un'])
    // With sudo installed the command runs as nobody; without it the shell reports the missing sudo.
    if (r.code === 0) expect(r.stdout).toBe('nobody\n')
    else expect(r.stderr).toMatch(/sudo: (command )?not found/)
    const plain = await s.exec(['id', '-un'], { become: false })
    expect(plain.stdout).toBe(`${sshd.user}\n`)
  })

  it('runs 20 concurrent commands on one connection (channel limit below MaxSessions 10)', async () => {
    const t = transport()
    const s = await t.connect(spec())
    const before = acceptedLogins()
    const started = Date.now()
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.exec(['sh', '-c', 'sleep 0.3; echo "$0"', String(i)])))
    const elapsed = Date.now() - started
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
    expect(results.every((r) => r.code === 0)).toBe(true)
    // 20 commands at 8 at a time: 3 waves of 0.3 s
    expect(elapsed).toBeGreaterThanOrEqual(850)
    expect(acceptedLogins()).toBe(before) // no extra connection
  })

  it('shares one connection between concurrent connect() calls for the same host', async () => {
    const t = transport()
    const before = acceptedLogins()
    const sessions = await Promise.all(Array.from({ length: 5 }, () => t.connect(spec())))
    await Promise.all(sessions.map((s) => s.exec(['true'])))
    await waitFor(() => acceptedLogins() >= before + 1)
    expect(acceptedLogins()).toBe(before + 1)
  })

  it('limits concurrent handshakes across hosts', async () => {
    const t = transport({ maxConcurrentHandshakes: 3 })
    const sessions = await Promise.all(Array.from({ length: 12 }, (_, i) => t.connect(spec({ name: `hv${i}` }))))
    const out = await Promise.all(sessions.map((s) => s.exec(['echo', s.host])))
    expect(out.map((r) => r.stdout.trim())).toEqual(sessions.map((s) => s.host))
    expect(t.handshakePeak).toBe(3)
  })

  it('limits concurrent handshakes with one sshd (its MaxStartups), whatever the overall bound', async () => {
    const t = transport({ maxConcurrentHandshakes: 64, maxHandshakesPerServer: 2 })
    const sessions = await Promise.all(Array.from({ length: 12 }, (_, i) => t.connect(spec({ name: `hv${i}` }))))
    const out = await Promise.all(sessions.map((s) => s.exec(['echo', s.host])))
    expect(out.map((r) => r.stdout.trim())).toEqual(sessions.map((s) => s.host))
    expect(t.handshakePeakPerServer).toBe(2)
    expect(t.handshakePeak).toBe(2)
  })

  it('aborting a command closes its channel', async () => {
    const s = await transport().connect(spec())
    const ac = new AbortController()
    const started = Date.now()
    const pidFile = path.join(sshd.dir, 'aborted.pid')
    const p = s.exec(['sh', '-c', 'echo $$ > "$0"; exec sleep 30', pidFile], { signal: ac.signal })
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '')
    ac.abort()
    await expect(p).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(5000)
    // the remote command is killed too (root logins get no "signal" support from sshd; the EOF wrapper does it)
    const pid = readFileSync(pidFile, 'utf8').trim()
    await waitFor(() => execFileSync('sh', ['-c', `kill -0 ${pid} 2>/dev/null && echo alive || echo gone`], { encoding: 'utf8' }).trim() === 'gone')
    expect((await s.exec(['echo', 'still fine'])).stdout).toBe('still fine\n')
  })

  it('rejects a running command with UnreachableError when the connection is lost', async () => {
    const s = await transport().connect(spec())
    let closedWith: unknown = 'not called'
    s.onClose((err) => {
      closedWith = err
    })
    const long = s.exec(['sleep', '30'])
    // Kill this connection's sshd session process (parent of the remote shell).
    void s.exec(['sh', '-c', 'sleep 0.2; kill -9 $PPID']).catch(() => {})
    await expect(long).rejects.toBeInstanceOf(UnreachableError)
    await waitFor(() => closedWith !== 'not called')
  })
})

describe('stream', () => {
  it('splits stdout into lines, handling CRLF and a final partial line', async () => {
    const s = await transport().connect(spec())
    const lines: string[] = []
    const st = s.stream(['sh', '-c', 'printf "a\\r\\nb"; sleep 0.2; printf "c\\nd\\n\\ne"'], (l) => lines.push(l))
    const r = await st.done
    expect(r.code).toBe(0)
    expect(lines).toEqual(['a', 'bc', 'd', '', 'e'])
  })

  it('close() ends a long-lived stream', async () => {
    const s = await transport().connect(spec())
    const lines: string[] = []
    const st = s.stream(['sh', '-c', 'echo ready; exec sleep 30'], (l) => lines.push(l))
    await waitFor(() => lines.length > 0)
    const started = Date.now()
    st.close()
    await st.done
    expect(Date.now() - started).toBeLessThan(3000)
    expect(lines).toEqual(['ready'])
  })

  it('long-lived streams count against the channel limit', async () => {
    const s = await transport({ maxChannelsPerHost: 2 }).connect(spec())
    const a = s.stream(['sleep', '30'], () => {})
    const b = s.stream(['sleep', '30'], () => {})
    let ran = false
    const c = s.exec(['true']).then(() => {
      ran = true
    })
    await new Promise((r) => setTimeout(r, 400))
    expect(ran).toBe(false)
    a.close()
    await c
    expect(ran).toBe(true)
    b.close()
  })
})

describe('host keys', () => {
  function otherKeyLine(): string {
    const f = path.join(sshd.dir, `other-${Date.now()}-${Math.random()}`)
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f])
    return readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
  }
  function hostFingerprint(): string {
    return execFileSync('ssh-keygen', ['-l', '-f', `${sshd.hostKeyPath}.pub`], { encoding: 'utf8' }).split(/\s+/)[1]!
  }

  it('strict: a changed key is refused with both fingerprints, and nothing runs', async () => {
    const kh = path.join(sshd.dir, 'kh-changed')
    const other = otherKeyLine()
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${other}\n`)
    const before = acceptedLogins()
    const err = await transport()
      .connect(spec({ knownHostsFiles: [kh] }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    const he = err as HostKeyError
    expect(he.seen).toBe(hostFingerprint())
    writeFileSync(`${kh}.pub`, `${other}\n`)
    const otherFp = execFileSync('ssh-keygen', ['-l', '-f', `${kh}.pub`], { encoding: 'utf8' }).split(/\s+/)[1]!
    expect(he.expected).toBe(otherFp)
    expect(he.message).toContain(hostFingerprint())
    expect(he.message).toContain(otherFp)
    expect(he.message).toMatch(/ssh-keygen -R/)
    expect(he.message).toMatch(/--host-key-checking accept-new/)
    expect(acceptedLogins()).toBe(before) // never authenticated, so no command can have run
  })

  it('accept-new still refuses a changed key', async () => {
    const kh = path.join(sshd.dir, 'kh-changed2')
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${otherKeyLine()}\n`)
    await expect(transport().connect(spec({ knownHostsFiles: [kh], hostKeyChecking: 'accept-new' }))).rejects.toBeInstanceOf(HostKeyError)
  })

  it('strict: an unknown key is refused; accept-new appends it and later strict connections match', async () => {
    const kh = path.join(sshd.dir, 'sub', 'kh-new')
    await expect(transport().connect(spec({ knownHostsFiles: [kh] }))).rejects.toBeInstanceOf(HostKeyError)
    expect(existsSync(kh)).toBe(false)

    const s = await transport({ hostKeyChecking: 'accept-new' }).connect(spec({ knownHostsFiles: [kh] }))
    expect((await s.exec(['echo', 'ok'])).stdout).toBe('ok\n')
    const [type, blob] = sshd.hostPublicKey.split(/\s+/)
    expect(readFileSync(kh, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${type} ${blob}\n`)

    const again = await transport().connect(spec({ knownHostsFiles: [kh] }))
    expect((await again.exec(['true'])).code).toBe(0)
  })

  it('hashed known_hosts entries (ssh-keygen -H) match', async () => {
    const kh = path.join(sshd.dir, 'kh-hashed')
    writeFileSync(kh, readFileSync(sshd.knownHostsPath))
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' })
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/)
    const s = await transport().connect(spec({ knownHostsFiles: [kh] }))
    expect((await s.exec(['true'])).code).toBe(0)
  })

  it('@revoked refuses the key even when another line matches', async () => {
    const kh = path.join(sshd.dir, 'kh-revoked')
    const [type, blob] = sshd.hostPublicKey.split(/\s+/)
    writeFileSync(kh, `${readFileSync(sshd.knownHostsPath, 'utf8')}@revoked * ${type} ${blob}\n`)
    const err = await transport()
      .connect(spec({ knownHostsFiles: [kh] }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    expect((err as Error).message).toMatch(/REVOKED/)
  })

  it('off: accepts any key and warns', async () => {
    const warnings: string[] = []
    const kh = path.join(sshd.dir, 'kh-off')
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${otherKeyLine()}\n`)
    const s = await transport({ onWarning: (m) => warnings.push(m) }).connect(spec({ knownHostsFiles: [kh], hostKeyChecking: 'off' }))
    expect((await s.exec(['true'])).code).toBe(0)
    expect(warnings.join('\n')).toMatch(/host key checking is off/)
  })
})

describe('connection failures', () => {
  it('connection refused → UnreachableError after the retries', async () => {
    const port = await freePort()
    const started = Date.now()
    const err = await transport({ retries: 2, retryBaseDelayMs: 100 })
      .connect(spec({ port }))
      .catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(UnreachableError)
    expect((err as Error).message).toMatch(/hv1: connection refused by 127\.0\.0\.1:\d+ \(after 3 attempts\)/)
    expect(elapsed).toBeGreaterThanOrEqual(0.8 * (100 + 200))
  })

  it('authentication failure is not retried and names user@host', async () => {
    const f = path.join(sshd.dir, `stranger-${Date.now()}`)
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f])
    const started = Date.now()
    const err = await transport({ retries: 2, retryBaseDelayMs: 2000 })
      .connect(spec({ identityFiles: [f] }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnreachableError)
    expect((err as Error).message).toContain(`authentication failed for ${sshd.user}@127.0.0.1 (tried ${f})`)
    expect(Date.now() - started).toBeLessThan(1600) // a retry would have slept >= 1.6 s
  })

  it('an encrypted identity file is unlocked through askPassphrase (or VIRTFLEET_SSH_PASSPHRASE)', async () => {
    const f = path.join(sshd.dir, `locked-${Date.now()}`)
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'sekrit', '-f', f])
    writeFileSync(path.join(sshd.dir, 'authorized_keys'), readFileSync(`${f}.pub`), { flag: 'a' })
    const asked: string[] = []
    const s = await transport({
      env: {},
      askPassphrase: (file) => {
        asked.push(file)
        return 'sekrit'
      },
    }).connect(spec({ identityFiles: [f] }))
    expect((await s.exec(['true'])).code).toBe(0)
    expect(asked).toEqual([f])
    const viaEnv = await transport({ env: { VIRTFLEET_SSH_PASSPHRASE: 'sekrit' } }).connect(spec({ identityFiles: [f] }))
    expect((await viaEnv.exec(['true'])).code).toBe(0)
  })

  it('a server that never answers → "timed out after 1s"', async () => {
    const sockets: net.Socket[] = []
    const silent = net.createServer((s) => sockets.push(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const port = (silent.address() as net.AddressInfo).port
    try {
      const err = await transport({ readyTimeoutMs: 1000, retries: 0 })
        .connect(spec({ port }))
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(UnreachableError)
      expect((err as Error).message).toMatch(/timed out after 1s/)
    } finally {
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })
})

describe('jump hosts', () => {
  it('reaches the target through a bastion (the same sshd), verifying each hop', async () => {
    const t = transport()
    const before = acceptedLogins()
    const s = await t.connect(spec({ name: 'behind', jump: [`${sshd.user}@127.0.0.1:${sshd.port}`] }))
    const r = await s.exec(['echo', 'via bastion'])
    expect(r.stdout).toBe('via bastion\n')
    await waitFor(() => acceptedLogins() >= before + 2)
    // bastion + target
    expect(acceptedLogins()).toBe(before + 2)
    // a second host behind the same bastion reuses the bastion connection
    const s2 = await t.connect(spec({ name: 'behind2', jump: [`${sshd.user}@127.0.0.1:${sshd.port}`] }))
    expect((await s2.exec(['true'])).code).toBe(0)
    await waitFor(() => acceptedLogins() >= before + 3)
    expect(acceptedLogins()).toBe(before + 3)
  })

  it('two bastions in a chain', async () => {
    const hop = `${sshd.user}@127.0.0.1:${sshd.port}`
    const s = await transport().connect(spec({ name: 'deep', jump: [hop, hop] }))
    expect((await s.exec(['echo', 'deep'])).stdout).toBe('deep\n')
  })

  it('a bastion with an unknown key is refused under strict', async () => {
    const kh = path.join(sshd.dir, 'kh-empty')
    writeFileSync(kh, '')
    const err = await transport()
      .connect(spec({ knownHostsFiles: [kh], jump: [`${sshd.user}@127.0.0.1:${sshd.port}`] }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    expect((err as HostKeyError).host).toMatch(/jump host/)
  })
})

describe('closing', () => {
  it('closeAll ends every connection and session.onClose fires', async () => {
    const t = transport()
    const s = await t.connect(spec())
    let closed = false
    s.onClose(() => {
      closed = true
    })
    await t.closeAll()
    expect(closed).toBe(true)
    await expect(s.exec(['true'])).rejects.toBeInstanceOf(UnreachableError)
    // a fresh connect after closeAll opens a new connection
    const again = await t.connect(spec())
    expect((await again.exec(['true'])).code).toBe(0)
  })
})
