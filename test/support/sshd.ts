// A throwaway OpenSSH server on 127.0.0.1 for integration tests (needs root-equivalent access to /usr/sbin/sshd and
// ssh-keygen; it logs in as the current user). Usage:
//
//   const sshd = await startSshd()
//   const spec = { ...baseSpec, address: '127.0.0.1', port: sshd.port, user: sshd.user,
//                  identityFiles: [sshd.clientKeyPath], knownHostsFiles: [sshd.knownHostsPath] }
//   ...
//   await sshd.stop()
//
// `dir` (default a fresh temp dir) holds host key, client key, authorized_keys, sshd_config, pid and log files;
// `extraConfig` lines are appended to sshd_config (e.g. ['MaxSessions 2']).

import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface Sshd {
  port: number
  /** User the tests log in as (the current user). */
  user: string
  dir: string
  hostKeyPath: string
  /** Host public key line as in the .pub file: "ssh-ed25519 AAAA... comment". */
  hostPublicKey: string
  clientKeyPath: string
  /** known_hosts with "[127.0.0.1]:PORT ssh-ed25519 AAAA..." only. */
  knownHostsPath: string
  /** sshd's stderr so far (sshd -e logs there). */
  log(): string
  stop(): Promise<void>
}

export interface StartSshdOptions {
  dir?: string
  port?: number
  extraConfig?: string[]
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' })
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port} within ${timeoutMs} ms:\n${log()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function startSshd(options: StartSshdOptions = {}): Promise<Sshd> {
  const dir = path.resolve(options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'virtfleet-sshd-')))
  mkdirSync(dir, { recursive: true })
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const port = options.port ?? (await freePort())
  const hostKeyPath = path.join(dir, 'host_ed25519')
  const clientKeyPath = path.join(dir, 'client_ed25519')
  keygen(hostKeyPath, 'virtfleet-test-host')
  keygen(clientKeyPath, 'virtfleet-test-client')
  const hostPublicKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim()
  const authorizedKeys = path.join(dir, 'authorized_keys')
  writeFileSync(authorizedKeys, readFileSync(`${clientKeyPath}.pub`, 'utf8'))
  chmodSync(authorizedKeys, 0o600)
  const [type, blob] = hostPublicKey.split(/\s+/)
  const knownHostsPath = path.join(dir, 'known_hosts')
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${type} ${blob}\n`)
  const config = path.join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKeyPath}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'AllowTcpForwarding yes',
      'MaxSessions 10',
      // bash run by sshd reads ~/.bashrc unless SHLVL says it is nested: the test machine's rc file (pyenv init,
      // about 2 s here) would be timed with every remote command, and it is not the hypervisor's
      'SetEnv SHLVL=1',
      'LogLevel VERBOSE',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  )
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (d: string) => {
    stderr += d
  })
  child.on('error', (err) => {
    stderr += `spawn error: ${err.message}\n`
  })
  const log = () => stderr
  try {
    await waitForPort(port, child, 10_000, log)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  const user = os.userInfo().username
  return {
    port,
    user,
    dir,
    hostKeyPath,
    hostPublicKey,
    clientKeyPath,
    knownHostsPath,
    log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true })
    },
  }
}
