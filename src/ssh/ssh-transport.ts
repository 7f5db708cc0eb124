// The real Transport: one ssh2 connection per host (reused, shared while connecting) and per jump host, bounded
// concurrent handshakes (per sshd, under its MaxStartups, and overall), retries with backoff for transient failures within one connect
// deadline, and a closeAll() that is bounded whatever the peers do. The parts live beside it: handshake.ts,
// connection.ts, exec-channel.ts, host-key-policy.ts, auth.ts, connect-errors.ts, jump.ts, endpoint.ts.
// Host specs are expected to have ssh_config applied already (src/ssh/ssh-config.ts); jump hosts get it here.

import type { Duplex } from 'node:stream'
import { realClock } from '../core/clock.js'
import type { HostSpec } from '../inventory/types.js'
import { abortReason, manyListeners, Semaphore } from '../core/semaphore.js'
import { KeyStore } from './auth.js'
import { mapConnectError } from './connect-errors.js'
import { SshConnection } from './connection.js'
import { endpointFor, hopKey, type Endpoint } from './endpoint.js'
import { localUser } from '../inventory/ssh-options.js'
import { SshHostSession } from './exec-channel.js'
import { handshake } from './handshake.js'
import { KnownHostsCache } from './known-hosts-cache.js'
import { bastionSpec, checkJumps } from './jump.js'
import { resolveSshOptions, type ResolvedSshOptions, type SshTransportOptions } from './ssh-options.js'
import type { HostSession, Transport } from './transport.js'

export type { SshTransportOptions } from './ssh-options.js'
export { ConnectionLostError } from './connect-errors.js'
export { parseJump } from './jump.js'

export class SshTransport implements Transport {
  private readonly opts: ResolvedSshOptions
  private readonly handshakes: Semaphore
  /** Handshakes per sshd (address:port): MaxStartups is per server, so a fleet of servers is not queued behind 8. */
  private readonly perServer = new Map<string, Semaphore>()
  private readonly keys: KeyStore
  /** known_hosts parsed once for the whole fleet (re-read when a file changes). */
  private readonly knownHosts = new KnownHostsCache()
  /** Target connections by inventory name + route. */
  private readonly targets = new Map<string, Promise<SshConnection>>()
  /** Bastion connections by route. */
  private readonly bastions = new Map<string, Promise<SshConnection>>()
  private readonly live = new Set<SshConnection>()
  /** Aborted by closeAll(): cancels handshakes, backoff sleeps and queued attempts (every host's: many listeners). */
  private closing = manyListeners(new AbortController())

  constructor(options: SshTransportOptions = {}) {
    this.opts = resolveSshOptions(options)
    this.handshakes = new Semaphore(this.opts.maxConcurrentHandshakes)
    this.keys = new KeyStore(this.opts)
  }

  /** Peak concurrent handshakes so far, overall (diagnostics/tests). */
  get handshakePeak(): number {
    return this.handshakes.peak
  }

  /** Peak concurrent handshakes so far with any one sshd (diagnostics/tests). */
  get handshakePeakPerServer(): number {
    return Math.max(0, ...[...this.perServer.values()].map((s) => s.peak))
  }

  /** A slot with this sshd, then one overall; released together. */
  private async handshakeSlot(ep: Endpoint, signal: AbortSignal): Promise<() => void> {
    const key = `${ep.address}:${ep.port}`
    let server = this.perServer.get(key)
    if (!server) this.perServer.set(key, (server = new Semaphore(this.opts.maxHandshakesPerServer)))
    const releaseServer = await server.acquire(signal)
    try {
      const releaseAll = await this.handshakes.acquire(signal)
      return () => {
        releaseAll()
        releaseServer()
      }
    } catch (err) {
      releaseServer()
      throw err
    }
  }

  /** A host whose jump entries do not parse is bad input (InputError), found before any host is touched. */
  checkHost(host: HostSpec): void {
    checkJumps(host)
  }

  async connect(host: HostSpec, signal?: AbortSignal): Promise<HostSession> {
    if (signal?.aborted) throw abortReason(signal)
    checkJumps(host)
    const target = endpointFor(host, this.opts)
    const key = `${host.name}|${[...host.jump, hopKey(target)].join('>')}`
    let pending = this.targets.get(key)
    if (!pending) {
      pending = this.openRoute(target, host.jump, host)
      this.cache(this.targets, key, pending)
    }
    const conn = await raceAbort(pending, signal)
    return new SshHostSession(host, conn)
  }

