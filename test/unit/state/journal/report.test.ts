import { describe, expect, it } from 'vitest'
import { reportFromJournal, type JournalRecord } from '../../../../src/state/journal.js'
import { sampleRecords } from '../../../support/journal-sample.js'

describe('report rebuilt from records', () => {
  it('keeps durations numbers when a crashed run left timestamps it cannot parse', () => {
    const recs: JournalRecord[] = [
      { type: 'run', v: 1, runId: 'r', command: 'reboot', argv: [], options: {}, startedAt: 'x', hosts: ['hv1', 'hv2'], pid: 1, hostname: 'h' },
      { type: 'event', event: { type: 'host-start', host: 'hv1', at: 'not a time' } },
    ]
    const report = reportFromJournal(recs)
    expect(report?.durationMs).toBe(0)
    expect(report?.hosts.map((h) => [h.host, h.status, h.durationMs])).toEqual([
      ['hv1', 'interrupted', 0],
      ['hv2', 'skipped', 0],
    ])
  })

  it('a finished run gives the report of its run-done event', () => {
    const report = reportFromJournal(sampleRecords())
    expect(report?.hosts.map((h) => h.host)).toEqual(['hv1', 'hv2'])
    expect(report?.exitCode).toBe(0)
  })
})
