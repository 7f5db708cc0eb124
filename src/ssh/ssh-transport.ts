// The real Transport: ssh2 clients, one connection per host (reused, shared while connecting), bounded exec channels
// per connection (sshd MaxSessions) and bounded concurrent handshakes (sshd MaxStartups), known_hosts verification,
// key/agent auth, retries with backoff for transient network errors, and jump hosts via forwardOut. Host specs are
// expected to have ssh_config applied already (src/ssh/ssh-config.ts); jump hosts get it here when a config is given.

import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import type { Duplex } from 'node:stream'
import ssh2 from 'ssh2'
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, ClientChannel, ConnectConfig, ParsedKey } from 'ssh2'
import { HostKeyError, RemoteError, UnreachableError, VirtfleetError } from '../core/errors.js'
import type { HostKeyChecking, HostSpec } from '../inventory/types.js'
import { appendKnownHost, checkHostKeyInEntries, fingerprint, keyTypeOfBlob, knownHostName, knownKeyTypes, readKnownHosts } from './known-hosts.js'
import { quoteCommand } from './quote.js'
import { abortReason, Semaphore, type Release } from '../core/semaphore.js'
import { applySshConfig, type SSHConfig } from './ssh-config.js'
import { localUser } from '../inventory/ssh-options.js'
import type { ExecOptions, ExecResult, HostSession, LineStream, Transport } from './transport.js'

const { Client, utils } = ssh2
type SshClient = InstanceType<typeof Client>

export interface SshTransportOptions {
  /** Handshake timeout per attempt, ms (ssh2 readyTimeout). Default 10 000. */
  readyTimeoutMs?: number
  /** SSH keepalive interval, ms. Default 15 000; 0 disables. */
  keepaliveIntervalMs?: number
  /** Unanswered keepalives before the connection is declared dead. Default 3. */
  keepaliveCountMax?: number
  /** Extra attempts after a transient connect failure (refused, reset, timeout). Default 2. */
  retries?: number
  /** First backoff delay, ms; doubles each retry (with ±20% jitter). Default 500. */
  retryBaseDelayMs?: number
  /** Concurrent exec/stream channels per connection. Default 8 (sshd's MaxSessions is 10). */
  maxChannelsPerHost?: number
  /** Concurrent handshakes across the transport. Default 8 (sshd's MaxStartups starts dropping at 10). */
  maxConcurrentHandshakes?: number
  /** Host key policy for hosts whose spec has no hostKeyChecking. Default 'strict'. */
  hostKeyChecking?: HostKeyChecking
  /** known_hosts files for hosts whose spec has no knownHostsFiles. Default ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts. */
  knownHostsFiles?: string[]
  /** Passphrase for an encrypted identity file (after VIRTFLEET_SSH_PASSPHRASE); undefined = skip that key. */
  askPassphrase?: (file: string) => Promise<string | undefined> | string | undefined
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false
  /** Environment (VIRTFLEET_SSH_PASSPHRASE, SSH_AUTH_SOCK). Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Home directory for default identity and known_hosts files. Default os.homedir(). */
  homeDir?: string
  /** ssh_config applied to jump hosts ("bastion" → its HostName/User/Port/IdentityFile). */
  sshConfig?: SSHConfig
  /** Non-fatal notices: host key checking off, unreadable identity file, agent failure. */
  onWarning?: (message: string, host: string) => void
  /** ssh2 debug output. */
  debug?: (message: string) => void
}

const DEFAULTS = {
  readyTimeoutMs: 10_000,
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  retries: 2,
  retryBaseDelayMs: 500,
  maxChannelsPerHost: 8,
  maxConcurrentHandshakes: 8,
}

/** Host key algorithms ssh2 supports, in its default preference order. */
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const
type HostKeyAlgo = (typeof HOST_KEY_ALGOS)[number]

/** One hop to connect to: the target or a bastion. */
interface Endpoint {
  /** Name used in errors (inventory name, or the jump string). */
  label: string
  address: string
  port: number
  user: string
  identityFiles: string[]
  knownHostsFiles: string[]
  hostKeyChecking: HostKeyChecking
}

