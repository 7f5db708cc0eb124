// VirshDriver.start: the starts of one turn for one URI run from one shell, at once (STARTS_SCRIPT); each guest's
// result arrives with its own trailer as soon as its virsh ends; a guest the script gave no result for is started
// alone; each caller's signal lets only that caller go. The script itself runs in the real shell below.

import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConnectionLostError } from '../../../src/ssh/connect-errors.js'
import { RemoteError } from '../../../src/core/errors.js'
import { VirshDriver } from '../../../src/libvirt/driver.js'
import { startArgv, startsArgv, StartsOutput, STARTS_SCRIPT, type StartResult } from '../../../src/libvirt/virsh.js'
import type { ExecOptions, ExecResult, HostSession } from '../../../src/ssh/transport.js'
import { A, B, C, URI } from '../../support/guest-ids.js'

describe('startsArgv and StartsOutput', () => {
  it('one shell gets the URI, the bypass-cache word and the UUIDs; a non-UUID is refused', () => {
    expect(startsArgv(URI, [A, B])).toEqual(['sh', '-c', STARTS_SCRIPT, 'sh', URI, '', A, B])
    expect(startsArgv(URI, [A], { bypassCache: true })).toEqual(['sh', '-c', STARTS_SCRIPT, 'sh', URI, '--bypass-cache', A])
    expect(() => startsArgv(URI, [A, '$(reboot)'])).toThrow(/not a UUID/)
  })

  it('gives each guest the lines before its trailer, blank lines left out; a trailer for another UUID is output', () => {
    const out = new StartsOutput(new Set([A, B]))
    expect(out.push(`Domain 'a' started`)).toBeUndefined()
    expect(out.push('')).toBeUndefined()
    expect(out.push(`@@${A} 0`)).toEqual({ uuid: A, code: 0, output: `Domain 'a' started` })
    expect(out.push(`error: Failed to start domain 'b'`)).toBeUndefined()
    expect(out.push(`@@${C} 0`)).toBeUndefined()
    expect(out.push(`@@${B} 1`)).toEqual({ uuid: B, code: 1, output: `error: Failed to start domain 'b'\n@@${C} 0` })
    expect(out.push('@@end')).toBe('end')
  })

  it('runs every start at once in the real shell, each section whole, and bypass-cache reaches virsh', () => {
    // A virsh whose start of A waits until C's has begun (at most 10 s): run one after another, A would fail with 9.
    // The start of B fails.
    const dir = mkdtempSync(join(tmpdir(), 'vf-starts-'))
    writeFileSync(
      join(dir, 'virsh'),
      [
        '#!/bin/sh',
        `case $4 in ${A}) i=0; while [ ! -e "${dir}/c" ]; do i=$((i + 1)); [ $i -lt 200 ] || exit 9; sleep 0.05; done ;; ${C}) : >"${dir}/c" ;; esac`,
        `case $4 in ${B}) echo "error: Failed to start domain '$4'" >&2; echo "error: boom" >&2; exit 3 ;; esac`,
        `printf "Domain '%s' started (%s)\\n\\n" "$4" "$*"`,
        '',
      ].join('\n'),
    )
    chmodSync(join(dir, 'virsh'), 0o755)
    const argv = startsArgv(URI, [A, B, C], { bypassCache: true })
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } })
    expect(r.status).toBe(0)
    const out = new StartsOutput(new Set([A, B, C]))
    const results = r.stdout
      .split('\n')
      .map((l) => out.push(l))
      .filter((x) => x !== undefined)
    expect(results.at(-1)).toBe('end')
    const each = (results.slice(0, -1) as StartResult[]).sort((x, y) => x.uuid.localeCompare(y.uuid))
    expect(each).toEqual([
      { uuid: A, code: 0, output: `Domain '${A}' started (-c ${URI} start ${A} --bypass-cache)` },
      { uuid: B, code: 3, output: `error: Failed to start domain '${B}'\nerror: boom` },
      { uuid: C, code: 0, output: `Domain '${C}' started (-c ${URI} start ${C} --bypass-cache)` },
    ])
  })
})

