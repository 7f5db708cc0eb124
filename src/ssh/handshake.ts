// One handshake attempt to one hop: open the TCP socket (or use the channel forwarded by a jump host), verify the
// host key by policy, authenticate. Resolves with the ready ssh2 client and the raw stream under it, which the
// connection needs to destroy when a graceful close does not finish (ssh2's destroy() is a no-op once ended).

import net from 'node:net'
import type { Duplex } from 'node:stream'
import ssh2 from 'ssh2'
import type { ConnectConfig } from 'ssh2'
import type { HostKeyError } from '../core/errors.js'
import type { KeyStore } from './auth.js'
import { authHandler } from './auth.js'
import type { ConnectError } from './connect-errors.js'
import type { Endpoint } from './endpoint.js'
import type { KnownHostsCache } from './known-hosts-cache.js'
import { asHostKeyError, preferredHostKeyAlgos, verifyHostKey } from './host-key-policy.js'
import type { ResolvedSshOptions } from './ssh-options.js'

const { Client } = ssh2
export type SshClient = InstanceType<typeof Client>

export interface HandshakeResult {
  client: SshClient
  /** The stream the SSH protocol runs over: our TCP socket, or a jump host's forwarded channel. */
  sock: Duplex
}

export interface HandshakeLimits {
  /** This attempt's handshake timeout (what is left of the connect deadline). */
  timeoutMs: number
  /** Aborts the attempt at once (the transport is closing). */
  signal?: AbortSignal
}

/**
 * The TCP socket to a host, with Nagle's algorithm off. An exec is several small packets in a row (channel open, exec
 * request, stdin, EOF), and with Nagle on each waited for the peer's ACK of the one before; sshd sets TCP_NODELAY only
 * for sessions with a terminal, so it delays that ACK (40 ms on Linux). Measured on the lab, paired medians: connect
 * 84 -> 37 ms, the saved-list write 109 -> 33 ms (docs/bench.md, "Nagle's algorithm off").
 */
export function openTcp(ep: Pick<Endpoint, 'address' | 'port'>): net.Socket {
  const sock = net.connect({ host: ep.address, port: ep.port })
  sock.setNoDelay(true)
  return sock
}

export function handshake(
  ep: Endpoint,
  forwarded: Duplex | undefined,
  opts: ResolvedSshOptions,
  keys: KeyStore,
  limits: HandshakeLimits,
  knownHosts?: KnownHostsCache,
): Promise<HandshakeResult> {
  return new Promise<HandshakeResult>((resolve, reject) => {
    const client = new Client()
    let sock: Duplex | undefined = forwarded
    let hostKeyFailure: HostKeyError | undefined
    let done = false
    const tried: string[] = []
    const finish = (err?: Error) => {
      if (done) return
      done = true
      limits.signal?.removeEventListener('abort', onAbort)
      if (err) {
        client.end()
        sock?.destroy()
        reject(hostKeyFailure ?? err)
      } else {
        resolve({ client, sock: sock! })
      }
    }
    const onAbort = () => finish(new Error('connection attempt cancelled: the transport is closing'))
    if (limits.signal?.aborted) return onAbort()
    limits.signal?.addEventListener('abort', onAbort, { once: true })

    client.on('ready', () => finish())
    client.on('error', (err: ConnectError) => {
      if (done) return // after ready, the connection owns error handling
      if (err.level === 'agent' || (err.level === 'client-authentication' && /^Error signing/.test(err.message))) {
        opts.onWarning?.(`${err.message}`, ep.label)
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
      readyTimeout: Math.max(1, limits.timeoutMs),
      keepaliveInterval: ep.keepaliveIntervalMs,
      keepaliveCountMax: ep.keepaliveCountMax,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verifyHostKey(ep, key, opts.onWarning, knownHosts).then(
          () => verify(true),
          (err: unknown) => {
            hostKeyFailure = asHostKeyError(ep, key, err)
            verify(false)
          },
        )
      },
      authHandler: authHandler(ep, keys, opts, tried),
      ...(opts.debug ? { debug: opts.debug } : {}),
    }
    preferredHostKeyAlgos(ep, knownHosts)
      .then((algos) => {
        if (done) return
        if (algos) config.algorithms = { serverHostKey: algos }
        // Our own socket (already connecting: ssh2 waits for its 'connect' and runs readyTimeout over TCP + SSH).
        sock ??= openTcp(ep)
        config.sock = sock
        client.connect(config)
      })
      .catch((err: Error) => finish(err))
  })
}