type ConnectError = Error & { code?: string; level?: string }

export class SshTransport implements Transport {
  private readonly opts: SshTransportOptions & typeof DEFAULTS
  private readonly handshakes: Semaphore
  /** Target connections by inventory name + route. */
  private readonly targets = new Map<string, Promise<SshConnection>>()
  /** Bastion connections by route. */
  private readonly bastions = new Map<string, Promise<SshConnection>>()
  private readonly keyCache = new Map<string, Promise<ParsedKey | undefined>>()
  private readonly live = new Set<SshConnection>()
  private closing = false

  constructor(options: SshTransportOptions = {}) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
    this.opts = { ...DEFAULTS, ...defined } as SshTransportOptions & typeof DEFAULTS
    this.handshakes = new Semaphore(this.opts.maxConcurrentHandshakes)
  }

  /** Peak concurrent handshakes so far (diagnostics/tests). */
  get handshakePeak(): number {
    return this.handshakes.peak
  }

  async connect(host: HostSpec, signal?: AbortSignal): Promise<HostSession> {
    if (signal?.aborted) throw abortReason(signal)
    const target = this.endpointFor(host)
    const key = `${host.name}|${[...host.jump, `${target.user}@${target.address}:${target.port}`].join('>')}`
    let pending = this.targets.get(key)
    if (!pending) {
      pending = this.openRoute(target, host.jump, host)
      this.targets.set(key, pending)
      pending.then(
        (conn) => conn.onClose(() => this.targets.get(key) === pending && this.targets.delete(key)),
        () => this.targets.get(key) === pending && this.targets.delete(key),
      )
    }
    const conn = await raceAbort(pending, signal)
    return new SshHostSession(host, conn)
  }

  async closeAll(): Promise<void> {
    this.closing = true
    const all = [...this.targets.values(), ...this.bastions.values()]
    this.targets.clear()
    this.bastions.clear()
    const settled = await Promise.allSettled(all)
    const conns = new Set<SshConnection>(this.live)
    for (const s of settled) if (s.status === 'fulfilled') conns.add(s.value)
    // Targets before the bastions that carry them.
    const ordered = [...conns].sort((a, b) => Number(a.isBastion) - Number(b.isBastion))
    for (const c of ordered.filter((c) => !c.isBastion)) await c.end()
    await Promise.all(ordered.filter((c) => c.isBastion).map((c) => c.end()))
    this.closing = false
  }

  // --- routes and hops ------------------------------------------------------------------------------------------

  private endpointFor(spec: HostSpec): Endpoint {
    const home = this.opts.homeDir ?? os.homedir()
    return {
      label: spec.name,
      address: spec.address || spec.name,
      port: spec.port || 22,
      user: spec.user || localUser(),
      identityFiles: spec.identityFiles,
      knownHostsFiles: spec.knownHostsFiles ?? this.opts.knownHostsFiles ?? [path.join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'],
      hostKeyChecking: spec.hostKeyChecking ?? this.opts.hostKeyChecking ?? 'strict',
    }
  }

  /** A bastion from a "user@host:port" jump entry; inherits the target's keys and known_hosts policy. */
  private bastionEndpoint(jump: string, target: HostSpec): Endpoint {
    const parsed = parseJump(jump)
    let spec: HostSpec = {
      ...target,
      name: parsed.host,
      address: parsed.host,
      port: parsed.port ?? 22,
      user: parsed.user ?? localUser(),
      jump: [],
    }
    const explicit = { address: true as const, ...(parsed.port ? { port: true as const } : {}), ...(parsed.user ? { user: true as const } : {}) }
    spec = applySshConfig({ ...spec, explicit } as HostSpec, this.opts.sshConfig, { home: this.opts.homeDir })
    const ep = this.endpointFor(spec)
    return { ...ep, label: `jump host ${jump}` }
  }

  private openRoute(target: Endpoint, jumps: readonly string[], spec: HostSpec): Promise<SshConnection> {
    if (jumps.length === 0) {
      return this.openConnection(target, undefined, false)
    }
    const route = jumps.slice(0, -1)
    const last = jumps[jumps.length - 1]!
    const bastionPromise = this.bastion(route, last, spec)
    return this.openConnection(target, bastionPromise, false)
  }

  /** The cached connection to bastion `jump`, itself reached through `route`. */
  private bastion(route: readonly string[], jump: string, spec: HostSpec): Promise<SshConnection> {
    const ep = this.bastionEndpoint(jump, spec)
    const key = [...route, `${ep.user}@${ep.address}:${ep.port}`].join('>')
    let pending = this.bastions.get(key)
    if (!pending) {
      const via = route.length === 0 ? undefined : this.bastion(route.slice(0, -1), route[route.length - 1]!, spec)
      pending = this.openConnection(ep, via, true)
      this.bastions.set(key, pending)
      pending.then(
        (conn) => conn.onClose(() => this.bastions.get(key) === pending && this.bastions.delete(key)),
        () => this.bastions.get(key) === pending && this.bastions.delete(key),
      )
    }
    return pending
  }

  private async openConnection(ep: Endpoint, via: Promise<SshConnection> | undefined, isBastion: boolean): Promise<SshConnection> {
    const bastion = via ? await via : undefined
    const attempts = this.opts.retries + 1
    for (let attempt = 1; ; attempt++) {
      let sock: ClientChannel | undefined
      const release = await this.handshakes.acquire()
      let client: SshClient
      try {
        if (bastion) sock = await bastion.forwardOut(ep.address, ep.port)
        client = await this.handshake(ep, sock)
      } catch (err) {
        sock?.destroy()
        const mapped = this.mapConnectError(ep, err, attempt)
        if (!mapped.transient || attempt >= attempts || this.closing) throw mapped.error
        release()
        const delay = this.opts.retryBaseDelayMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4)
        await sleep(delay)
        continue
      } finally {
        release()
      }
      const conn = new SshConnection(ep, client, this.opts.maxChannelsPerHost, isBastion, sock)
      this.live.add(conn)
      conn.onClose(() => this.live.delete(conn))
      if (bastion) bastion.onClose(() => conn.destroy(new Error(`jump host ${bastion.ep.label} connection closed`)))
      return conn
    }
  }

  /** One handshake attempt: TCP (or the forwarded channel), host key check, auth. */
  private handshake(ep: Endpoint, sock: Duplex | undefined): Promise<SshClient> {
    return new Promise<SshClient>((resolve, reject) => {
      const client = new Client()
      let hostKeyFailure: HostKeyError | undefined
      let done = false
      const tried: string[] = []
      const finish = (err?: Error) => {
        if (done) return
        done = true
        if (err) {
          client.end()
          client.destroy()
          reject(hostKeyFailure ?? err)
        } else {
          resolve(client)
        }
      }
      client.on('ready', () => finish())
      client.on('error', (err: ConnectError) => {
        if (done) return // after ready, SshConnection owns error handling
        if (err.level === 'agent' || (err.level === 'client-authentication' && /^Error signing/.test(err.message))) {
          this.opts.onWarning?.(`${err.message}`, ep.label)
          return
        }
        if (err.level === 'client-authentication') {
          const e: ConnectError = new Error(
            `authentication failed for ${ep.user}@${ep.address}${tried.length ? ` (tried ${tried.join(', ')})` : ' (no identity file or agent available)'}`,
          )
          e.level = 'client-authentication'
          finish(e)
          return
        }
        finish(err)
      })
      client.on('close', () => finish(new Error('connection closed during handshake')))

      const config: ConnectConfig = {
        host: ep.address,
        port: ep.port,
        username: ep.user,
        readyTimeout: this.opts.readyTimeoutMs,
        keepaliveInterval: this.opts.keepaliveIntervalMs,
        keepaliveCountMax: this.opts.keepaliveCountMax,
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          this.verifyHostKey(ep, key).then(
            () => verify(true),
            (err: unknown) => {
              hostKeyFailure =
                err instanceof HostKeyError ? err : new HostKeyError(ep.label, `cannot verify host key: ${(err as Error).message}`, fingerprint(key))
              verify(false)
            },
          )
        },
        authHandler: this.authHandler(ep, tried),
        ...(this.opts.debug ? { debug: this.opts.debug } : {}),
      }
      if (sock) config.sock = sock
      this.preferKnownHostKeyTypes(ep)
        .then((algos) => {
          if (algos) config.algorithms = { serverHostKey: algos }
          if (!done) client.connect(config)
        })
        .catch((err: Error) => finish(err))
    })
  }

  /** Offer the host key types already in known_hosts first, as OpenSSH does, so a known RSA-only host is not "new". */
  private async preferKnownHostKeyTypes(ep: Endpoint): Promise<HostKeyAlgo[] | undefined> {
    if (ep.hostKeyChecking === 'off') return undefined
    const known = knownKeyTypes(await readKnownHosts(ep.knownHostsFiles), ep.address, ep.port)
    if (known.length === 0) return undefined
    const algosFor = (t: string): HostKeyAlgo[] => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGOS.filter((a) => a === t))
    const first = known.flatMap(algosFor)
    return [...new Set([...first, ...HOST_KEY_ALGOS])]
  }

  private async verifyHostKey(ep: Endpoint, key: Buffer): Promise<void> {
    const keyType = keyTypeOfBlob(key) ?? 'unknown'
    const seen = fingerprint(key)
    if (ep.hostKeyChecking === 'off') {
      this.opts.onWarning?.(`host key checking is off: accepting ${keyType} key ${seen} for ${knownHostName(ep.address, ep.port)} unverified`, ep.label)
      return
    }
    const entries = await readKnownHosts(ep.knownHostsFiles)
    const check = checkHostKeyInEntries(entries, ep.address, ep.port, keyType, key)
    const name = knownHostName(ep.address, ep.port)
    const files = ep.knownHostsFiles.join(', ') || '(no known_hosts files)'
    const removeHint = `ssh-keygen -R '${name}'${ep.knownHostsFiles[0] ? ` -f ${ep.knownHostsFiles[0]}` : ''}`
    switch (check.status) {
      case 'match':
        return
      case 'revoked':
        throw new HostKeyError(
          ep.label,
          `REVOKED host key for ${name}: ${keyType} ${seen} is marked @revoked in ${check.where?.file}:${check.where?.line}; refusing to connect`,
          seen,
        )
      case 'mismatch':
        throw new HostKeyError(
          ep.label,
          `HOST KEY CHANGED for ${name}: server sent ${keyType} ${seen}, known_hosts has ${check.expected.join(' or ')} ` +
            `(${check.where?.file}:${check.where?.line}). This may be a man-in-the-middle attack, or the host was ` +
            `reinstalled. If the change is expected, remove the old key with \`${removeHint}\`, then reconnect with ` +
            `--host-key-checking accept-new.`,
          seen,
          check.expected.join(', '),
        )
      case 'unknown': {
        if (ep.hostKeyChecking === 'accept-new') {
          const file = ep.knownHostsFiles[0]
          if (!file) throw new HostKeyError(ep.label, `unknown host key ${keyType} ${seen} for ${name} and no known_hosts file to add it to`, seen)
          await appendKnownHost(file, ep.address, ep.port, key)
          this.opts.onWarning?.(`added ${keyType} key ${seen} for ${name} to ${file}`, ep.label)
          return
        }
        const other = check.expected.length ? ` (known_hosts has other key types for it: ${check.expected.join(', ')})` : ''
        throw new HostKeyError(
          ep.label,
          `unknown host key for ${name}: server sent ${keyType} ${seen}, not found in ${files}${other}. Verify the ` +
            `fingerprint out of band, then add it (\`ssh-keyscan -p ${ep.port} ${ep.address} >> ${ep.knownHostsFiles[0] ?? '~/.ssh/known_hosts'}\`) ` +
            `or run with --host-key-checking accept-new.`,
          seen,
          check.expected.length ? check.expected.join(', ') : undefined,
        )
      }
    }
  }

  // --- authentication -------------------------------------------------------------------------------------------

  /** Explicit identity files first, then the agent; without identity files: agent, then ~/.ssh/id_{ed25519,ecdsa,rsa}. */
  private authHandler(ep: Endpoint, tried: string[]): AuthHandlerMiddleware {
    const env = this.opts.env ?? process.env
    const home = this.opts.homeDir ?? os.homedir()
    const agentSock = this.opts.agent === false ? undefined : (this.opts.agent ?? env.SSH_AUTH_SOCK)
    const explicitFiles = ep.identityFiles.length > 0
    const files = explicitFiles
      ? ep.identityFiles.map((f) => (f.startsWith('~/') ? path.join(home, f.slice(2)) : f))
      : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(home, '.ssh', f))
    type Step = { label: string; method: () => Promise<AnyAuthMethod | undefined> }
    const fileSteps: Step[] = files.map((file) => ({
      label: file,
      method: async () => {
        const key = await this.loadKey(file, ep, explicitFiles)
        return key ? { type: 'publickey', username: ep.user, key } : undefined
      },
    }))
    const agentSteps: Step[] = agentSock ? [{ label: 'ssh-agent', method: async () => ({ type: 'agent', username: ep.user, agent: agentSock }) }] : []
    const steps = explicitFiles ? [...fileSteps, ...agentSteps] : [...agentSteps, ...fileSteps]
    let i = 0
    return (left, _partial, next) => {
      const tryNext = (): void => {
        const step = steps[i++]
        // ssh2 takes `false` for "no more methods"; @types/ssh2 omits it.
        if (!step) return next(false as unknown as AuthenticationType)
        step.method().then(
          (m) => {
            if (!m) return tryNext()
            // Skip methods the server says it will not accept (left is null/empty on the first call).
            const wanted = m.type === 'agent' ? 'publickey' : m.type
            if (Array.isArray(left) && left.length > 0 && !left.includes(wanted)) return tryNext()
            tried.push(step.label)
            next(m)
          },
          () => tryNext(),
        )
      }
      tryNext()
    }
  }

  /** Parse a private key once per transport; asks for a passphrase when it is encrypted. Undefined = unusable. */
  private loadKey(file: string, ep: Endpoint, warnIfMissing: boolean): Promise<ParsedKey | undefined> {
    let p = this.keyCache.get(file)
    if (!p) {
      p = (async () => {
        let data: Buffer
        try {
          data = await readFile(file)
        } catch (err) {
          if (warnIfMissing) this.opts.onWarning?.(`identity file ${file} not readable: ${(err as Error).message}`, ep.label)
          return undefined
        }
        let parsed = utils.parseKey(data)
        if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
          const env = this.opts.env ?? process.env
          const pass = env.VIRTFLEET_SSH_PASSPHRASE ?? (await this.opts.askPassphrase?.(file))
          if (pass === undefined) {
            this.opts.onWarning?.(`identity file ${file} is encrypted and no passphrase was given; skipping it`, ep.label)
            return undefined
          }
          parsed = utils.parseKey(data, pass)
        }
        if (parsed instanceof Error) {
          this.opts.onWarning?.(`identity file ${file} unusable: ${parsed.message}`, ep.label)
          return undefined
        }
        return Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed
      })()
      this.keyCache.set(file, p)
    }
    return p
  }

  // --- errors ---------------------------------------------------------------------------------------------------

  private mapConnectError(ep: Endpoint, err: unknown, attempt: number): { error: Error; transient: boolean } {
    if (err instanceof HostKeyError || err instanceof UnreachableError) return { error: err, transient: false }
    if (err instanceof VirtfleetError) return { error: err, transient: false }
    const e = err as ConnectError
    const where = `${ep.address}:${ep.port}`
    const after = attempt > 1 ? ` (after ${attempt} attempts)` : ''
    const un = (msg: string) => new UnreachableError(ep.label, msg + after, { cause: err })
    if (e.level === 'client-authentication') return { error: un(e.message), transient: false }
    switch (e.code) {
      case 'ECONNREFUSED':
        return { error: un(`connection refused by ${where}`), transient: true }
      case 'ETIMEDOUT':
        return { error: un(`connection to ${where} timed out`), transient: true }
      case 'ECONNRESET':
      case 'EPIPE':
        return { error: un(`connection to ${where} reset`), transient: true }
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return { error: un(`no route to ${where}`), transient: true }
      case 'ENOTFOUND':
        return { error: un(`cannot resolve ${ep.address}`), transient: false }
      case 'EAI_AGAIN':
        return { error: un(`cannot resolve ${ep.address} (temporary DNS failure)`), transient: true }
    }
    if (e.level === 'client-timeout' || /Timed out while waiting for handshake/.test(e.message)) {
      return { error: un(`timed out after ${fmtSeconds(this.opts.readyTimeoutMs)} connecting to ${where}`), transient: true }
    }
    if (/Connection lost before handshake|closed during handshake|No response from server/.test(e.message)) {
      // sshd drops connections beyond MaxStartups like this.
      return { error: un(`connection to ${where} closed during handshake: ${e.message}`), transient: true }
    }
    if (/open failed|forward/i.test(e.message) && e.level === undefined) {
      return { error: un(`jump host could not open a channel to ${where}: ${e.message}`), transient: true }
    }
    return { error: un(`cannot connect to ${where}: ${e.message}`), transient: false }
  }
}

