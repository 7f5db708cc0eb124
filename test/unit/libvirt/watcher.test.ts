import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { UnreachableError } from '../../../src/core/errors.js'
import { VirshDriver } from '../../../src/libvirt/driver.js'
import { StateWatcher } from '../../../src/libvirt/watcher.js'
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
