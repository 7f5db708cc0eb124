// Waiting for readiness on the fake clock: the probe repeats until it succeeds or the budget runs out.
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { waitUntilReady } from '../../../src/engine/readiness.js'
import type { Guest } from '../../../src/libvirt/types.js'
import type { ExecResult, HostSession } from '../../../src/ssh/transport.js'
import { isReadyPoll, runReadyPoll } from '../../support/ready-poll.js'

const guest: Guest = {
  uri: 'qemu:///system',
  uuid: '0a1b2c3d-0000-4000-8000-000000000001',
  name: 'db1',
  state: 'running',
  persistent: true,
  managedSave: false,
}

/** A session whose probe starts succeeding at `readyAt` ms on the clock; it runs the host-side poll as a host's shell would. */
function sessionReadyAt(clock: FakeClock, readyAt: number): HostSession & { calls: string[][]; execs: number } {
  const calls: string[][] = []
  return {
    host: 'hv1',
    calls,
    execs: 0,
    exec(argv, options): Promise<ExecResult> {
      this.execs++
      expect(isReadyPoll(argv)).toBe(true)
      return runReadyPoll(
        argv,
        async (probe) => {
          calls.push(probe)
          return clock.now() >= readyAt
            ? { code: 0, stdout: '{"return":{}}', stderr: '' }
            : { code: 1, stdout: '', stderr: 'error: Guest agent is not responding: QEMU guest agent is not connected\n' }
        },
        clock,
        options?.signal,
      )
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

  it('guests of one host share its poll rounds: one exec per round of up to a second, not one per probe', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, 3000)
    const other = { ...guest, uuid: '0a1b2c3d-0000-4000-8000-000000000002', name: 'db2' }
    const wait = (g: Guest) => waitUntilReady(session, g, { probe: { kind: 'agent' }, timeoutMs: 10_000 }, clock)
    const both = Promise.all([wait(guest), wait(other)])
    const [a, b] = await clock.runUntil(both, 60_000, 50)
    expect(a.ready && b.ready).toBe(true)
    expect(a.waitedMs).toBeLessThanOrEqual(3100)
    expect(b.waitedMs).toBeLessThanOrEqual(3100)
    // 31 probes each (every 100 ms from 0 to 3000) in 3 or 4 execs
    expect(session.calls.length).toBeGreaterThanOrEqual(60)
    expect(session.execs).toBeLessThanOrEqual(4)
  })

  it('a guest that starts waiting during a round cuts it short: it is probed at once, with the others', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, 0)
    const first = waitUntilReady(session, { ...guest, uuid: '0a1b2c3d-0000-4000-8000-00000000000a' }, { probe: { kind: 'agent' }, timeoutMs: 10_000 }, clock)
    const r1 = await clock.runUntil(first, 60_000, 50)
    expect(r1).toMatchObject({ ready: true, waitedMs: 0, probes: 1 })
    const late = sessionReadyAt(clock, 1500)
    const a = waitUntilReady(late, guest, { probe: { kind: 'agent' }, timeoutMs: 10_000 }, clock)
    await clock.advance(300)
    const b = waitUntilReady(late, { ...guest, uuid: '0a1b2c3d-0000-4000-8000-00000000000b' }, { probe: { kind: 'agent' }, timeoutMs: 10_000 }, clock)
    const [ra, rb] = await clock.runUntil(Promise.all([a, b]), 60_000, 50)
    expect(ra.waitedMs).toBe(1500)
    expect(rb.waitedMs).toBe(1200)
    // round 1 (a alone) cut at 300 ms by b; round 2 (a and b) passes 300..1200 ms; round 3 from 1300 ms sees both
    expect(late.execs).toBe(3)
    expect(late.calls.filter((c) => c.includes('qemu-agent-command')).length).toBe(4 + 2 * 10 + 2 * 3)
  })

  it('a lost connection during a round fails the waits with its error', async () => {
    const clock = new FakeClock()
    const session = sessionReadyAt(clock, Infinity)
    session.exec = async () => {
      throw new Error('connection lost')
    }
    await expect(waitUntilReady(session, guest, { probe: { kind: 'agent' }, timeoutMs: 5000 }, clock)).rejects.toThrow(/connection lost/)
  })
})
