// Live migration progress in the renderers: the tree shows `web → hv3 47 %` on the host line while the guest
// moves; the plain log prints start, each quarter and the result with duration, downtime and size.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { FleetEvent } from '../../../src/core/events.js'
import { attachListrTree } from '../../../src/render/listr-tree.js'
import { attachPlainLog } from '../../../src/render/plain.js'
import { EventBus, events, play } from './scenario.js'

const guest = { uri: 'qemu:///system', uuid: '00000000-0000-4000-8000-000000000001', name: 'web' }
const at = events[0]!.at
const mig = (status: 'started' | 'progress' | 'migrated' | 'failed', extra: Partial<Extract<FleetEvent, { type: 'migration' }>> = {}): FleetEvent => ({
  type: 'migration',
  host: 'h1',
  guest,
  source: 'h1',
  destination: 'hv3',
  status,
  at,
  ...extra,
})

describe('migration progress', () => {
  it('the tree shows the guest, its destination and the percent on the host line, and drops it when done', async () => {
    const bus = new EventBus()
    let out = ''
    const stream = new Writable({
      write(chunk, _e, cb) {
        out += String(chunk)
        cb()
      },
    }) as unknown as NodeJS.WriteStream
    const r = attachListrTree(bus, { renderer: 'test', stream })
    const [runStart, ...rest] = events
    await play(bus, [
      runStart!,
      { type: 'host-start', host: 'h1', at },
      { type: 'host-step', host: 'h1', step: 'evacuate', status: 'started', at },
      mig('started'),
      mig('progress', { percent: 47 }),
      mig('migrated', { durationMs: 2500, downtimeMs: 30 }),
      ...rest.filter((e) => e.type !== 'host-start'),
    ])
    await r.done
    const titles = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; data: unknown })
      .filter((e) => e.event === 'TITLE')
      .map((e) => e.data as string)
    expect(titles).toContain('h1  connecting · evacuate… · web → hv3…')
    expect(titles).toContain('h1  connecting · evacuate… · web → hv3 47 %')
    expect(titles.filter((t) => t.startsWith('h1  connecting')).at(-1)).toBe('h1  connecting · evacuate…')
  })

  it('the plain log prints the start, one line per quarter, and the result with its figures', () => {
    const bus = new EventBus()
    const lines: string[] = []
    attachPlainLog(bus, (l) => lines.push(l))
    for (const p of [10, 26, 30, 55, 80, 99]) bus.emit(mig('progress', { percent: p }))
    bus.emit(mig('migrated', { durationMs: 2500, downtimeMs: 30, bytes: 96 * 1048576 }))
    bus.emit(mig('failed', { durationMs: 1000, error: 'timeout: not finished within 60s: aborted, still on h1' }))
    expect(lines.map((l) => l.slice(at.length + 1))).toEqual([
      'h1 web migrate h1 → hv3: 26 %',
      'h1 web migrate h1 → hv3: 55 %',
      'h1 web migrate h1 → hv3: 80 %',
      'h1 web migrate h1 → hv3: migrated (in 2.5s, downtime 30 ms, 96 MiB)',
      'h1 web migrate h1 → hv3: failed (in 1.0s): timeout: not finished within 60s: aborted, still on h1',
    ])
  })
})
