// Migrations on the fake clock with scripted hosts: concurrency bounds, timeout actions, interrupts, refusals.
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { runMigrations, type MigrationJob, type MigrationLimits } from '../../../src/engine/migrate.js'
import type { ExecResult, HostSession } from '../../../src/ssh/transport.js'

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
const job = (i: number, source = 'hv1', destination = 'hv2'): MigrationJob => ({
  source,
  destination,
  uri: 'qemu:///system',
  uuid: uuid(i),
  name: `g${i}`,
  options: { destinationUri: `qemu+ssh://root@${destination}/system` },
})
const limits: MigrationLimits = { perSource: 2, perDestination: 2, timeoutMs: 60_000, onTimeout: 'abort', progressMs: 1000 }

/**
 * Hosts where a migration takes `durationMs` (Infinity: never ends until domjobabort). Its job on the source
 * begins `jobAfterMs` after virsh migrate starts (virsh first connects to the destination): until then
 * domjobabort finds no job, as libvirt answers.
 */
function fleet(clock: FakeClock, durationMs: (uuid: string) => number, jobAfterMs = 0) {
  const running = new Map<string, { end: () => void; aborted: boolean; since: number }>()
  let inFlight = 0
  const log: string[] = []
  const stats = { peak: 0, perDest: new Map<string, number>(), peakPerDest: new Map<string, number>() }
  const session = (host: string): HostSession => ({
    host,
    exec: async (argv): Promise<ExecResult> => {
      const cmd = argv[3]
      const id = argv.find((a) => /^0{8}-/.test(a)) as string
      if (cmd === 'migrate') {
        const dest = (argv[argv.length - 1] as string).replace(/^qemu\+ssh:\/\/root@|\/system$/g, '')
        inFlight++
        stats.peak = Math.max(stats.peak, inFlight)
        stats.perDest.set(dest, (stats.perDest.get(dest) ?? 0) + 1)
        stats.peakPerDest.set(dest, Math.max(stats.peakPerDest.get(dest) ?? 0, stats.perDest.get(dest) ?? 0))
        log.push(`start ${id.slice(-2)} at ${clock.now()}`)
        const state = { end: () => {}, aborted: false, since: clock.now() }
        running.set(id, state)
        const d = durationMs(id)
        await new Promise<void>((resolve) => {
          state.end = resolve
          if (Number.isFinite(d)) void clock.sleep(d).then(resolve)
        })
        running.delete(id)
        inFlight--
        stats.perDest.set(dest, (stats.perDest.get(dest) ?? 1) - 1)
        return state.aborted
          ? { code: 1, stdout: '', stderr: 'error: operation aborted: migration out job: canceled by client\n' }
          : { code: 0, stdout: '', stderr: '' }
      }
      if (cmd === 'domjobabort') {
        const r = running.get(id)
        if (r && clock.now() < r.since + jobAfterMs) {
          log.push(`no job ${id.slice(-2)} at ${clock.now()}`)
          return { code: 1, stdout: '', stderr: 'error: Requested operation is not valid: no job is active on the domain\n' }
        }
        if (r) {
          r.aborted = true
          r.end()
        }
        log.push(`abort ${id.slice(-2)} at ${clock.now()}`)
        return { code: 0, stdout: '', stderr: '' }
      }
      if (cmd === 'domjobinfo' && argv.includes('--completed'))
        return { code: 0, stdout: 'Job type:         Completed\nTotal downtime:   37           ms\nData total:       96.000 MiB\n', stderr: '' }
      if (cmd === 'domjobinfo') return { code: 0, stdout: 'Job type: Unbounded\nData processed:   48.000 MiB\nData total:       96.000 MiB\n', stderr: '' }
      return { code: 1, stdout: '', stderr: `unexpected ${argv.join(' ')}` }
    },
    stream: () => {
      throw new Error('unused')
    },
    onClose: () => {},
    close: async () => {},
  })
  return { hooks: { session: async (h: string) => session(h) }, log, stats }
}