  /** Ends every connection: targets, then the bastions that carry them. Bounded by about 2 × closeGraceMs. */
  async closeAll(): Promise<void> {
    const closing = this.closing
    this.closing = manyListeners(new AbortController())
    closing.abort(new Error('the transport is closing'))
    const all = [...this.targets.values(), ...this.bastions.values()]
    this.targets.clear()
    this.bastions.clear()
    const settled = await Promise.allSettled(all)
    const conns = new Set<SshConnection>(this.live)
    for (const s of settled) if (s.status === 'fulfilled') conns.add(s.value)
    await Promise.all([...conns].filter((c) => !c.isBastion).map((c) => c.end()))
    await Promise.all([...conns].filter((c) => c.isBastion).map((c) => c.end()))
  }

  /** Keep a pending connection under key until it fails or closes. */
  private cache(map: Map<string, Promise<SshConnection>>, key: string, pending: Promise<SshConnection>): void {
    map.set(key, pending)
    const forget = () => {
      if (map.get(key) === pending) map.delete(key)
    }
    pending.then((conn) => conn.onClose(forget), forget)
  }

  private openRoute(target: Endpoint, jumps: readonly string[], spec: HostSpec): Promise<SshConnection> {
    if (jumps.length === 0) return this.openConnection(target, undefined, false)
    const via = this.bastion(jumps.slice(0, -1), jumps[jumps.length - 1]!, spec)
    return this.openConnection(target, via, false)
  }

  /** The cached connection to bastion `jump`, itself reached through `route`. */
  private bastion(route: readonly string[], jump: string, spec: HostSpec): Promise<SshConnection> {
    const bspec = bastionSpec(jump, spec, this.opts.sshConfig, this.opts.homeDir, localUser())
    const ep = endpointFor(bspec, this.opts, `jump host ${jump}`)
    const key = [...route, hopKey(ep)].join('>')
    let pending = this.bastions.get(key)
    if (!pending) {
      const via = route.length === 0 ? undefined : this.bastion(route.slice(0, -1), route[route.length - 1]!, spec)
      pending = this.openConnection(ep, via, true)
      this.cache(this.bastions, key, pending)
    }
    return pending
  }

  /**
   * Attempts until one succeeds, a failure is not transient, the retries are used up, or the connect deadline
   * (the hop's connect timeout from the first attempt) would pass: a peer that accepts TCP but never speaks fails in time.
   */
  private async openConnection(ep: Endpoint, via: Promise<SshConnection> | undefined, isBastion: boolean): Promise<SshConnection> {
    const closing = this.closing.signal
    const bastion = via ? await via : undefined
    const clock = this.opts.clock ?? realClock
    const attempts = this.opts.retries + 1
    let deadline: number | undefined
    for (let attempt = 1; ; attempt++) {
      const release = await this.handshakeSlot(ep, closing).catch((err: unknown) => {
        throw mapConnectError(ep, err, attempt, ep.connectTimeoutMs).error
      })
      deadline ??= clock.now() + ep.connectTimeoutMs
      let sock: Duplex | undefined
      let result: Awaited<ReturnType<typeof handshake>>
      try {
        if (closing.aborted) throw abortReason(closing)
        if (bastion) sock = await bastion.forwardOut(ep.address, ep.port)
        result = await handshake(ep, sock, this.opts, this.keys, { timeoutMs: deadline - clock.now(), signal: closing }, this.knownHosts)
      } catch (err) {
        sock?.destroy()
        release()
        const mapped = mapConnectError(ep, err, attempt, ep.connectTimeoutMs)
        const delay = this.opts.retryBaseDelayMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4)
        if (!mapped.transient || attempt >= attempts || closing.aborted || clock.now() + delay >= deadline) throw mapped.error
        await clock.sleep(delay, closing).catch(() => undefined)
        continue
      }
      release()
      const conn = new SshConnection(
        ep,
        result.client,
        result.sock,
        {
          maxChannels: this.opts.maxChannelsPerHost,
          keepaliveIntervalMs: ep.keepaliveIntervalMs,
          keepaliveCountMax: ep.keepaliveCountMax,
          closeGraceMs: this.opts.closeGraceMs,
        },
        isBastion,
      )
      this.live.add(conn)
      conn.onClose(() => this.live.delete(conn))
      if (bastion) bastion.onClose(() => conn.destroy(new Error(`jump host ${bastion.ep.label} connection closed`)))
      return conn
    }
  }
}

export function createSshTransport(options: SshTransportOptions = {}): SshTransport {
  return new SshTransport(options)
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
