import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FleetEvent } from '../../../src/core/events.js'
import { attachListrTree } from '../../../src/render/listr-tree.js'
import { EventBus, events, fleet, play, runReport } from './scenario.js'

function sink(opts: { throwOnWrite?: boolean } = {}): { stream: NodeJS.WriteStream; text: () => string } {
  let out = ''
  const w = new Writable({
    write(chunk, _enc, cb) {
      if (opts.throwOnWrite) throw new Error('EPIPE')
      out += String(chunk)
      cb()
    },
  })
  return { stream: w as unknown as NodeJS.WriteStream, text: () => out }
}

interface Serialized {
  event: string
  data: unknown
  task?: { title?: string; hasFailed?: boolean; isCompleted?: boolean; isSkipped?: boolean }
}

/** The last state listr2's test renderer reported for the task whose title starts with `prefix`. */
function finalState(output: string, prefix: string): string | undefined {
  const states = output
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Serialized)
    .filter((e) => e.event === 'STATE' && e.task?.title?.startsWith(prefix))
  return states.at(-1)?.data as string | undefined
}

function titles(output: string): string[] {
  return output
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Serialized)
    .filter((e) => e.event === 'TITLE')
    .map((e) => e.data as string)
}

const race = (p: Promise<void>, ms: number) => Promise.race([p.then(() => 'done'), new Promise((r) => setTimeout(() => r('pending'), ms))])

let rejections: unknown[] = []
const onRejection = (e: unknown) => rejections.push(e)
beforeEach(() => {
  rejections = []
  process.on('unhandledRejection', onRejection)
})
afterEach(() => {
  process.off('unhandledRejection', onRejection)
  expect(rejections).toEqual([])
})

