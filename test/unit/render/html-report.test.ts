import { describe, expect, it } from 'vitest'
import type { FleetEvent } from '../../../src/core/events.js'
import type { HostReport, RunReport } from '../../../src/core/report.js'
import { summarize } from '../../../src/core/report.js'
import { escapeHtml, renderHtmlReport } from '../../../src/render/html-report.js'

const T0 = Date.UTC(2026, 10, 25, 3, 18, 0)
const iso = (s: number) => new Date(T0 + s * 1000).toISOString()

function report(hosts: HostReport[]): RunReport {
  return {
    command: 'reboot',
    runId: 'r1',
    check: false,
    startedAt: iso(0),
    endedAt: iso(100),
    durationMs: 100_000,
    exitCode: 0,
    interrupted: false,
    summary: summarize(hosts),
    hosts,
  }
}

/** The host-step bars of the page: [action, result, width in px]. */
function hostBars(html: string): Array<[string, string, number]> {
  return [
    ...html.matchAll(
      /<g class="bar host-bar [^"]*" data-guest="host" data-action="([^"]*)" data-result="([^"]*)"><title>[^<]*<\/title><rect x="[\d.]+" y="\d+" width="([\d.]+)"/g,
    ),
  ].map((m) => [m[1] as string, m[2] as string, Number(m[3])])
}

describe('HTML report', () => {
  it('escapes markup, quotes and backticks', () => {
    expect(escapeHtml(`<a href="x">'\`&`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#96;&#38;')
  })

  it('draws a host step from its start and end events, and one seen only at its end back from its duration', () => {
    const hosts: HostReport[] = [{ host: 'hv1', status: 'ok', durationMs: 100_000, guests: [] }]
    const events: FleetEvent[] = [
      { type: 'host-step', host: 'hv1', step: 'reboot', status: 'started', at: iso(10) },
      { type: 'host-step', host: 'hv1', step: 'reboot', status: 'ok', at: iso(60), durationMs: 50_000 },
      { type: 'host-step', host: 'hv1', step: 'wait_for_ssh', status: 'failed', at: iso(80), durationMs: 20_000, error: 'no ssh' },
    ]
    const bars = hostBars(renderHtmlReport(report(hosts), events))
    expect(bars.map(([a, r]) => [a, r])).toEqual([
      ['reboot', 'ok'],
      ['wait_for_ssh', 'failed'],
    ])
    // 50 s and 20 s on the same scale
    expect((bars[0]?.[2] ?? 0) / (bars[1]?.[2] ?? 1)).toBeCloseTo(2.5, 1)
  })

  it('draws the same guest bars from events as from the report attempts', () => {
    const attempt = {
      action: 'shutdown' as const,
      startedAt: iso(5),
      endedAt: iso(35),
      durationMs: 30_000,
      result: 'timeout' as const,
      reason: 'primary' as const,
    }
    const g = { uri: 'qemu:///system', uuid: 'u1', name: 'web1', initialState: 'running' as const, persistent: true, inSavedList: true }
    const hosts: HostReport[] = [
      { host: 'hv1', status: 'partial', durationMs: 100_000, guests: [{ ...g, outcome: 'still-running', ok: false, attempts: [attempt], durationMs: 30_000 }] },
    ]
    const ref = { uri: g.uri, uuid: g.uuid, name: g.name }
    const events: FleetEvent[] = [
      { type: 'guest-action', host: 'hv1', guest: ref, action: 'shutdown', reason: 'primary', at: iso(5) },
      { type: 'guest-action-result', host: 'hv1', guest: ref, action: 'shutdown', result: 'timeout', at: iso(35) },
    ]
    const bar = (html: string) => /<g class="bar guest-bar[^>]*>.*?<\/g>/.exec(html)?.[0]
    expect(bar(renderHtmlReport(report(hosts), events))).toBeDefined()
    expect(bar(renderHtmlReport(report(hosts), events))).toBe(bar(renderHtmlReport(report(hosts))))
  })
})