/** A session answering a start wave as a stream (in the order of `finish`) and single starts as execs. */
function startSession(running: Set<string>, opts: { finish?: string[]; script?: 'cut' | 'lost' | 'hold' } = {}) {
  const execs: string[][] = []
  const signals: Array<AbortSignal | undefined> = []
  const one = (u: string): ExecResult =>
    running.has(u)
      ? { code: 1, stdout: '', stderr: `error: Failed to start domain '${u}'\nerror: Requested operation is not valid: domain is already running\n` }
      : { code: 0, stdout: `Domain '${u}' started\n\n`, stderr: '' }
  const s: HostSession = {
    host: 'hv1',
    exec: async (argv): Promise<ExecResult> => {
      execs.push([...argv])
      return one(argv[4] as string)
    },
    stream: (argv, onLine, o: ExecOptions = {}) => {
      execs.push([...argv])
      signals.push(o.signal)
      const uuids = argv.slice(6)
      const done = (async (): Promise<ExecResult> => {
        await new Promise((r) => setImmediate(r))
        if (opts.script === 'lost') throw new ConnectionLostError('hv1', 'network cut', { commandSent: true })
        if (opts.script === 'hold') await new Promise(() => {})
        for (const u of opts.finish ?? uuids) {
          if (opts.script === 'cut' && u === uuids[uuids.length - 1]) break
          const r = one(u)
          for (const l of `${r.stdout}${r.stderr}`.split('\n')) onLine(l)
          onLine(`@@${u} ${r.code}`)
          await new Promise((r) => setImmediate(r))
        }
        if (opts.script !== 'cut') onLine('@@end')
        return { code: 0, stdout: '', stderr: '' }
      })()
      return { done, close: () => {} }
    },
    onClose: () => {},
    close: async () => {},
  }
  return { s, execs, signals }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

describe('VirshDriver.start sends the starts of one turn together', () => {
  it('three starts made together are one exec; each caller is answered when its own trailer arrives', async () => {
    const { s, execs } = startSession(new Set(), { finish: [C, A, B] })
    const d = new VirshDriver(s, { bypassCache: true })
    const order: string[] = []
    await Promise.all([A, B, C].map((u) => d.start(URI, u).then(() => order.push(u))))
    expect(execs).toEqual([startsArgv(URI, [A, B, C], { bypassCache: true })])
    expect(order).toEqual([C, A, B])
  })

  it('a single start is the plain command', async () => {
    const { s, execs } = startSession(new Set())
    await new VirshDriver(s, { bypassCache: true }).start(URI, A)
    expect(execs).toEqual([startArgv(URI, A, { bypassCache: true })])
  })

  it('a failed start rejects that caller with its own command, exit code and error; the others succeed', async () => {
    const { s, execs } = startSession(new Set([B]))
    const d = new VirshDriver(s)
    const results = await Promise.allSettled([A, B, C].map((u) => d.start(URI, u)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const err = (results[1] as PromiseRejectedResult).reason as RemoteError
    expect(err).toBeInstanceOf(RemoteError)
    expect(err.exitCode).toBe(1)
    expect(err.command).toBe(`virsh -c ${URI} start ${B}`)
    expect(err.message).toMatch(/domain is already running/)
    expect(execs).toHaveLength(1)
  })

  it('a guest the script gave no result for (cut output) is started alone', async () => {
    const { s, execs } = startSession(new Set(), { script: 'cut' })
    const d = new VirshDriver(s)
    await Promise.all([A, B, C].map((u) => d.start(URI, u)))
    expect(execs).toEqual([startsArgv(URI, [A, B, C]), startArgv(URI, C)])
  })

  it('a lost connection fails every caller with it (nothing is started again)', async () => {
    const { s, execs } = startSession(new Set(), { script: 'lost' })
    const d = new VirshDriver(s)
    const results = await Promise.allSettled([A, B].map((u) => d.start(URI, u)))
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionLostError)
    expect(execs).toHaveLength(1)
  })

  it("one caller's signal lets that caller go; the script's signal fires when none waits", async () => {
    const { s, signals } = startSession(new Set(), { script: 'hold' })
    const d = new VirshDriver(s)
    const a = new AbortController()
    const b = new AbortController()
    const pa = d.start(URI, A, a.signal)
    const pb = d.start(URI, B, b.signal)
    await settle()
    a.abort()
    await expect(pa).rejects.toThrow(/aborted/)
    expect(signals[0]?.aborted).toBe(false)
    b.abort()
    await expect(pb).rejects.toThrow(/aborted/)
    expect(signals[0]?.aborted).toBe(true)
  })

  it('starts for different URIs go in different execs', async () => {
    const { s, execs } = startSession(new Set())
    const d = new VirshDriver(s)
    await Promise.all([d.start(URI, A), d.start('qemu:///session', B), d.start(URI, C)])
    expect(execs).toEqual([startsArgv(URI, [A, C]), startArgv('qemu:///session', B)])
  })
})
