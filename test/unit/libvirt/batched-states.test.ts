import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { VirshDriver } from '../../../src/libvirt/driver.js'
import { domstatesArgv, parseDomstates } from '../../../src/libvirt/virsh.js'
import { StateWatcher } from '../../../src/libvirt/watcher.js'
import type { ExecResult, HostSession } from '../../../src/ssh/transport.js'
import { A, B, C, URI } from '../../support/guest-ids.js'

describe('domstatesArgv and parseDomstates', () => {
  it('one virsh script reads several guests between markers; an empty section is a failed read; cut output throws', () => {
    expect(domstatesArgv(URI, [A, B])).toEqual(['virsh', '-c', URI, `echo @@${A}; domstate ${A}; echo @@${B}; domstate ${B}; echo @@end`])
    expect(() => domstatesArgv(URI, ['x; reboot'])).toThrow(/not a UUID/)
    // as virsh 9 prints it when B does not exist (its error goes to stderr)
    const out = `@@${A}\nshut off (shutdown)\n\n@@${B}\n\n@@${C}\nrunning\n\n@@end\n`
    expect(parseDomstates(out, [A, B, C])).toEqual(
      new Map([
        [A, 'shut off'],
        [B, 'failed'],
        [C, 'running'],
      ]),
    )
    expect(() => parseDomstates(`@@${A}\nrunning\n`, [A])).toThrow(/ended early/)
  })
})

/** A session answering domstate (alone or as a script) from `states` (a missing UUID: no such domain); execs are held until released when hold is set. */
function stateSession(states: Map<string, string>, opts: { hold?: boolean; scriptFails?: boolean } = {}) {
  const execs: string[][] = []
  const held: Array<() => void> = []
  const one = (u: string) => states.get(u)
  const s: HostSession = {
    host: 'hv1',
    exec: async (argv): Promise<ExecResult> => {
      execs.push([...argv])
      if (opts.hold) await new Promise<void>((r) => held.push(r))
      const sub = argv[3] as string
      if (sub === 'domstate') {
        const st = one(argv[4] as string)
        return st === undefined ? { code: 1, stdout: '', stderr: `error: failed to get domain '${argv[4]}'\n` } : { code: 0, stdout: `${st}\n\n`, stderr: '' }
      }
      if (opts.scriptFails) return { code: 1, stdout: '', stderr: 'error: failed to connect to the hypervisor\n' }
      let stdout = ''
      for (const part of sub.split('; ')) {
        const [cmd, arg] = part.split(' ') as [string, string]
        if (cmd === 'echo') stdout += `${arg}\n`
        else if (one(arg) !== undefined) stdout += `${one(arg)}\n\n`
      }
      return { code: 0, stdout, stderr: '' }
    },
    stream: () => ({ done: new Promise(() => {}), close: () => {} }),
    onClose: () => {},
    close: async () => {},
  }
  return { s, execs, release: () => held.splice(0).forEach((r) => r()) }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}
const guest = (u: string, n: number) => ({ uri: URI, uuid: u, name: `g${n}` })

describe('StateWatcher batches its state reads', () => {
  it('the checks of waits begun together are one exec, and each wait gets its own guest state', async () => {
    const clock = new FakeClock()
    const { s, execs } = stateSession(
      new Map([
        [A, 'shut off'],
        [B, 'running'],
        [C, 'shut off (shutdown)'],
      ]),
    )
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    const waits = [A, B, C].map((u, i) => w.waitFor(guest(u, i), 'off', 1000))
    await settle()
    expect(execs).toEqual([domstatesArgv(URI, [A, B, C])])
    await clock.advance(1000)
    expect(await Promise.all(waits)).toEqual(['reached', 'timeout', 'reached'])
    w.close()
  })

  it('reads asked for while an exec is in flight wait for it, then go together in the next', async () => {
    const clock = new FakeClock()
    const { s, execs, release } = stateSession(
      new Map([
        [A, 'running'],
        [B, 'shut off'],
        [C, 'shut off'],
      ]),
      { hold: true },
    )
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    const first = w.waitFor(guest(A, 1), 'off', 1000)
    await settle()
    const later = [B, C].map((u, i) => w.waitFor(guest(u, i + 2), 'off', 1000))
    await settle()
    expect(execs).toEqual([['virsh', '-c', URI, 'domstate', A]]) // a lone read is a plain domstate
    release()
    await settle()
    expect(execs[1]).toEqual(domstatesArgv(URI, [B, C]))
    release()
    expect(await Promise.all(later)).toEqual(['reached', 'reached'])
    await clock.advance(1000)
    expect(await first).toBe('timeout')
    w.close()
  })

  it('a guest whose read failed in the script is read alone: a guest that no longer exists is off', async () => {
    const clock = new FakeClock()
    const { s, execs } = stateSession(new Map([[A, 'running']]))
    const w = new StateWatcher(new VirshDriver(s), clock, 5000)
    const waits = [w.waitFor(guest(A, 1), 'off', 1000), w.waitFor(guest(B, 2), 'off', 1000)]
    await settle()
    expect(execs).toEqual([domstatesArgv(URI, [A, B]), ['virsh', '-c', URI, 'domstate', B]])
    await clock.advance(1000)
    expect(await Promise.all(waits)).toEqual(['timeout', 'reached'])
    w.close()
  })

  it('when the script fails as a whole, every guest is read alone', async () => {
    const { s, execs } = stateSession(
      new Map([
        [A, 'running'],
        [B, 'shut off'],
      ]),
      { scriptFails: true },
    )
    const states = await new VirshDriver(s).states(URI, [A, B])
    expect(states).toEqual(
      new Map([
        [A, 'running'],
        [B, 'shut off'],
      ]),
    )
    expect(execs.slice(1).sort()).toEqual([
      ['virsh', '-c', URI, 'domstate', A],
      ['virsh', '-c', URI, 'domstate', B],
    ])
  })
})