/** A live ssh2 connection plus its channel budget; owned by the transport's cache. */
class SshConnection {
  readonly channels: Semaphore
  private readonly closeCbs: ((err?: Error) => void)[] = []
  /** Fail hooks of in-flight channels: called when the connection dies. */
  readonly inflight = new Set<(err: Error) => void>()
  closed = false
  closeError?: Error
  private lastError?: Error
  private ended?: Promise<void>

  constructor(
    readonly ep: Endpoint,
    readonly client: SshClient,
    maxChannels: number,
    readonly isBastion: boolean,
    private readonly sock?: ClientChannel,
  ) {
    this.channels = new Semaphore(maxChannels)
    client.on('error', (err: Error) => {
      this.lastError = err
    })
    client.on('close', () => this.markClosed(this.lastError))
    sock?.on('error', () => {})
  }

  onClose(cb: (err?: Error) => void): void {
    if (this.closed) queueMicrotask(() => cb(this.closeError))
    else this.closeCbs.push(cb)
  }

  lostError(): UnreachableError {
    const why = this.closeError ? `: ${this.closeError.message}` : ''
    return new UnreachableError(this.ep.label, `connection lost${why}`, this.closeError ? { cause: this.closeError } : undefined)
  }

  private markClosed(err?: Error): void {
    if (this.closed) return
    this.closed = true
    this.closeError = err
    const lost = this.lostError()
    this.channels.rejectAll(lost)
    for (const fail of [...this.inflight]) fail(lost)
    this.inflight.clear()
    for (const cb of this.closeCbs.splice(0)) {
      try {
        cb(err)
      } catch {
        // a callback's failure must not stop the others
      }
    }
  }

