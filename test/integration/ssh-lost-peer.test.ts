// A peer that dies or freezes under a running command (issue 9 §4), against a real OpenSSH sshd: the command fails
// with ConnectionLostError within seconds (keepalive for a frozen peer, at once for a killed one), closeAll() is
// bounded whatever the peer does, a frozen sshd at connect time fails within the connect timeout, and no socket
// of ours is left open afterwards.

import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { UnreachableError } from '../../src/core/errors.js'
import type { HostSpec } from '../../src/inventory/types.js'
import { ConnectionLostError, createSshTransport, type SshTransport, type SshTransportOptions } from '../../src/ssh/ssh-transport.js'
import { startSshd, type Sshd } from '../support/sshd.js'

let sshd: Sshd
const transports: SshTransport[] = []
const stopped = new Set<number>()

beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})
afterEach(async () => {
  for (const pid of stopped) signal(pid, 'SIGCONT')
  stopped.clear()
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

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

function masterPid(): number {
  return Number(readFileSync(path.join(sshd.dir, 'sshd.pid'), 'utf8').trim())
}

/** Every process below pid (sshd's per-connection processes, their shells and commands). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) (out.push(child), walk(child))
  }
  walk(pid)
  return out
}

/** SIGSTOP: the peer stays, its sockets stay open, nothing answers and no RST comes. */
function freeze(pids: number[]): void {
  for (const pid of pids) {
    signal(pid, 'SIGSTOP')
    stopped.add(pid)
  }
}

/** Our TCP sockets to the sshd, by the kernel's table (a socket left in FIN-WAIT-2 by us would show here). */
function ourSocketsToSshd(): number {
  const out = execFileSync('ss', ['-tnpH', 'state', 'all', `( dport = :${sshd.port} )`], { encoding: 'utf8' })
  return out.split('\n').filter((l) => l.includes(`pid=${process.pid},`)).length
}

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
}

/** A destroyed socket's handle goes away a few ticks later: no more TCP handles than before, within a second. */
async function expectNoTcpHandleLeft(before: number): Promise<void> {
  const end = Date.now() + 1000
  while (tcpHandles() > before && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  expect(tcpHandles()).toBeLessThanOrEqual(before)
}

async function startedSleep(t: SshTransport, name: string): Promise<{ exec: Promise<unknown>; lines: string[]; stream: Promise<unknown> }> {
  const s = await t.connect(spec({ name }))
  const lines: string[] = []
  const stream = s.stream(['sh', '-c', 'echo ready; exec sleep 30'], (l) => lines.push(l)).done
  const exec = s.exec(['sleep', '30'])
  exec.catch(() => undefined)
  const end = Date.now() + 60_000 // spawning a session can take long on a loaded machine
  while (lines.length === 0) {
    if (Date.now() > end) throw new Error('stream never started')
    await new Promise((r) => setTimeout(r, 20))
  }
  return { exec, lines, stream }
}

describe('a peer lost mid-exec', () => {
  it('frozen (SIGSTOP): in-flight exec and stream fail with ConnectionLostError within ~10 s (default keepalive), then closeAll is quick', async () => {
    const handlesBefore = tcpHandles()
    const t = transport()
    const { exec, stream } = await startedSleep(t, 'frozen')
    const s = await t.connect(spec({ name: 'frozen' }))
    let closedWith: unknown = 'not called'
    s.onClose((err) => {
      closedWith = err
    })
    const started = Date.now()
    freeze([masterPid(), ...descendants(masterPid())])
    const err = await exec.catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(ConnectionLostError)
    expect(err).toBeInstanceOf(UnreachableError)
    expect((err as ConnectionLostError).commandSent).toBe(true)
    expect((err as Error).message).toMatch(/^frozen: connection lost: no answer to 4 keepalives in 8s/)
    expect(elapsed).toBeLessThan(12_000)
    await expect(stream).rejects.toBeInstanceOf(ConnectionLostError)
    expect(closedWith).toBeInstanceOf(ConnectionLostError)
    // a command after the loss is refused at once, and was never sent
    const after = await s.exec(['true']).catch((e: unknown) => e)
    expect(after).toBeInstanceOf(ConnectionLostError)
    expect((after as ConnectionLostError).commandSent).toBe(false)
    const c0 = Date.now()
    await t.closeAll()
    expect(Date.now() - c0).toBeLessThan(1000)
    expect(ourSocketsToSshd()).toBe(0)
    await expectNoTcpHandleLeft(handlesBefore)
  }, 120_000)

  it("frozen, with the host's own keepalive (ServerAliveInterval 1, ServerAliveCountMax 1 from its inventory or ssh_config): lost in about 2 s", async () => {
    const t = transport()
    const s = await t.connect(spec({ name: 'frozen-own', keepaliveIntervalMs: 1_000, keepaliveCountMax: 1 }))
    const lines: string[] = []
    void s.stream(['sh', '-c', 'echo ready; exec sleep 30'], (l) => lines.push(l)).done.catch(() => undefined)
    const end = Date.now() + 60_000
    while (lines.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    const exec = s.exec(['sleep', '30'])
    const started = Date.now()
    freeze([masterPid(), ...descendants(masterPid())])
    const err = await exec.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionLostError)
    expect((err as Error).message).toMatch(/^frozen-own: connection lost: no answer to 2 keepalives in 2s/)
    expect(Date.now() - started).toBeLessThan(5_000)
  }, 120_000)

  it('frozen, closed before the keepalive notices: closeAll returns within the close grace and leaves no socket', async () => {
    const handlesBefore = tcpHandles()
    const t = transport({ keepaliveIntervalMs: 0, closeGraceMs: 500 })
    const { exec } = await startedSleep(t, 'frozen-close')
    freeze([masterPid(), ...descendants(masterPid())])
    const started = Date.now()
    await t.closeAll()
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(450) // it did wait for the grace: the peer never answered
    expect(elapsed).toBeLessThan(2000)
    await expect(exec).rejects.toBeInstanceOf(ConnectionLostError)
    expect(ourSocketsToSshd()).toBe(0)
    await expectNoTcpHandleLeft(handlesBefore)
  }, 120_000)

  it('killed (SIGKILL): in-flight exec and stream fail with ConnectionLostError at once', async () => {
    const t = transport()
    const { exec, stream } = await startedSleep(t, 'killed')
    const started = Date.now()
    // The per-connection processes only: the listener stays up, as when one session's sshd dies.
    for (const pid of descendants(masterPid())) signal(pid, 'SIGKILL')
    const err = await exec.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionLostError)
    expect((err as Error).message).toMatch(/^killed: connection lost/)
    expect(Date.now() - started).toBeLessThan(5000)
    await expect(stream).rejects.toBeInstanceOf(ConnectionLostError)
    const c0 = Date.now()
    await t.closeAll()
    expect(Date.now() - c0).toBeLessThan(1000)
    expect(ourSocketsToSshd()).toBe(0)
    // the host is reachable again with a fresh connection
    const again = await t.connect(spec({ name: 'killed' }))
    expect((await again.exec(['echo', 'back'])).stdout).toBe('back\n')
  }, 120_000)
})

describe('a peer frozen at connect time', () => {
  it('an sshd that accepts TCP but never speaks fails within the connect timeout, retries included', async () => {
    freeze([masterPid()])
    const t = transport({ readyTimeoutMs: 2000, retries: 2 })
    const started = Date.now()
    const err = await t.connect(spec({ name: 'mute' })).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(UnreachableError)
    expect((err as Error).message).toMatch(/mute: timed out after 2s connecting to 127\.0\.0\.1:\d+/)
    expect(elapsed).toBeGreaterThanOrEqual(1900)
    expect(elapsed).toBeLessThan(3500)
    const c0 = Date.now()
    await t.closeAll()
    expect(Date.now() - c0).toBeLessThan(500)
    expect(ourSocketsToSshd()).toBe(0)
  }, 30_000)

  it('closeAll cancels a connect still waiting on a frozen sshd', async () => {
    freeze([masterPid()])
    const t = transport({ readyTimeoutMs: 20_000 })
    const started = Date.now()
    const pending = t.connect(spec({ name: 'mute2' })).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 300))
    await t.closeAll()
    expect(await pending).toBeInstanceOf(UnreachableError)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(ourSocketsToSshd()).toBe(0)
  }, 30_000)
})
