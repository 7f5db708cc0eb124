import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { UnreachableError } from '../../../src/core/errors.js'
import { VirshDriver } from '../../../src/libvirt/driver.js'
import { mayReach, settlesOff, StateWatcher } from '../../../src/libvirt/watcher.js'
import type { HostSession } from '../../../src/ssh/transport.js'

function session() {
  const cbs: ((err?: Error) => void)[] = []
  const s: HostSession = {
    host: 'hv1',
    exec: async () => ({ code: 0, stdout: 'running\n', stderr: '' }),
    stream: () => ({ done: new Promise(() => {}), close: () => {} }),
    onClose: (cb) => cbs.push(cb),
    close: async () => {},
  }
  return { s, fire: (err?: Error) => cbs.forEach((cb) => cb(err)) }
}

const g = { uri: 'qemu:///system', uuid: 'u1', name: 'g1' }

describe('StateWatcher and a lost connection', () => {
  it('a lost connection ends every wait with "lost" at once, and later waits too', async () => {
    const clock = new FakeClock()
    const { s, fire } = session()
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    const waiting = w.waitFor(g, 'off', 300_000)
    await clock.advance(1000)
    fire(new UnreachableError('hv1', 'connection lost'))
    expect(await waiting).toBe('lost')
    expect(w.lostError?.message).toBe('hv1: connection lost')
    expect(await w.waitFor(g, 'off', 300_000)).toBe('lost')
    w.close()
  })

  it('a connection closed on purpose (no error) ends no wait', async () => {
    const clock = new FakeClock()
    const { s, fire } = session()
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    const waiting = w.waitFor(g, 'off', 2000)
    fire(undefined)
    await clock.advance(2500)
    expect(await waiting).toBe('timeout')
    expect(w.lostError).toBeUndefined()
    w.close()
  })
})

