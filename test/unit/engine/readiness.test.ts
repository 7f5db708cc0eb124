// Waiting for readiness on the fake clock: the probe repeats until it succeeds or the budget runs out.
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { waitUntilReady } from '../../../src/engine/readiness.js'
import type { Guest } from '../../../src/libvirt/types.js'
import type { ExecResult, HostSession } from '../../../src/ssh/transport.js'

const guest: Guest = {
  uri: 'qemu:///system',
  uuid: '0a1b2c3d-0000-4000-8000-000000000001',
  name: 'db1',
  state: 'running',
  persistent: true,
  managedSave: false,
}

/** A session whose probe starts succeeding at `readyAt` ms on the clock. */
function sessionReadyAt(clock: FakeClock, readyAt: number): HostSession & { calls: string[][] } {
  const calls: string[][] = []
  return {
    host: 'hv1',
    calls,
    exec: async (argv): Promise<ExecResult> => {
      calls.push([...argv])
      return clock.now() >= readyAt
        ? { code: 0, stdout: '{"return":{}}', stderr: '' }
        : { code: 1, stdout: '', stderr: 'error: Guest agent is not responding: QEMU guest agent is not connected\n' }
    },
    stream: () => {
      throw new Error('not used')
    },
    onClose: () => {},
    close: async () => {},
  }
}

describe('waitUntilReady', () => {
  it('a guest whose agent answers after 3 s is ready within one probe interval of it', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, 3000)
    const r = await clock.runUntil(waitUntilReady(session, guest, { probe: { kind: 'agent' }, timeoutMs: 10_000 }, clock), 60_000, 50)
    expect(r.ready).toBe(true)
    expect(r.waitedMs).toBeGreaterThanOrEqual(3000)
    expect(r.waitedMs).toBeLessThanOrEqual(3250)
    expect(session.calls[0]).toContain('qemu-agent-command')
  })

  it('a guest that never answers is not ready when the budget runs out, with the last error', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, Infinity)
    const r = await clock.runUntil(waitUntilReady(session, guest, { probe: { kind: 'agent' }, timeoutMs: 5000 }, clock), 60_000, 50)
    expect(r.ready).toBe(false)
    expect(r.waitedMs).toBe(5000)
    expect(r.lastError).toMatch(/not connected/)
  })

  it('probe none is ready at once without touching the host', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, Infinity)
    const r = await waitUntilReady(session, guest, { probe: { kind: 'none' }, timeoutMs: 5000 }, clock)
    expect(r).toEqual({ ready: true, waitedMs: 0, probes: 0 })
    expect(session.calls).toHaveLength(0)
  })

  it('an interrupt ends the wait, not ready', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, Infinity)
    const ac = new AbortController()
    const p = waitUntilReady(session, guest, { probe: { kind: 'agent' }, timeoutMs: 60_000 }, clock, ac.signal)
    await clock.advance(1000)
    ac.abort(new Error('SIGINT'))
    const r = await clock.runUntil(p, 10_000, 50)
    expect(r.ready).toBe(false)
    expect(r.lastError).toBe('interrupted')
  })
})