describe('runMigrations', () => {
  it('moves every guest, at most 2 out of a source and 2 into a destination at once, with downtime and size', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, () => 3000)
    const jobs = [job(1), job(2), job(3), job(4, 'hv1', 'hv3'), job(5, 'hv4', 'hv2')]
    const results = await clock.runUntil(runMigrations(jobs, limits, f.hooks, clock), 120_000, 100)
    expect(results.map((r) => r.outcome)).toEqual(['migrated', 'migrated', 'migrated', 'migrated', 'migrated'])
    expect(results[0]).toMatchObject({ downtimeMs: 37, bytes: 96 * 1024 * 1024 })
    expect(Math.max(...f.stats.peakPerDest.values())).toBeLessThanOrEqual(2)
    expect(f.stats.peak).toBeLessThanOrEqual(3) // 2 from hv1 + 1 from hv4
  })

  it("a migration's duration counts from its start, not from when it was queued behind the limits", async () => {
    const clock = new FakeClock()
    const f = fleet(clock, () => 3000)
    const results = await clock.runUntil(runMigrations([job(1), job(2), job(3)], { ...limits, perSource: 1 }, f.hooks, clock), 120_000, 100)
    expect(f.log).toEqual(['start 01 at 0', 'start 02 at 3000', 'start 03 at 6000'])
    expect(results.map((r) => r.durationMs)).toEqual([3000, 3000, 3000])
  })

  it('a migration past its timeout is aborted and the guest reported still on its source', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, (id) => (id === uuid(2) ? Infinity : 1000))
    const results = await clock.runUntil(runMigrations([job(1), job(2)], { ...limits, timeoutMs: 10_000 }, f.hooks, clock), 60_000, 100)
    expect(results[0]?.outcome).toBe('migrated')
    expect(results[1]).toMatchObject({ outcome: 'timeout', error: 'not finished within 10s: aborted, still on hv1' })
    expect(f.log).toContain('abort 02 at 10000')
  })

  it('with onTimeout suspend, libvirt is asked to suspend the guest at the timeout instead', async () => {
    const clock = new FakeClock()
    const seen: string[][] = []
    const f = fleet(clock, () => 1000)
    const hooks = {
      session: async (h: string) => {
        const s = await f.hooks.session(h)
        return { ...s, exec: (argv: readonly string[], o?: object) => (seen.push([...argv]), s.exec(argv, o)) }
      },
    }
    await clock.runUntil(runMigrations([job(1)], { ...limits, timeoutMs: 90_000, onTimeout: 'suspend' }, hooks, clock), 60_000, 100)
    expect(seen.find((a) => a[3] === 'migrate')).toEqual(expect.arrayContaining(['--timeout', '90', '--timeout-suspend']))
  })

  it('Ctrl-C aborts in-flight migrations and leaves queued guests untouched', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, () => Infinity)
    const ac = new AbortController()
    const p = runMigrations([job(1), job(2), job(3)], { ...limits, perSource: 2 }, f.hooks, clock, ac.signal)
    await clock.advance(2000)
    ac.abort(new Error('SIGINT'))
    const results = await clock.runUntil(p, 10_000, 100)
    expect(results.map((r) => r.outcome)).toEqual(['interrupted', 'interrupted', 'interrupted'])
    expect(results[2]?.error).toMatch(/before its turn/)
    expect(f.log.filter((l) => l.startsWith('abort'))).toHaveLength(2)
  })

  it('Ctrl-C before the source has a job (virsh still connecting to the destination): the abort is asked again until it lands', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, () => Infinity, 1200)
    const ac = new AbortController()
    const p = runMigrations([job(1)], limits, f.hooks, clock, ac.signal)
    await clock.advance(300)
    ac.abort(new Error('SIGINT'))
    const results = await clock.runUntil(p, 10_000, 50)
    expect(results[0]).toMatchObject({ outcome: 'interrupted', error: expect.stringMatching(/^migration aborted \(error: operation aborted/) })
    expect(f.log).toEqual(['start 01 at 0', 'no job 01 at 300', 'no job 01 at 550', 'no job 01 at 800', 'no job 01 at 1050', 'abort 01 at 1300'])
  })

  it('a timeout before the job exists is retried the same way; the abort stops once the migrate has returned', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, (id) => (id === uuid(1) ? Infinity : 600), 500)
    const results = await clock.runUntil(runMigrations([job(1), job(2)], { ...limits, timeoutMs: 400 }, f.hooks, clock), 10_000, 50)
    expect(results.map((r) => r.outcome)).toEqual(['timeout', 'migrated']) // 02 finished at 600, before its abort could land
    expect(f.log.filter((l) => l.includes(' 01 '))).toEqual(['start 01 at 0', 'no job 01 at 400', 'abort 01 at 650'])
    expect(f.log.filter((l) => l.includes(' 02 '))).toEqual(['start 02 at 0', 'no job 02 at 400'])
  })

  it('a timeout and then a Ctrl-C while the abort is still being asked share one loop: one domjobabort every 250 ms', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, () => Infinity, 1200)
    const ac = new AbortController()
    const p = runMigrations([job(1)], { ...limits, timeoutMs: 300 }, f.hooks, clock, ac.signal)
    await clock.advance(400)
    ac.abort(new Error('SIGINT'))
    const results = await clock.runUntil(p, 10_000, 50)
    expect(results[0]?.outcome).toBe('interrupted')
    expect(f.log).toEqual(['start 01 at 0', 'no job 01 at 300', 'no job 01 at 550', 'no job 01 at 800', 'no job 01 at 1050', 'abort 01 at 1300'])
  })

  it('a destination that went into maintenance since planning is refused right before the move', async () => {
    const clock = new FakeClock()
    const f = fleet(clock, () => 1000)
    const hooks = { ...f.hooks, destinationUsable: async (d: string) => (d === 'hv3' ? 'in maintenance (drained by run 2026-11-26T01:00)' : undefined) }
    const results = await clock.runUntil(runMigrations([job(1), job(2, 'hv1', 'hv3')], limits, hooks, clock), 60_000, 100)
    expect(results.map((r) => r.outcome)).toEqual(['migrated', 'destination-refused'])
    expect(f.log.some((l) => l.startsWith('start 02'))).toBe(false)
  })
})