/** A session whose domstate answers come from `states` in order (the last one repeats) and whose event stream is driven by the test. */
function eventSession(states: string[], opts: { hold?: boolean } = {}) {
  let onLine: ((line: string) => void) | undefined
  const execs: string[][] = []
  const held: Array<() => void> = []
  const s: HostSession = {
    host: 'hv1',
    exec: async (argv) => {
      execs.push([...argv])
      const out = states[Math.min(execs.length - 1, states.length - 1)] as string
      if (opts.hold) await new Promise<void>((r) => held.push(r))
      return { code: 0, stdout: `${out}\n`, stderr: '' }
    },
    stream: (_argv, cb) => {
      onLine = cb
      return { done: new Promise(() => {}), close: () => {} }
    },
    onClose: () => {},
    close: async () => {},
  }
  const event = (name: string, what: string) => onLine?.(`2026-11-23 23:18:35.690+0000: event 'lifecycle' for domain '${name}': ${what}`)
  const release = () => held.splice(0).forEach((r) => r())
  return { s, execs, event, release }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

const g2 = { uri: 'qemu:///system', uuid: '0b8a6e4c-3f5e-4b9a-9d6a-2f1c8e7d5a10', name: 'g1' }

describe('StateWatcher and lifecycle events', () => {
  it('a Stopped event ends a wait for off at once, without another domstate round trip', async () => {
    const clock = new FakeClock()
    const { s, execs, event } = eventSession(['running'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'off', 300_000)
    await settle()
    expect(execs).toHaveLength(1) // the check made when the wait begins
    event('g1', 'Shutdown Finished after guest request')
    await settle()
    expect(execs).toHaveLength(1) // Shutdown cannot mean off yet: Stopped follows, and no read is made for it
    event('g1', 'Stopped Shutdown')
    expect(await waiting).toBe('reached')
    expect(clock.now()).toBe(0) // no poll was needed
    w.close()
  })

  it('a Stopped event for another guest, or on another URI, ends nothing', async () => {
    const clock = new FakeClock()
    const { s, event } = eventSession(['running'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'off', 1000)
    await settle()
    event('g10', 'Stopped Shutdown')
    event('g', 'Stopped Shutdown')
    await settle()
    await clock.advance(1000)
    expect(await waiting).toBe('timeout')
    w.close()
  })

  it('an event arriving while a state read is in flight is not lost: the state is read once more', async () => {
    const clock = new FakeClock()
    // The read in flight answers "shut off" (from before the start); the one after the Started event, "running".
    const { s, execs, event, release } = eventSession(['shut off', 'running'], { hold: true })
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'running', 300_000)
    await settle()
    expect(execs).toHaveLength(1)
    event('g1', 'Started Booted')
    await settle()
    expect(execs).toHaveLength(1) // not two reads at once
    release()
    await settle()
    expect(execs).toHaveLength(2)
    release()
    expect(await waiting).toBe('reached')
    expect(clock.now()).toBe(0)
    w.close()
  })

  it('a Crashed event is read (a guest kept crashed is off, and gets no Stopped); Suspended is not', async () => {
    const clock = new FakeClock()
    const { s, execs, event } = eventSession(['running', 'crashed'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'off', 300_000)
    await settle()
    expect(execs).toHaveLength(1)
    event('g1', 'Suspended Paused')
    await settle()
    expect(execs).toHaveLength(1)
    event('g1', 'Crashed Panicked')
    expect(await waiting).toBe('reached')
    expect(execs).toHaveLength(2)
    expect(clock.now()).toBe(0)
    w.close()
  })

  it('a wait for running reads on Started and Resumed only', async () => {
    const clock = new FakeClock()
    const { s, execs, event } = eventSession(['shut off', 'paused', 'running'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'running', 300_000)
    await settle()
    expect(execs).toHaveLength(1)
    event('g1', 'Defined Updated')
    event('g1', 'Suspended Paused')
    await settle()
    expect(execs).toHaveLength(1)
    event('g1', 'Started Booted')
    await settle()
    expect(execs).toHaveLength(2) // paused: not yet
    event('g1', 'Resumed Unpaused')
    expect(await waiting).toBe('reached')
    expect(execs).toHaveLength(3)
    w.close()
  })

  it('only Stopped settles a wait for off by itself', () => {
    expect(settlesOff('Stopped', 'off')).toBe(true)
    expect(settlesOff('Shutdown', 'off')).toBe(false)
    expect(settlesOff('Stopped', 'running')).toBe(false)
    expect(settlesOff('Started', 'running')).toBe(false)
    expect(mayReach('Shutdown', 'off')).toBe(false)
    expect(mayReach('Suspended', 'off')).toBe(false)
    expect(mayReach('Crashed', 'off')).toBe(true)
    expect(mayReach('Started', 'running')).toBe(true)
    expect(mayReach('Resumed', 'running')).toBe(true)
    expect(mayReach('Suspended', 'running')).toBe(false)
  })
})

describe('StateWatcher and a silent event stream', () => {
  it('names a URI whose stream delivered no event while a wait ended only at the poll', async () => {
    const clock = new FakeClock()
    const { s, execs } = eventSession(['running', 'shut off'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'off', 300_000)
    await settle()
    expect(execs).toHaveLength(1) // the check made when the wait begins: still running
    expect(w.silentStreams()).toEqual([])
    await clock.advance(5000)
    expect(await waiting).toBe('reached')
    expect(execs).toHaveLength(2) // the poll's read
    expect(w.silentStreams()).toEqual([{ uri: g2.uri, endedByPoll: 1, pollMs: 5000 }])
    w.close()
  })

  it('a stream that delivered any event is not silent, even if a wait still ended at the poll', async () => {
    const clock = new FakeClock()
    const { s, event } = eventSession(['running', 'shut off'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    const waiting = w.waitFor(g2, 'off', 300_000)
    await settle()
    event('g1', 'Shutdown Finished after guest request') // heard, but the Stopped that follows is lost
    await clock.advance(5000)
    expect(await waiting).toBe('reached')
    expect(w.silentStreams()).toEqual([])
    w.close()
  })

  it('a wait that the first check ends, or one that times out, says nothing about the stream', async () => {
    const clock = new FakeClock()
    const { s } = eventSession(['shut off', 'running'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start([g2.uri])
    expect(await w.waitFor(g2, 'off', 300_000)).toBe('reached')
    const waiting = w.waitFor(g2, 'off', 12_000)
    await clock.advance(12_000)
    expect(await waiting).toBe('timeout')
    expect(w.silentStreams()).toEqual([])
    w.close()
  })

  it('a wait ended by the poll on a URI without a stream counts against no stream', async () => {
    const clock = new FakeClock()
    const { s } = eventSession(['running', 'shut off'])
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    w.start(['qemu:///session'])
    const waiting = w.waitFor(g2, 'off', 300_000)
    await clock.advance(5000)
    expect(await waiting).toBe('reached')
    expect(w.silentStreams()).toEqual([])
    w.close()
  })
})
