import { describe, expect, it } from 'vitest'
import type { RunReport } from '../../../src/core/report.js'
import { reportToJson } from '../../../src/render/json.js'
import { runReport } from './scenario.js'

describe('reportToJson', () => {
  it('round-trips to an equal report', () => {
    expect(JSON.parse(reportToJson(runReport))).toEqual(runReport)
  })

  it('uses 2-space indentation and the report field order', () => {
    const text = reportToJson(runReport)
    expect(text.startsWith('{\n  "command": "shutdown",\n  "runId": "r-20261125-031800",\n  "check": false,')).toBe(true)
    const top = Object.keys(JSON.parse(text) as object)
    expect(top).toEqual(['command', 'runId', 'check', 'startedAt', 'endedAt', 'durationMs', 'exitCode', 'interrupted', 'summary', 'hosts'])
    const parsed = JSON.parse(text) as RunReport
    expect(Object.keys(parsed.hosts[0]!)).toEqual(['host', 'status', 'durationMs', 'savedList', 'guests'])
    expect(Object.keys(parsed.hosts[0]!.guests[0]!).slice(0, 3)).toEqual(['name', 'uuid', 'uri'])
    expect(Object.keys(parsed.hosts[0]!.guests[0]!.attempts[0]!)).toEqual(['action', 'reason', 'result', 'startedAt', 'endedAt', 'durationMs'])
  })

  it("puts a host's warnings after its saved list, before its guests", () => {
    const warned = { ...runReport, hosts: runReport.hosts.map((h, i) => (i === 0 ? { ...h, warnings: ['w1'] } : h)) }
    const parsed = JSON.parse(reportToJson(warned)) as RunReport
    expect(Object.keys(parsed.hosts[0]!)).toEqual(['host', 'status', 'durationMs', 'savedList', 'warnings', 'guests'])
    expect(parsed.hosts[0]!.warnings).toEqual(['w1'])
  })

  it('does not depend on the insertion order of the input', () => {
    const shuffled = Object.fromEntries(Object.entries(runReport).reverse()) as unknown as RunReport
    expect(reportToJson(shuffled)).toBe(reportToJson(runReport))
  })

  it('keeps unknown fields, sorted after the known ones, and drops undefined', () => {
    const extra = { ...runReport, zeta: 1, alpha: 2, note: undefined } as unknown as RunReport
    const keys = Object.keys(JSON.parse(reportToJson(extra)) as object)
    expect(keys.slice(-2)).toEqual(['alpha', 'zeta'])
    expect(keys).not.toContain('note')
  })

  it('has the fields a consumer needs per guest', () => {
    const parsed = JSON.parse(reportToJson(runReport)) as RunReport
    const db = parsed.hosts[0]!.guests[1]!
    expect(db).toMatchObject({ name: 'db01', outcome: 'destroyed', ok: true, inSavedList: true })
    expect(db.attempts.map((a) => [a.action, a.result, a.reason])).toEqual([
      ['shutdown', 'timeout', 'primary'],
      ['destroy', 'ok', 'fallback'],
    ])
    expect(parsed.exitCode).toBe(3)
    expect(parsed.summary).toEqual({ hosts: 3, hostsOk: 1, hostsFailed: 1, hostsUnreachable: 1, guests: 3, guestsOk: 2, guestsFailed: 1 })
  })
})