describe('listr tree', () => {
  it('completes at run-done, failing unreachable and partial hosts and the guest that stayed up', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream })
    await play(bus)
    await r.done
    const out = s.text()
    expect(finalState(out, 'h1  ')).toBe('COMPLETED')
    expect(finalState(out, 'h2  ')).toBe('FAILED')
    expect(finalState(out, 'h3  ')).toBe('FAILED')
    expect(finalState(out, 'h1 › web01')).toBe('COMPLETED')
    expect(finalState(out, 'h1 › db01')).toBe('COMPLETED')
    expect(finalState(out, 'h2 › app01')).toBe('FAILED')
    // exit code 3: the root shows the failure too
    expect(finalState(out, 'fleet: shutdown (3 hosts)')).toBe('FAILED')
  })

  it('titles follow the guest through primary, fallback and final outcome', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream })
    await play(bus)
    await r.done
    const t = titles(s.text())
    expect(t).toContain('h2 › app01 suspend…')
    expect(t).toContain('h2 › app01 suspend ✗ → shutdown…')
    expect(t).toContain('h1 › db01 shutdown ✗ timeout → destroy…')
    expect(t).toContain('h1 › db01 destroyed in 30.4s (fallback after timeout)')
    expect(t).toContain('h1 › web01 stopped in 4.2s')
    expect(t).toContain('h1  1/2 off')
    expect(t).toContain('h2  0/1 off, 1 failed')
    expect(t).toContain('h1  2/2 off in 34.2s · 1 stopped, 1 destroyed')
    expect(t).toContain('h3  unreachable: connect ETIMEDOUT 10.0.0.3:22')
    expect(t).toContain('fleet: shutdown (3 hosts): 1 ok, 1 failed, 1 unreachable · exit 3')
  })

  it('shows host steps and the current batch of a rolling run in the titles', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream })
    const [runStart, ...rest] = events
    const at = runStart!.at
    await play(bus, [
      runStart!,
      { type: 'batch', index: 0, of: 2, hosts: ['h1'], status: 'started', at },
      { type: 'host-start', host: 'h1', at },
      { type: 'host-step', host: 'h1', step: 'reboot', status: 'started', at },
      { type: 'host-step', host: 'h1', step: 'reboot', status: 'ok', at },
      ...rest.filter((e) => e.type !== 'host-start'),
    ])
    await r.done
    const t = titles(s.text())
    expect(t).toContain('fleet: shutdown (3 hosts) · batch 1/2')
    expect(t).toContain('h1  connecting · reboot…')
    expect(t).toContain('h1  connecting · reboot ✓')
  })

  it('stays open until run-done arrives', async () => {
    const bus = new EventBus()
    const r = attachListrTree(bus, { renderer: 'silent', stream: sink().stream })
    await play(bus, events.slice(0, -1))
    expect(await race(r.done, 50)).toBe('pending')
    bus.emit(events.at(-1)!)
    expect(await race(r.done, 1000)).toBe('done')
  })

  it('copes with every event emitted synchronously before listr2 has started a task', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream })
    for (const e of events) bus.emit(e)
    await r.done
    expect(finalState(s.text(), 'h1  ')).toBe('COMPLETED')
    expect(finalState(s.text(), 'h3  ')).toBe('FAILED')
  })

  it('a successful run completes the root', async () => {
    const bus = new EventBus()
    const s = sink()
    const { events: ok } = fleet(3)
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream })
    await play(bus, ok)
    await r.done
    expect(finalState(s.text(), 'fleet: shutdown (3 hosts)')).toBe('COMPLETED')
    expect(finalState(s.text(), 'hv002  ')).toBe('COMPLETED')
  })

  it('groups hosts above maxVisibleHosts and fails the groups holding a failed host', async () => {
    const bus = new EventBus()
    const s = sink()
    const { events: big } = fleet(100, 7)
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream, maxVisibleHosts: 30 })
    await play(bus, big)
    await r.done
    const out = s.text()
    const groupTitles = new Set(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Serialized)
        .filter((e) => e.event === 'STATE' && /^hv\d{3}…hv\d{3}/.test(e.task?.title ?? ''))
        .map((e) => e.task!.title!.split('  ')[0]),
    )
    expect(groupTitles.size).toBe(25) // 100 hosts in groups of 4
    expect(groupTitles.size).toBeLessThanOrEqual(30)
    expect(finalState(out, 'hv001…hv004')).toBe('COMPLETED')
    expect(finalState(out, 'hv005…hv008')).toBe('FAILED') // hv007 unreachable
    expect(titles(out)).toContain('hv005…hv008  4/4 hosts done · 3/3 guests off · hv007 unreachable')
    // no per-host tasks in grouped mode
    expect(finalState(out, 'hv001  ')).toBeUndefined()
  })

  it('stop() before run-done finishes the tree and skips what is still pending', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = attachListrTree(bus, { renderer: 'test', stream: s.stream })
    await play(bus, events.slice(0, 8))
    r.stop()
    expect(await race(r.done, 1000)).toBe('done')
    expect(finalState(s.text(), 'h3  ')).toBe('SKIPPED')
    // later events are ignored
    expect(() => bus.emit(events.at(-1)!)).not.toThrow()
  })

  it('ignores events for unknown hosts, events before run-start and a run-done without run-start', async () => {
    const bus = new EventBus()
    const r = attachListrTree(bus, { renderer: 'silent', stream: sink().stream })
    const odd: FleetEvent[] = [
      { type: 'host-start', host: 'h1', at: events[0]!.at },
      { type: 'guest-done', host: 'nope', guest: runReport.hosts[0]!.guests[0]!, at: events[0]!.at },
      { type: 'run-done', report: runReport, at: events[0]!.at },
    ]
    expect(() => odd.forEach((e) => bus.emit(e))).not.toThrow()
    expect(await race(r.done, 1000)).toBe('done')
  })

  it('a stream that throws on write never reaches the engine', async () => {
    const bus = new EventBus()
    const r = attachListrTree(bus, { renderer: 'simple', stream: sink({ throwOnWrite: true }).stream })
    await expect(play(bus)).resolves.toBeUndefined()
    expect(await race(r.done, 1000)).toBe('done')
  })
})