  destroy(err: Error): void {
    this.lastError ??= err
    this.client.destroy()
    this.sock?.destroy()
  }

  /** Graceful end; resolves when the connection is closed (force-destroyed after 2 s). */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.ended ??= new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.client.destroy()
        this.sock?.destroy()
        this.markClosed()
        resolve()
      }, 2000)
      t.unref()
      this.onClose(() => {
        clearTimeout(t)
        resolve()
      })
      this.client.end()
    })
    return this.ended
  }

  /** A direct-tcpip channel to the next hop (not counted against MaxSessions, which limits sessions only). */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.lostError())
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (err) return reject(err)
        ch.on('error', () => {})
        resolve(ch)
      })
    })
  }

  /** Open an exec channel under the channel budget; the release is tied to the channel's close. */
  async openExec(command: string, signal?: AbortSignal): Promise<{ ch: ClientChannel; release: Release }> {
    if (this.closed) throw this.lostError()
    const release = await this.channels.acquire(signal)
    try {
      const ch = await new Promise<ClientChannel>((resolve, reject) => {
        if (this.closed) return reject(this.lostError())
        const fail = (err: Error) => reject(err)
        this.inflight.add(fail)
        this.client.exec(command, (err, ch) => {
          this.inflight.delete(fail)
          if (err) return reject(this.closed ? this.lostError() : err)
          resolve(ch)
        })
      })
      return { ch, release }
    } catch (err) {
      release()
      throw err
    }
  }
}

