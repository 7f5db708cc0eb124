import { mkdtempSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { KnownHostsCache } from '../../../src/ssh/known-hosts-cache.js'
import { readKnownHosts } from '../../../src/ssh/known-hosts.js'
import { verifyHostKey } from '../../../src/ssh/host-key-policy.js'
import type { Endpoint } from '../../../src/ssh/endpoint.js'
import { endpointFor } from '../../../src/ssh/endpoint.js'
import { hostSpec } from '../../support/fake-fleet.js'

const sshString = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}
const ed25519 = (fill: number): Buffer => Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(32, fill))])
const A = ed25519(1)
const B = ed25519(2)
const line = (host: string, k: Buffer) => `${host} ssh-ed25519 ${k.toString('base64')}\n`

const tmp = mkdtempSync(path.join(os.tmpdir(), 'virtfleet-khc-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('KnownHostsCache', () => {
  it('parses a file once while it is unchanged, with the same entries as reading it', async () => {
    const f = path.join(tmp, 'once')
    writeFileSync(f, line('hv1', A) + line('hv2', B))
    const cache = new KnownHostsCache()
    const first = await cache.read([f])
    expect(first).toEqual(await readKnownHosts([f]))
    const again = await cache.read([f])
    expect(again[0]).toBe(first[0])
    expect(again[1]).toBe(first[1])
  })

  it('reads a file again when it changed: appended to, or rewritten to the same size with a new time', async () => {
    const f = path.join(tmp, 'changes')
    writeFileSync(f, line('hv1', A))
    const cache = new KnownHostsCache()
    expect((await cache.read([f])).map((e) => e.patterns[0])).toEqual(['hv1'])
    appendFileSync(f, line('hv2', B))
    expect((await cache.read([f])).map((e) => e.patterns[0])).toEqual(['hv1', 'hv2'])
    writeFileSync(f, line('hv3', A) + line('hv4', B))
    const later = new Date(Date.now() + 60_000)
    utimesSync(f, later, later)
    expect((await cache.read([f])).map((e) => e.patterns[0])).toEqual(['hv3', 'hv4'])
  })

  it('skips missing files and refuses what is not a regular file, as the uncached reader does', async () => {
    const f = path.join(tmp, 'present')
    writeFileSync(f, line('hv1', A))
    const cache = new KnownHostsCache()
    expect((await cache.read([path.join(tmp, 'missing'), f])).length).toBe(1)
    const fifo = path.join(tmp, 'fifo')
    execFileSync('mkfifo', [fifo])
    await expect(cache.read([fifo])).rejects.toThrow(/must be a regular file, this is a FIFO/)
  })

  it('sees a key it appended itself (accept-new) at once', async () => {
    const f = path.join(tmp, 'accept-new')
    writeFileSync(f, line('other', B))
    const cache = new KnownHostsCache()
    const ep: Endpoint = endpointFor(hostSpec('hv9', { address: 'hv9', knownHostsFiles: [f], hostKeyChecking: 'accept-new' }), {})
    expect((await cache.read([f])).length).toBe(1)
    const warnings: string[] = []
    await verifyHostKey(ep, A, (m) => warnings.push(m), cache)
    expect(warnings).toEqual([expect.stringMatching(/^added ssh-ed25519 key/)])
    await verifyHostKey({ ...ep, hostKeyChecking: 'strict' }, A, undefined, cache)
    await expect(verifyHostKey({ ...ep, hostKeyChecking: 'strict' }, B, undefined, cache)).rejects.toThrow(/HOST KEY CHANGED/)
  })
})
