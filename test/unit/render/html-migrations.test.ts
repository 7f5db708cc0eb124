// Live migrations in the HTML timeline: a bar per migration in the guest's lane, labelled with its destination.
import { describe, expect, it } from 'vitest'
import type { FleetEvent } from '../../../src/core/events.js'
import { summarize, type HostReport } from '../../../src/core/report.js'
import { renderHtmlReport } from '../../../src/render/html-report.js'

const T0 = Date.UTC(2026, 10, 25, 3, 18, 0)
const iso = (s: number) => new Date(T0 + s * 1000).toISOString()
const web = { uri: 'qemu:///system', uuid: '00000000-0000-4000-8000-000000000001', name: 'web' }
const db = { uri: 'qemu:///system', uuid: '00000000-0000-4000-8000-000000000002', name: 'db' }

function migration(
  guest: typeof web,
  host: string,
  source: string,
  destination: string,
  status: 'started' | 'migrated' | 'failed' | 'progress',
  s: number,
  error?: string,
): FleetEvent {
  return { type: 'migration', host, guest, source, destination, status, at: iso(s), ...(error ? { error } : {}) }
}

/** The migration bars: [guest, action, result, destination, width in px, label text]. */
function migrationBars(html: string): Array<[string, string, string, string, number, string]> {
  return [
    ...html.matchAll(
      /<g class="bar migration-bar [^"]*" data-guest="([^"]*)" data-action="([^"]*)" data-result="([^"]*)" data-destination="([^"]*)"><title>[^<]*<\/title><rect x="[\d.]+" y="\d+" width="([\d.]+)"[^>]*\/>(?:<text[^>]*>([^<]*)<\/text>)?/g,
    ),
  ].map((m) => [m[1] as string, m[2] as string, m[3] as string, m[4] as string, Number(m[5]), m[6] ?? ''])
}

describe('HTML timeline: live migrations', () => {
  it('draws a bar per migration labelled with its destination, away and back home in the same lane', () => {
    const hosts: HostReport[] = [{ host: 'hv1', status: 'ok', durationMs: 100_000, guests: [] }]
    const events: FleetEvent[] = [
      migration(web, 'hv1', 'hv1', 'hv3', 'started', 0),
      migration(web, 'hv1', 'hv1', 'hv3', 'progress', 10),
      migration(db, 'hv1', 'hv1', 'hv2', 'started', 0),
      migration(web, 'hv1', 'hv1', 'hv3', 'migrated', 40),
      migration(db, 'hv1', 'hv1', 'hv2', 'failed', 10, 'failed: unable to connect'),
      migration(web, 'hv1', 'hv3', 'hv1', 'started', 60),
      migration(web, 'hv1', 'hv3', 'hv1', 'migrated', 80),
    ]
    const html = renderHtmlReport(
      {
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
      },
      events,
    )
    const bars = migrationBars(html)
    expect(bars.map(([g, a, r, d]) => [g, a, r, d])).toEqual([
      ['web', '→ hv3', 'ok', 'hv3'],
      ['db', '→ hv2', 'failed', 'hv2'],
      ['web', 'hv3 → hv1', 'ok', 'hv1'],
    ])
    // 40 s away and 20 s back on the same scale; the first bar of a lane names the guest.
    expect((bars[0]?.[4] ?? 0) / (bars[2]?.[4] ?? 1)).toBeCloseTo(2, 1)
    expect(bars[0]?.[5]).toBe('web · → hv3')
    expect(html).toContain('<title>db — live migration → hv2: failed, 10.0s\nfailed: unable to connect</title>')
    // Two guests: two lanes in hv1's row (the way back shares web's lane).
    expect(html).toMatch(/<g class="host-row" data-host="hv1" data-lanes="2">/)
    expect(html).toContain('live migration (→ destination)</span>')
  })
})