/**
 * sh wrapper for commands that may be stopped early (streams, exec with an AbortSignal): runs "$@" with stdin from
 * /dev/null and kills it (TERM) when the channel's stdin reaches EOF, which happens when we close the channel. sshd
 * does not honour "signal" requests for root logins, and closing a channel does not kill a command that never
 * writes (e.g. `virsh event --loop` on a quiet host). Exit status is kept; a signal death shows as 128+n.
 */
const STOP_ON_EOF =
  // fd 3 keeps the channel's stdin: asynchronous lists get /dev/null as stdin in a non-interactive sh.
  'exec 3<&0 0</dev/null; "$@" 3<&- & p=$!; { cat <&3 >/dev/null 2>&1; kill -TERM "$p" 2>/dev/null; } >/dev/null 2>&1 & w=$!; ' +
  'exec 3<&-; wait "$p"; rc=$?; kill "$w" 2>/dev/null; exit "$rc"'

class SshHostSession implements HostSession {
  readonly host: string

  constructor(
    private readonly spec: HostSpec,
    private readonly conn: SshConnection,
  ) {
    this.host = spec.name
  }

  private commandLine(argv: readonly string[], become: boolean | undefined, stoppable: boolean): string {
    const s = this.spec
    const wantsSudo = (become ?? true) && s.become && (s.user !== 'root' || s.becomeUser !== undefined)
    const full = wantsSudo ? ['sudo', '-n', ...(s.becomeUser ? ['-u', s.becomeUser] : []), '--', ...argv] : argv
    return quoteCommand(stoppable ? ['sh', '-c', STOP_ON_EOF, 'virtfleet', ...full] : full)
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const stoppable = options.signal !== undefined && options.stdin === undefined
    return this.run(this.commandLine(argv, options.become, stoppable), options, undefined, stoppable).done
  }

