// Authentication: which identities are offered and in what order (explicit identity files, then the agent; without
// them the agent, then ~/.ssh/id_{ed25519,ecdsa,rsa}), and private keys parsed once per transport, with a
// passphrase from VIRTFLEET_SSH_PASSPHRASE or the askPassphrase callback for encrypted ones.

import { createPrivateKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, ParsedKey } from 'ssh2'
import type { Endpoint } from './endpoint.js'
import type { SshTransportOptions } from './ssh-options.js'

const { utils } = ssh2

export type AuthOptions = Pick<SshTransportOptions, 'agent' | 'env' | 'homeDir' | 'askPassphrase' | 'onWarning'>

/** Parsed private keys by file, shared by every connection of one transport (one passphrase prompt per file). */
export class KeyStore {
  private readonly cache = new Map<string, Promise<ParsedKey | undefined>>()

  constructor(private readonly opts: AuthOptions) {}

  /** Undefined = unusable (missing, unparsable, or encrypted with no passphrase given); a warning says why. */
  load(file: string, host: string, warnIfMissing: boolean): Promise<ParsedKey | undefined> {
    let p = this.cache.get(file)
    if (!p) {
      p = this.parse(file, host, warnIfMissing)
      this.cache.set(file, p)
    }
    return p
  }

  private async parse(file: string, host: string, warnIfMissing: boolean): Promise<ParsedKey | undefined> {
    let data: Buffer
    try {
      data = await readFile(file)
    } catch (err) {
      if (warnIfMissing) this.opts.onWarning?.(`identity file ${file} not readable: ${(err as Error).message}`, host)
      return undefined
    }
    let parsed = utils.parseKey(data)
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      const env = this.opts.env ?? process.env
      const pass = env.VIRTFLEET_SSH_PASSPHRASE ?? (await this.opts.askPassphrase?.(file))
      if (pass === undefined) {
        this.opts.onWarning?.(`identity file ${file} is encrypted and no passphrase was given; skipping it`, host)
        return undefined
      }
      parsed = utils.parseKey(data, pass)
    }
    if (parsed instanceof Error) {
      this.opts.onWarning?.(`identity file ${file} unusable: ${parsed.message}`, host)
      return undefined
    }
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed
    return key && signingWithKeyObject(key)
  }
}

/**
 * ssh2 signs with the key's PEM text, which OpenSSL 3 decodes again for every signature: about 0.6 ms of the
 * control machine's CPU per connection, for one key used on every host. This makes the key sign with a KeyObject
 * decoded once, through ssh2's own sign (same algorithm choice, same signature format). Should ssh2's internals not be
 * where they are in the pinned version, the key is left as it is.
 */
export function signingWithKeyObject(key: ParsedKey): ParsedKey {
  const pemSymbol = Object.getOwnPropertySymbols(key).find((s) => s.description === 'Private key PEM')
  const pem = pemSymbol && (key as unknown as Record<symbol, unknown>)[pemSymbol]
  if (!pemSymbol || typeof pem !== 'string') return key
  let keyObject: KeyObject
  try {
    keyObject = createPrivateKey(pem)
  } catch {
    return key
  }
  const sign = key.sign
  // ssh2's sign reads the PEM from `this`: an object that inherits everything else from the key but has the KeyObject.
  const signer = Object.create(key, { [pemSymbol]: { value: keyObject } }) as ParsedKey
  key.sign = (data, algo) => sign.call(signer, data, algo)
  return key
}

/** The identity files tried for a hop, in order (explicit ones with ~ expanded, else the OpenSSH defaults). */
export function identityFiles(ep: Endpoint, homeDir?: string): string[] {
  const home = homeDir ?? os.homedir()
  return ep.identityFiles.length > 0
    ? ep.identityFiles.map((f) => (f.startsWith('~/') ? path.join(home, f.slice(2)) : f))
    : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(home, '.ssh', f))
}

/** ssh2 authHandler for one handshake; `tried` collects the labels offered, for the "authentication failed" error. */
export function authHandler(ep: Endpoint, keys: KeyStore, opts: AuthOptions, tried: string[]): AuthHandlerMiddleware {
  const env = opts.env ?? process.env
  const agentSock = opts.agent === false ? undefined : (opts.agent ?? env.SSH_AUTH_SOCK)
  const explicitFiles = ep.identityFiles.length > 0
  type Step = { label: string; method: () => Promise<AnyAuthMethod | undefined> }
  const fileSteps: Step[] = identityFiles(ep, opts.homeDir).map((file) => ({
    label: file,
    method: async () => {
      const key = await keys.load(file, ep.label, explicitFiles)
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
