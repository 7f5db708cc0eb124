import { describe, expect, it } from 'vitest'
import { attachPlainLog } from '../../../src/render/plain.js'
import { formatDuration } from '../../../src/core/duration.js'
import { EventBus, events, h1Report, runReport } from './scenario.js'

const T = '2026-11-25T03:18'

describe('plain log', () => {
  it('prints one timestamped line per event and the run summary at the end', () => {
    const bus = new EventBus()
    const lines: string[] = []
    attachPlainLog(bus, (l) => lines.push(l))
    for (const e of events) bus.emit(e)
    expect(lines).toEqual([
      `${T}:00.000Z run r-20261125-031800: shutdown on 3 hosts (h1, h2, h3)`,
      `${T}:00.000Z h1 connecting`,
      `${T}:00.000Z h2 connecting`,
      `${T}:00.000Z h3 connecting`,
      `${T}:00.500Z h1 connected`,
      `${T}:00.800Z h1 plan: 2 guests: web01 (shutdown → destroy), db01 (shutdown → destroy)`,
      `${T}:00.900Z h1 saved list written: /var/lib/virtfleet/saved-guests (2 entries)`,
      `${T}:01.000Z h1 web01 shutdown: started (primary)`,
      `${T}:01.000Z h1 db01 shutdown: started (primary)`,
      `${T}:01.500Z h2 connected`,
      `${T}:01.800Z h2 plan: 1 guest: app01 (suspend → shutdown)`,
      `${T}:02.000Z h2 app01 suspend: started (primary)`,
      `${T}:03.000Z h2 app01 suspend: failed after 1.0s: operation not supported → shutdown (fallback)`,
      `${T}:03.000Z h2 app01 shutdown: started (fallback)`,
      `${T}:03.500Z h2 app01 shutdown: failed after 500ms: guest agent not responding`,
      `${T}:03.500Z h2 app01 done: still running in 1.5s: guest agent not responding`,
      `${T}:03.600Z h2 partial: 1 still running in 3.6s`,
      `${T}:05.200Z h1 web01 shutdown: ok after 4.2s`,
      `${T}:05.200Z h1 web01 done: stopped in 4.2s`,
      `${T}:20.000Z h3 warn: connect ETIMEDOUT 10.0.0.3:22`,
      `${T}:20.000Z h3 unreachable after 20.0s: connect ETIMEDOUT 10.0.0.3:22`,
      `${T}:31.000Z h1 db01 shutdown: timeout after 30.0s → destroy (fallback)`,
      `${T}:31.000Z h1 db01 destroy: started (fallback)`,
      `${T}:31.400Z h1 db01 destroy: ok after 400ms`,
      `${T}:31.400Z h1 db01 done: destroyed in 30.4s (fallback after timeout)`,
      `${T}:34.200Z h1 done: 1 stopped, 1 destroyed in 34.2s`,
      `${T}:35.000Z run r-20261125-031800 done in 35.0s`,
      `${T}:35.000Z hosts: 3 (1 ok, 1 failed, 1 unreachable)`,
      `${T}:35.000Z guests: 3 (2 ok, 1 not ok)`,
      `${T}:35.000Z exit 3: one or more hosts unreachable or host key refused (others were handled)`,
    ])
  })

  it('prints the same lines for the same events (no wall clock involved)', () => {
    const run = () => {
      const bus = new EventBus()
      const lines: string[] = []
      attachPlainLog(bus, (l) => lines.push(l))
      for (const e of events) bus.emit(e)
      return lines
    }
    expect(run()).toEqual(run())
  })

  it('resolves done at run-done and stops listening', async () => {
    const bus = new EventBus()
    const lines: string[] = []
    const r = attachPlainLog(bus, (l) => lines.push(l))
    for (const e of events) bus.emit(e)
    await r.done
    const n = lines.length
    bus.emit({ type: 'log', level: 'info', message: 'late', at: events[0]!.at })
    expect(lines).toHaveLength(n)
  })

  it('a throwing writer does not break the bus or other subscribers', () => {
    const bus = new EventBus()
    attachPlainLog(bus, () => {
      throw new Error('disk full')
    })
    const seen: string[] = []
    bus.on((e) => seen.push(e.type))
    expect(() => {
      for (const e of events) bus.emit(e)
    }).not.toThrow()
    expect(seen).toHaveLength(events.length)
  })

  it('logs host steps and batches of a rolling run', () => {
    const bus = new EventBus()
    const lines: string[] = []
    attachPlainLog(bus, (l) => lines.push(l))
    bus.emit({ type: 'batch', index: 0, of: 2, hosts: ['h1', 'h2'], status: 'started', at: `${T}:00.000Z` })
    bus.emit({ type: 'host-step', host: 'h1', step: 'reboot', status: 'started', at: `${T}:01.000Z` })
    bus.emit({ type: 'host-step', host: 'h1', step: 'wait_for_ssh', status: 'ok', durationMs: 45000, detail: 'boot_id changed', at: `${T}:46.000Z` })
    bus.emit({ type: 'host-step', host: 'h2', step: 'start', status: 'failed', durationMs: 1200, error: 'guest web01 failed to start', at: `${T}:47.000Z` })
    bus.emit({ type: 'batch', index: 0, of: 2, hosts: ['h1', 'h2'], status: 'failed', at: `${T}:48.000Z` })
    expect(lines).toEqual([
      `${T}:00.000Z batch 1/2 started: h1, h2`,
      `${T}:01.000Z h1 reboot: started`,
      `${T}:46.000Z h1 wait_for_ssh: ok after 45.0s (boot_id changed)`,
      `${T}:47.000Z h2 start: failed after 1.2s: guest web01 failed to start`,
      `${T}:48.000Z batch 1/2 failed`,
    ])
  })

  it('marks check runs and says a guest is skipped by its log line', () => {
    const bus = new EventBus()
    const lines: string[] = []
    attachPlainLog(bus, (l) => lines.push(l))
    bus.emit({ type: 'run-start', command: 'shutdown', runId: 'r1', hosts: ['h1'], check: true, at: `${T}:00.000Z` })
    bus.emit({ type: 'log', level: 'info', message: 'nothing to do', at: `${T}:00.001Z` })
    expect(lines).toEqual([`${T}:00.000Z run r1: shutdown --check on 1 host (h1)`, `${T}:00.001Z run info: nothing to do`])
  })

  it('a predicted run: each host line says what was predicted, the run lines end with predicted against actual', () => {
    const bus = new EventBus()
    const lines: string[] = []
    attachPlainLog(bus, (l) => lines.push(l))
    const report = { ...runReport, hosts: [{ ...h1Report, predicted: { durationMs: 30_000, withoutHistory: 0 } }], predicted: { durationMs: 30_000 } }
    bus.emit({ type: 'host-done', host: 'h1', report: report.hosts[0]!, at: `${T}:31.000Z` })
    bus.emit({ type: 'run-done', report, at: `${T}:35.000Z` })
    expect(lines[0]).toMatch(/h1 done: .* in \d.*s \(predicted 30\.0s\)$/)
    expect(lines).toContain(`${T}:35.000Z predicted / actual: h1 30.0s / ${formatDuration(h1Report.durationMs)}; fleet 30.0s / 35.0s`)
  })
})
