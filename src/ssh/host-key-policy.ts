// Host key verification policy against known_hosts, as OpenSSH's StrictHostKeyChecking: 'strict' refuses unknown
// and changed keys, 'accept-new' records unknown keys but refuses changed ones, 'off' accepts anything with a
// warning. @revoked always refuses. Errors are HostKeyError with the fingerprints seen and expected.

import { HostKeyError } from '../core/errors.js'
import type { Endpoint } from './endpoint.js'
import { appendKnownHost, checkHostKeyInEntries, fingerprint, keyTypeOfBlob, knownHostName, knownKeyTypes, readKnownHosts } from './known-hosts.js'
import type { KnownHostsCache } from './known-hosts-cache.js'

/** Host key algorithms ssh2 supports, in its default preference order. */
export const HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const
export type HostKeyAlgo = (typeof HOST_KEY_ALGOS)[number]

export type Warn = (message: string, host: string) => void

/** The entries of the endpoint's known_hosts files: from the transport's cache when given, else read now. */
const entriesFor = (ep: Endpoint, known?: KnownHostsCache) => (known ? known.read(ep.knownHostsFiles) : readKnownHosts(ep.knownHostsFiles))

/** Offer the host key types already in known_hosts first, as OpenSSH does, so a known RSA-only host is not "new". */
export async function preferredHostKeyAlgos(ep: Endpoint, cache?: KnownHostsCache): Promise<HostKeyAlgo[] | undefined> {
  if (ep.hostKeyChecking === 'off') return undefined
  const known = knownKeyTypes(await entriesFor(ep, cache), ep.address, ep.port)
  if (known.length === 0) return undefined
  const algosFor = (t: string): HostKeyAlgo[] => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGOS.filter((a) => a === t))
  const first = known.flatMap(algosFor)
  return [...new Set([...first, ...HOST_KEY_ALGOS])]
}

/** Resolves when the key may be used; throws HostKeyError when the policy refuses it. */
export async function verifyHostKey(ep: Endpoint, key: Buffer, onWarning?: Warn, cache?: KnownHostsCache): Promise<void> {
  const keyType = keyTypeOfBlob(key) ?? 'unknown'
  const seen = fingerprint(key)
  if (ep.hostKeyChecking === 'off') {
    onWarning?.(`host key checking is off: accepting ${keyType} key ${seen} for ${knownHostName(ep.address, ep.port)} unverified`, ep.label)
    return
  }
  const entries = await entriesFor(ep, cache)
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
        cache?.forget(file)
        onWarning?.(`added ${keyType} key ${seen} for ${name} to ${file}`, ep.label)
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

/** Any failure to verify (unreadable known_hosts...) refuses the key too, as a HostKeyError. */
export function asHostKeyError(ep: Endpoint, key: Buffer, err: unknown): HostKeyError {
  return err instanceof HostKeyError ? err : new HostKeyError(ep.label, `cannot verify host key: ${(err as Error).message}`, fingerprint(key))
}
