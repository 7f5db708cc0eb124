import { describe, expect, it } from 'vitest'
import { recordProblem, runReportProblem } from '../../../../src/state/journal.js'
import { sampleRecords } from '../../../support/journal-sample.js'

describe('record schema', () => {
  it('accepts every record and event type a run writes', () => {
    for (const r of sampleRecords()) expect(recordProblem(JSON.parse(JSON.stringify(r)))).toBeUndefined()
  })

  it.each([
    [null, 'record: expected an object, got null'],
    [[], 'record: expected an object, got an array'],
    [{}, 'record.type: expected a string, got undefined'],
    [{ type: 'nope' }, 'record.type: unknown type "nope"'],
    [{ type: 'step', step: 'x', status: 'ok', at: 't' }, 'record.host: missing'],
    [{ type: 'step', host: 'h', step: 'x', status: 'done', at: 't' }, 'record.status: expected one of started, ok, failed, skipped, got "done"'],
    [{ type: 'end', exitCode: Infinity, at: 't' }, 'record.exitCode: expected an integer 0..255, got number'],
    [{ type: 'event', event: null }, 'record.event: expected an object, got null'],
    [{ type: 'event', event: { type: 'guest-done', host: 'h', guest: null, at: 't' } }, 'record.event.guest: expected an object, got null'],
    [
      { type: 'event', event: { type: 'host-done', host: 'h', at: 't', report: { host: 'h', status: 'ok', durationMs: 1, guests: [null] } } },
      'record.event.report.guests[0]: expected an object, got null',
    ],
    [{ type: 'event', event: { type: 'run-done', report: {}, at: 't' } }, 'record.event.report.command: missing'],
  ])('refuses %j: %s', (rec, why) => {
    expect(recordProblem(rec)).toBe(why)
  })

  it('refuses a run header whose pid would make liveness checks signal a process group', () => {
    const header = { ...sampleRecords()[0], pid: 0 }
    expect(recordProblem(header)).toMatch(/record\.pid: expected an integer 1\.\./)
  })

  it('lets an event type from a newer version through when it has its time', () => {
    expect(recordProblem({ type: 'event', event: { type: 'migrate-start', host: 'h', at: 't' } })).toBeUndefined()
    expect(recordProblem({ type: 'event', event: { type: 'migrate-start', host: 3, at: 't' } })).toMatch(/event\.host/)
  })

  it('ignores inherited properties: a field must be the record’s own', () => {
    expect(recordProblem(JSON.parse('{"type":"host-status","status":"ok","at":"t","__proto__":{"host":"h"}}'))).toBe('record.host: missing')
  })

  it('checks a run report on its own', () => {
    expect(runReportProblem({})).toBe('report.command: missing')
  })

  it('accepts a report with predicted durations (host and fleet) and refuses a malformed one', () => {
    const [host] = sampleRecords().flatMap((r) => (r.type === 'event' && r.event.type === 'host-done' ? [r.event] : []))
    expect(host).toBeDefined()
    const predicted = { ...host!, report: { ...host!.report, predicted: { durationMs: 6500, withoutHistory: 0 } } }
    expect(recordProblem({ type: 'event', event: predicted })).toBeUndefined()
    const bad = { ...host!, report: { ...host!.report, predicted: { durationMs: 'soon', withoutHistory: 0 } } }
    expect(recordProblem({ type: 'event', event: bad })).toMatch(/report\.predicted\.durationMs/)
    const [done] = sampleRecords().flatMap((r) => (r.type === 'event' && r.event.type === 'run-done' ? [r.event] : []))
    expect(runReportProblem({ ...done!.report, predicted: { durationMs: 6500 } })).toBeUndefined()
    expect(runReportProblem({ ...done!.report, predicted: {} })).toBe('report.predicted.durationMs: missing')
  })
})
