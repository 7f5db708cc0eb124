// A connection lost in the middle of a run (issue 9 §4), on the in-memory fleet: the host is reported unreachable
// (exit 3) at once, with what is known about each guest, while the other hosts finish; no fallback is tried on it.

import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import type { RunReport } from '../../../src/core/report.js'
import { runStart } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import type { HostSpec } from '../../../src/inventory/types.js'
import { ConnectionLostError } from '../../../src/ssh/connect-errors.js'
import type { HostSession, Transport } from '../../../src/ssh/transport.js'
import { savedListPath } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

/** The fake fleet, plus what the real transport does on a loss: in-flight and later commands fail, onClose fires. */
class LosableTransport implements Transport {
  private readonly closeCbs = new Map<string, ((err?: Error) => void)[]>()
  private readonly lostHosts = new Set<string>()
  constructor(readonly inner: FakeTransport) {}

  async connect(spec: HostSpec): Promise<HostSession> {
    const s = await this.inner.connect(spec)
    const check = () => {
      if (this.lostHosts.has(spec.name)) throw new ConnectionLostError(spec.name, 'no answer to 4 keepalives in 8s')
    }
    return {
      host: s.host,
      exec: async (argv, o) => {
        check()
        return s.exec(argv, o)
      },
      stream: (argv, onLine, o) => s.stream(argv, onLine, o),
      onClose: (cb) => this.closeCbs.set(spec.name, [...(this.closeCbs.get(spec.name) ?? []), cb]),
      close: () => s.close(),
    }
  }

  lose(host: string): void {
    this.lostHosts.add(host)
    const err = new ConnectionLostError(host, 'no answer to 4 keepalives in 8s', { commandSent: true })
    for (const cb of this.closeCbs.get(host) ?? []) cb(err)
  }

  closeAll(): Promise<void> {
    return this.inner.closeAll()
  }
}

function setup() {
  const clock = new FakeClock()
  const fake = new FakeTransport(clock)
  const transport = new LosableTransport(fake)
  const hv1 = fake.addHost('hv1')
  const hv2 = fake.addHost('hv2')
  for (const h of [hv1, hv2]) for (const n of ['a', 'b']) h.addGuest({ name: `${h.name}-${n}`, shutdownDelayMs: 5000 })
  const ctx = { transport, clock, bus: new EventBus(), runId: 'r1', command: 'shutdown', check: false }
  return { clock, fake, transport, hv1, hv2, ctx }
}

const guest = (r: RunReport, host: string, name: string) => r.hosts.find((h) => h.host === host)?.guests.find((g) => g.name === name)

describe('a connection lost mid-run', () => {
  it('stop: the host is unreachable within moments, not after the per-guest timeout; other hosts finish; exit 3', async () => {
    const { clock, fake, transport, ctx } = setup()
    const p = runStop([hostSpec('hv1'), hostSpec('hv2')], ctx, { parallel: 1, fallback: ['destroy'], pollMs: 5000 })
    await clock.advance(1000)
    transport.lose('hv1')
    const r = await clock.runUntil(p)
    expect(r.exitCode).toBe(3)
    const hv1 = r.hosts.find((h) => h.host === 'hv1')!
    expect(hv1.status).toBe('unreachable')
    expect(hv1.error).toMatch(/^connection lost mid-run: hv1: connection lost: no answer to 4 keepalives/)
    expect(hv1.durationMs).toBeLessThan(2000)
    expect(r.summary.hostsUnreachable).toBe(1)
    // What is known: a was asked to shut down (state unknown), b was never touched; both stay in the saved list.
    expect(guest(r, 'hv1', 'hv1-a')).toMatchObject({ outcome: 'failed', ok: false, inSavedList: true })
    expect(guest(r, 'hv1', 'hv1-a')?.error).toMatch(/^shutdown requested, then the connection was lost: state unknown/)
    expect(guest(r, 'hv1', 'hv1-b')).toMatchObject({ outcome: 'failed', ok: false, inSavedList: true })
    expect(guest(r, 'hv1', 'hv1-b')?.error).toMatch(/^not touched: connection lost before shutdown was sent/)
    // No fallback on a host that cannot be reached
    expect(fake.actions().filter((a) => a.startsWith('hv1'))).toEqual(['hv1 shutdown hv1-a'])
    const hv2 = r.hosts.find((h) => h.host === 'hv2')!
    expect(hv2.status).toBe('ok')
    expect(hv2.guests.map((g) => g.outcome)).toEqual(['stopped', 'stopped'])
    expect(JSON.parse(fake.hosts.get('hv1')!.files.get(savedListPath()) ?? '{}').entries).toHaveLength(2)
  })

  it('start: a guest whose start was sent is reported with an unknown state, the host unreachable', async () => {
    const { clock, transport, fake, ctx } = setup()
    // Suspended, so that the start is a restore, which is waited for (a boot is confirmed by its start's success).
    const stopped = await clock.runUntil(runStop([hostSpec('hv1')], ctx, { pollMs: 5000, action: 'suspend' }))
    expect(stopped.exitCode).toBe(0)
    // The fake restores at once; a guest that does not show up as running leaves the wait pending until the loss.
    const h = fake.hosts.get('hv1')!
    const realExec = h.exec.bind(h)
    h.exec = async (argv, o) => (argv[3] === 'start' ? { code: 0, stdout: '', stderr: '' } : realExec(argv, o))
    const p = runStart([hostSpec('hv1')], { ...ctx, command: 'start' }, { pollMs: 5000 })
    await clock.advance(1000)
    transport.lose('hv1')
    const r = await clock.runUntil(p)
    expect(r.exitCode).toBe(3)
    expect(r.hosts[0]?.status).toBe('unreachable')
    const errors = (r.hosts[0]?.guests ?? []).map((g) => g.error)
    expect(errors.some((e) => /^start requested, then the connection was lost: state unknown/.test(e ?? ''))).toBe(true)
  })
})
