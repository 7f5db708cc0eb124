// VirshDriver.shutdown: the requests of one turn for one URI go out as one virsh script; a request the script did not
// confirm is sent again alone (its own exit code and error); each caller's signal lets only that caller go.

import { describe, expect, it } from 'vitest'
import { ConnectionLostError } from '../../../src/ssh/connect-errors.js'
import { RemoteError } from '../../../src/core/errors.js'
import { VirshDriver } from '../../../src/libvirt/driver.js'
import { parseShutdowns, shutdownArgv, shutdownsArgv } from '../../../src/libvirt/virsh.js'
import type { ExecOptions, ExecResult, HostSession } from '../../../src/ssh/transport.js'
import { A, B, C, URI } from '../../support/guest-ids.js'

describe('shutdownsArgv and parseShutdowns', () => {
  it('one virsh script asks several guests between markers; a section without the confirmation failed; cut output throws', () => {
    expect(shutdownsArgv(URI, [A, B])).toEqual(['virsh', '-c', URI, `echo @@${A}; shutdown ${A}; echo @@${B}; shutdown ${B}; echo @@end`])
    expect(shutdownsArgv(URI, [A], { mode: 'acpi' })).toEqual(['virsh', '-c', URI, `echo @@${A}; shutdown ${A} --mode acpi; echo @@end`])
    expect(() => shutdownsArgv(URI, ['x; reboot'])).toThrow(/not a UUID/)
    // as virsh 9.0 prints it when B is not running (its error goes to stderr, an empty line to stdout)
    const out = `@@${A}\nDomain '${A}' is being shutdown\n\n@@${B}\n\n@@${C}\nDomain '${C}' is being shutdown\n\n@@end\n`
    expect(parseShutdowns(out, [A, B, C])).toEqual(
      new Map([
        [A, 'ok'],
        [B, 'failed'],
        [C, 'ok'],
      ]),
    )
    expect(() => parseShutdowns(`@@${A}\nDomain '${A}' is being shutdown\n`, [A])).toThrow(/ended early/)
  })
})

/** A session answering shutdown (alone or as a script): guests in `running` are confirmed, others fail; execs are held while hold is set. */
function shutdownSession(running: Set<string>, opts: { hold?: boolean; script?: 'fails' | 'lost' } = {}) {
  const execs: string[][] = []
  const signals: Array<AbortSignal | undefined> = []
  const held: Array<() => void> = []
  const one = (u: string): ExecResult =>
    running.has(u)
      ? { code: 0, stdout: `Domain '${u}' is being shutdown\n\n`, stderr: '' }
      : { code: 1, stdout: '', stderr: `error: Failed to shutdown domain '${u}'\nerror: Requested operation is not valid: domain is not running\n` }
  const s: HostSession = {
    host: 'hv1',
    exec: async (argv, o: ExecOptions = {}): Promise<ExecResult> => {
      execs.push([...argv])
      signals.push(o.signal)
      if (opts.hold) await new Promise<void>((r) => held.push(r))
      const sub = argv[3] as string
      if (sub === 'shutdown') return one(argv[4] as string)
      if (opts.script === 'lost') throw new ConnectionLostError('hv1', 'network cut', { commandSent: true })
      if (opts.script === 'fails') return { code: 1, stdout: '', stderr: 'error: failed to connect to the hypervisor\n' }
      let stdout = ''
      for (const part of sub.split('; ')) {
        const [cmd, arg] = part.split(' ') as [string, string]
        stdout += cmd === 'echo' ? `${arg}\n` : one(arg).code === 0 ? one(arg).stdout : '\n'
      }
      return { code: 0, stdout, stderr: '' }
    },
    stream: () => ({ done: new Promise(() => {}), close: () => {} }),
    onClose: () => {},
    close: async () => {},
  }
  return { s, execs, signals, release: () => held.splice(0).forEach((r) => r()) }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

describe('VirshDriver.shutdown sends the requests of one turn together', () => {
  it('three requests made together are one exec; each caller is answered', async () => {
    const { s, execs } = shutdownSession(new Set([A, B, C]))
    const d = new VirshDriver(s)
    await Promise.all([A, B, C].map((u) => d.shutdown(URI, u)))
    expect(execs).toEqual([shutdownsArgv(URI, [A, B, C])])
  })

  it('a single request is the plain command, with its mode', async () => {
    const { s, execs } = shutdownSession(new Set([A]))
    await new VirshDriver(s, { mode: 'agent' }).shutdown(URI, A)
    expect(execs).toEqual([shutdownArgv(URI, A, { mode: 'agent' })])
  })

  it('a request the script did not confirm is sent again alone and fails with its own error; the others succeed', async () => {
    const { s, execs } = shutdownSession(new Set([A, C]))
    const d = new VirshDriver(s)
    const results = await Promise.allSettled([A, B, C].map((u) => d.shutdown(URI, u)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const err = (results[1] as PromiseRejectedResult).reason
    expect(err).toBeInstanceOf(RemoteError)
    expect(String(err.message)).toMatch(/domain is not running/)
    expect(execs).toEqual([shutdownsArgv(URI, [A, B, C]), shutdownArgv(URI, B)])
  })

  it('when the script itself fails, every guest is asked alone', async () => {
    const { s, execs } = shutdownSession(new Set([A, B]), { script: 'fails' })
    const d = new VirshDriver(s)
    await Promise.all([A, B].map((u) => d.shutdown(URI, u)))
    expect(execs).toEqual([shutdownsArgv(URI, [A, B]), shutdownArgv(URI, A), shutdownArgv(URI, B)])
  })

  it('a lost connection fails every caller with it (nothing is asked again)', async () => {
    const { s, execs } = shutdownSession(new Set([A, B]), { script: 'lost' })
    const d = new VirshDriver(s)
    const results = await Promise.allSettled([A, B].map((u) => d.shutdown(URI, u)))
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionLostError)
    expect(execs).toHaveLength(1)
  })

  it("one caller's signal lets that caller go; the script runs on for the others and stops when none waits", async () => {
    const { s, execs, signals, release } = shutdownSession(new Set([A, B]), { hold: true })
    const d = new VirshDriver(s)
    const a = new AbortController()
    const b = new AbortController()
    const pa = d.shutdown(URI, A, a.signal)
    const pb = d.shutdown(URI, B, b.signal)
    await settle()
    expect(execs).toEqual([shutdownsArgv(URI, [A, B])])
    a.abort()
    await expect(pa).rejects.toThrow(/aborted/)
    expect(signals[0]?.aborted).toBe(false)
    b.abort()
    await expect(pb).rejects.toThrow(/aborted/)
    expect(signals[0]?.aborted).toBe(true)
    release()
  })

  it('a caller whose signal fired before the script was sent is left out of it', async () => {
    const { s, execs } = shutdownSession(new Set([A, B, C]))
    const d = new VirshDriver(s)
    const b = new AbortController()
    const ps = [d.shutdown(URI, A), d.shutdown(URI, B, b.signal), d.shutdown(URI, C)]
    b.abort()
    const results = await Promise.allSettled(ps)
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(execs).toEqual([shutdownsArgv(URI, [A, C])])
  })

  it('requests for different URIs go in different scripts', async () => {
    const { s, execs } = shutdownSession(new Set([A, B, C]))
    const d = new VirshDriver(s)
    await Promise.all([d.shutdown(URI, A), d.shutdown('qemu:///session', B), d.shutdown(URI, C)])
    expect(execs).toEqual([shutdownsArgv(URI, [A, C]), shutdownArgv('qemu:///session', B)])
  })
})
