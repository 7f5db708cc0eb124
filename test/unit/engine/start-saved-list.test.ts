// A start whose saved list cannot be shortened afterwards (read-only or full state dir on the host): the guests that
// started keep their outcome in the report, with a short reason, and the stale entries stay listed.

import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { EventBus } from '../../../src/core/events.js'
import { runStart } from '../../../src/engine/start.js'
import { runStop } from '../../../src/engine/stop.js'
import { savedListPath, WRITE_SCRIPT } from '../../../src/state/saved-list.js'
import { FakeTransport, hostSpec } from '../../support/fake-fleet.js'

describe('start, when the shortened list cannot be written', () => {
  it('reports every started guest with its outcome and a one-line error; the host is partial (exit 2)', async () => {
    const clock = new FakeClock()
    const transport = new FakeTransport(clock)
    const host = transport.addHost('hv1')
    const ctx = () => ({ transport, clock, bus: new EventBus(), runId: 'r1', command: 'x', check: false })
    host.addGuest({ name: 'a', shutdownDelayMs: 100 })
    host.addGuest({ name: 'b', shutdownDelayMs: 100 })
    host.addGuest({ name: 'c', shutdownDelayMs: 100 })
    await clock.runUntil(runStop([hostSpec('hv1')], ctx(), {}))
    host.guest('c').state = 'running'
    const listBefore = host.files.get(savedListPath())
    const exec = host.exec.bind(host)
    host.exec = async (argv, o) => (argv[2] === WRITE_SCRIPT ? { code: 1, stdout: '', stderr: 'mv: cannot move: Read-only file system\n' } : exec(argv, o))

    const r = await clock.runUntil(runStart([hostSpec('hv1')], ctx(), {}))

    const guests = r.hosts[0]?.guests ?? []
    expect(guests.map((g) => [g.name, g.outcome, g.finalState, g.inSavedList, g.ok])).toEqual([
      ['a', 'started', 'running', true, false],
      ['b', 'started', 'running', true, false],
      ['c', 'already-running', 'running', true, false],
    ])
    for (const g of guests) {
      expect(g.error).toBe(
        'running, but its saved-list entry could not be removed: hv1: could not write /var/lib/virtfleet/saved-guests.json: mv: cannot move: Read-only file system (exit 1)',
      )
    }
    expect(r.hosts[0]?.status).toBe('partial')
    expect(r.exitCode).toBe(2)
    expect(host.guest('a').state).toBe('running')
    expect(host.files.get(savedListPath())).toBe(listBefore)
  })
})
