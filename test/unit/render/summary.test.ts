import { describe, expect, it } from 'vitest'
import { renderSummary } from '../../../src/render/summary.js'
import { runReport } from './scenario.js'

describe('renderSummary', () => {
  const text = renderSummary(runReport, { color: false })
  const rows = text.split('\n')
  const row = (host: string, guest: string) => rows.find((l) => l.startsWith(host) && l.split(/\s{2,}/)[1] === guest)

  it('has one row per guest with its outcome, time and the actions tried', () => {
    expect(row('h1', 'web01')).toMatch(/stopped\s+4\.2s\s+shutdown ok 4\.2s$/)
    expect(row('h1', 'db01')).toMatch(/destroyed\s+30\.4s\s+shutdown timeout 30\.0s → destroy ok 400ms$/)
    expect(row('h2', 'app01')).toMatch(/still running\s+1\.5s\s+suspend failed 1\.0s → shutdown failed 500ms\s+guest agent not responding$/)
  })

  it('has a row for a host without guests, with its status and error', () => {
    expect(row('h3', '—')).toMatch(/unreachable\s+20\.0s\s+—\s+connect ETIMEDOUT 10\.0\.0\.3:22$/)
  })

  it('ends with the totals and the exit code meaning', () => {
    expect(rows.slice(-2)).toEqual([
      'hosts: 3 (1 ok, 1 failed, 1 unreachable) · guests: 3 (2 ok, 1 not ok)',
      'exit 3: one or more hosts unreachable or host key refused (others were handled)',
    ])
  })

  it('has no colour codes unless asked, and colours outcomes when asked', () => {
    expect(text).not.toContain('\u001b[')
    const coloured = renderSummary(runReport, { color: true })
    expect(coloured).toContain('\u001b[32mstopped\u001b[0m')
    expect(coloured).toContain('\u001b[31mstill running\u001b[0m')
    // columns stay aligned: colour codes are not counted as width
    const plainWidths = text.split('\n').map((l) => l.length)
    const colouredWidths = coloured.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').length)
    expect(colouredWidths).toEqual(plainWidths)
  })

  it("lists each host's warnings under the table, above the totals", () => {
    const warned = {
      ...runReport,
      hosts: runReport.hosts.map((h, i) =>
        i === 1 ? { ...h, warnings: ['host budget of 60s exhausted', "libvirt's event stream (qemu:///system) delivered no event"] } : h,
      ),
    }
    const lines = renderSummary(warned, { color: false }).split('\n')
    const first = lines.indexOf('warning: h2: host budget of 60s exhausted')
    expect(first).toBeGreaterThan(lines.findIndex((l) => l.startsWith('h2')))
    expect(lines[first + 1]).toBe("warning: h2: libvirt's event stream (qemu:///system) delivered no event")
    expect(lines.slice(first + 2, -2)).toEqual([])
    expect(text).not.toContain('warning:')
    expect(renderSummary(warned, { color: true })).toContain('\u001b[33mwarning: h2: host budget of 60s exhausted\u001b[0m')
  })

  it('shows the plan for a check run', () => {
    const check = {
      ...runReport,
      check: true,
      exitCode: 0,
      hosts: [
        {
          ...runReport.hosts[0]!,
          guests: [{ ...runReport.hosts[0]!.guests[0]!, outcome: 'planned' as const, attempts: [], plan: ['shutdown' as const, 'destroy' as const] }],
        },
      ],
    }
    const out = renderSummary(check, { color: false })
    expect(out).toMatch(/web01\s+planned\s+4\.2s\s+would: shutdown → destroy/)
    expect(out.split('\n')[0]).toBe('shutdown --check · run r-20261125-031800 · 35.0s')
    expect(out.split('\n').at(-1)).toBe('exit 0: success: every selected guest reached the wanted state')
  })

  it('shows predicted against actual per host and for the fleet when the run was predicted, above the totals', () => {
    const predicted = {
      ...runReport,
      predicted: { durationMs: 31_000 },
      hosts: runReport.hosts.map((h) =>
        h.host === 'h3' ? h : { ...h, predicted: { durationMs: h.host === 'h1' ? 30_000 : 2000, withoutHistory: h.host === 'h2' ? 1 : 0 } },
      ),
    }
    const lines = renderSummary(predicted, { color: false }).split('\n')
    expect(lines.at(-3)).toBe(
      'predicted / actual: h1 30.0s / 34.2s, h2 2.0s / 3.6s; fleet 31.0s / 35.0s (1 guest without a recorded duration, counted as 30.0s each)',
    )
    expect(renderSummary(runReport, { color: false })).not.toContain('predicted')
  })

  it('names at most eight hosts in the prediction line, then how many more', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({
      host: `hv${i}`,
      status: 'ok' as const,
      durationMs: 1000,
      guests: [],
      predicted: { durationMs: 1000, withoutHistory: 0 },
    }))
    const text = renderSummary({ ...runReport, check: true, hosts: many, predicted: { durationMs: 1000 } }, { color: false })
    expect(text).toContain('predicted: hv0 1.0s, hv1 1.0s, hv2 1.0s, hv3 1.0s, hv4 1.0s, hv5 1.0s, hv6 1.0s, hv7 1.0s, 2 more hosts; fleet 1.0s\n')
  })
})