  stream(argv: readonly string[], onLine: (line: string) => void, options: ExecOptions = {}): LineStream {
    const stoppable = options.stdin === undefined
    return this.run(this.commandLine(argv, options.become, stoppable), options, onLine, stoppable)
  }

  onClose(cb: (err?: Error) => void): void {
    this.conn.onClose(cb)
  }

  close(): Promise<void> {
    return this.conn.end()
  }

  /**
   * Shared by exec and stream: with onLine, stdout is delivered line by line instead of collected. The promise
   * settles on the channel's close (or on abort/close() at once); the channel slot is released only when the
   * channel is really closed (or the connection is gone), so sshd's MaxSessions is never exceeded.
   */
  private run(command: string, options: ExecOptions, onLine: ((line: string) => void) | undefined, stoppable: boolean): LineStream {
    const { signal } = options
    let stopChannel: (() => void) | undefined
    let closedByUser = false
    const done = (async (): Promise<ExecResult> => {
      if (signal?.aborted) throw abortReason(signal)
      const { ch, release } = await this.conn.openExec(command, signal)
      return await new Promise<ExecResult>((resolve, reject) => {
        const out: Buffer[] = []
        const err: Buffer[] = []
        const decoder = new StringDecoder('utf8')
        let partial = ''
        let code: number | null = null
        let sig: string | undefined
        let gotExit = false
        let settled = false
        let channelClosed = false
        const emitLines = (text: string, final: boolean) => {
          partial += text
          const parts = partial.split('\n')
          partial = parts.pop() ?? ''
          if (final && partial !== '') {
            parts.push(partial)
            partial = ''
          }
          for (const line of parts) {
            try {
              onLine!(line.endsWith('\r') ? line.slice(0, -1) : line)
            } catch {
              // a throwing consumer must not break the channel
            }
          }
        }
        const freeChannel = () => {
          if (channelClosed) return
          channelClosed = true
          this.conn.inflight.delete(onConnectionLost)
          release()
        }
        const finish = (outcome: { error: Error } | { result: ExecResult }) => {
          if (settled) return
          settled = true
          signal?.removeEventListener('abort', onAbort)
          if ('error' in outcome) reject(outcome.error)
          else resolve(outcome.result)
        }
        const result = (): ExecResult => {
          if (onLine) emitLines(decoder.end(), true)
          const r: ExecResult = {
            code,
            stdout: onLine ? '' : Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          }
          if (sig !== undefined) r.signal = sig
          return r
        }
        // Stop the remote command: EOF on stdin makes the STOP_ON_EOF wrapper kill it; the "signal" request covers
        // unwrapped commands where sshd honours it (OpenSSH >= 7.9, not for root logins, which run without privsep).
        const stop = () => {
          if (channelClosed) return
          try {
            ch.signal('TERM')
            ch.end()
          } catch {
            // closing the channel is what counts
          }
          ch.close()
        }
        const onConnectionLost = (e: Error) => {
          freeChannel()
          finish({ error: e })
        }
        const onAbort = () => {
          stop()
          finish({ error: abortReason(signal!) })
        }
        stopChannel = () => {
          stop()
          finish({ result: result() })
        }
        this.conn.inflight.add(onConnectionLost)
        signal?.addEventListener('abort', onAbort, { once: true })
        if (closedByUser) stopChannel()

        ch.on('data', (d: Buffer) => {
          if (settled) return
          if (onLine) emitLines(decoder.write(d), false)
          else out.push(d)
        })
        ch.stderr.on('data', (d: Buffer) => err.push(d))
        ch.on('error', (e: Error) => finish({ error: new RemoteError(this.host, command, null, '', `${this.host}: channel error: ${e.message}`) }))
        ch.stderr.on('error', () => {})
        ch.on('exit', (c: number | null, s?: string) => {
          gotExit = true
          code = typeof c === 'number' ? c : null
          if (typeof s === 'string') sig = s.startsWith('SIG') ? s : `SIG${s}`
        })
        ch.on('close', () => {
          freeChannel()
          if (settled) return
          if (!gotExit) {
            // Closed without an exit status: if the connection went down (its close may come just after the
            // channel's), this is "unreachable", not a result.
            setImmediate(() => {
              if (this.conn.closed) finish({ error: this.conn.lostError() })
              else finish({ result: result() })
            })
            return
          }
          finish({ result: result() })
        })
        if (options.stdin !== undefined) ch.end(options.stdin)
        else if (!stoppable) ch.end()
      })
    })()
    done.catch(() => {}) // callers of stream() may never await `done`
    return {
      done,
      close: () => {
        closedByUser = true
        stopChannel?.()
      },
    }
  }
}

// --- helpers ------------------------------------------------------------------------------------------------------

export function createSshTransport(options: SshTransportOptions = {}): SshTransport {
  return new SshTransport(options)
}

/** "user@host:port", "host", "[v6addr]:port", "ssh://user@host:port". */
export function parseJump(jump: string): { user?: string; host: string; port?: number } {
  let s = jump.trim().replace(/^ssh:\/\//, '')
  let user: string | undefined
  const at = s.lastIndexOf('@')
  if (at >= 0) {
    user = s.slice(0, at)
    s = s.slice(at + 1)
  }
  let host = s
  let port: number | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (v6) {
    host = v6[1]!
    if (v6[2]) port = Number(v6[2])
  } else {
    const m = /^([^:]+):(\d+)$/.exec(s)
    if (m) {
      host = m[1]!
      port = Number(m[2])
    }
  }
  if (!host) throw new Error(`invalid jump host "${jump}"`)
  return { ...(user ? { user } : {}), host, ...(port ? { port } : {}) }
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(abortReason(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
