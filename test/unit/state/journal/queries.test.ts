import { describe, expect, it } from 'vitest'
import { completedSteps, failedHosts, stepKey, type JournalRecord } from '../../../../src/state/journal.js'

const at = 't'

describe('resume and retry queries', () => {
  it('stepKey is the one key completedSteps uses: host, guest (empty for host steps), step', () => {
    expect(stepKey('hv1', undefined, 'reboot')).toBe('hv1//reboot')
    expect(stepKey('hv1', 'web1', 'shutdown')).toBe('hv1/web1/shutdown')
  })

  it('a step a resumed run skipped (done earlier) stays completed for the next resume', () => {
    const recs: JournalRecord[] = [
      { type: 'event', event: { type: 'host-step', host: 'hv1', step: 'reboot', status: 'ok', at } },
      { type: 'step', host: 'hv1', step: 'reboot', status: 'ok', at },
      { type: 'event', event: { type: 'host-step', host: 'hv1', step: 'reboot', status: 'skipped', detail: 'already done', at } },
    ]
    expect(completedSteps(recs).has(stepKey('hv1', undefined, 'reboot'))).toBe(true)
  })

  it('failedHosts lists each host once, in the run order, also for thousands of hosts', () => {
    const hosts = Array.from({ length: 5000 }, (_, i) => `hv${i}`)
    const recs: JournalRecord[] = [
      { type: 'run', v: 1, runId: 'r', command: 'reboot', argv: [], options: {}, startedAt: at, hosts, pid: 1, hostname: 'h' },
      ...hosts.map((host): JournalRecord => ({ type: 'host-status', host, status: 'failed', at })),
      { type: 'step', host: 'hv0', step: 'reboot', status: 'failed', at },
    ]
    expect(failedHosts(recs)).toEqual(hosts)
  })
})
