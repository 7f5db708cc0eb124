// The durations history derived from run journals: which attempts count, how samples are bounded and summed up, and
// that a corrupt run file costs only its own samples.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ActionAttempt, GuestReport } from '../../../../src/core/report.js'
import { durationHistory, loadDurationHistory, type JournalRecord } from '../../../../src/state/journal.js'

const UUID = { web1: '11111111-1111-1111-1111-111111111111', web2: '22222222-2222-2222-2222-222222222222' }
const at = '2026-11-25T03:18:00.000Z'

function attempt(
  action: ActionAttempt['action'],
  durationMs: number,
  result: ActionAttempt['result'] = 'ok',
  reason: ActionAttempt['reason'] = 'primary',
): ActionAttempt {
  return { action, startedAt: at, endedAt: at, durationMs, result, reason }
}

function guestDone(host: string, name: keyof typeof UUID, ...attempts: ActionAttempt[]): JournalRecord {
  const guest: GuestReport = {
    uri: 'qemu:///system',
    uuid: UUID[name],
    name,
    initialState: 'running',
    persistent: true,
    outcome: 'stopped',
    ok: true,
    attempts,
    durationMs: attempts.reduce((n, a) => n + a.durationMs, 0),
    inSavedList: true,
  }
  return { type: 'event', event: { type: 'guest-done', host, guest, at } }
}

function run(id: string, ...records: JournalRecord[]): JournalRecord[] {
  const header: JournalRecord = {
    type: 'run',
    v: 1,
    runId: id,
    command: 'shutdown',
    argv: ['shutdown'],
    options: {},
    startedAt: at,
    hosts: ['hv1'],
    pid: 4242,
    hostname: 'control',
  }
  return [header, ...records]
}

const web1 = { uuid: UUID.web1, name: 'web1' }

describe('durationHistory', () => {
  it("a guest's estimate is the median of its recorded durations, per host and per action", () => {
    const h = durationHistory([
      run('a', guestDone('hv1', 'web1', attempt('shutdown', 3000))),
      run('b', guestDone('hv1', 'web1', attempt('shutdown', 9000)), guestDone('hv2', 'web1', attempt('shutdown', 100))),
      run('c', guestDone('hv1', 'web1', attempt('suspend', 700))),
      run('d', guestDone('hv1', 'web1', attempt('shutdown', 4000))),
    ])
    expect(h.estimate('hv1', web1, 'shutdown')).toEqual({ durationMs: 4000, timedOut: false, samples: 3 })
    expect(h.estimate('hv1', web1, 'suspend')).toEqual({ durationMs: 700, timedOut: false, samples: 1 })
    expect(h.estimate('hv2', web1, 'shutdown')?.durationMs).toBe(100)
    expect(h.estimate('hv3', web1, 'shutdown')).toBeUndefined()
    expect(h.runs).toBe(4)
  })

  it('an even number of samples gives the mean of the middle two', () => {
    const h = durationHistory([run('a', guestDone('hv1', 'web1', attempt('shutdown', 1000))), run('b', guestDone('hv1', 'web1', attempt('shutdown', 2000)))])
    expect(h.estimate('hv1', web1, 'shutdown')?.durationMs).toBe(1500)
  })

  it('found by UUID first, else by name (a guest redefined under its old name)', () => {
    const h = durationHistory([run('a', guestDone('hv1', 'web1', attempt('shutdown', 3000)))])
    expect(h.estimate('hv1', { uuid: 'other', name: 'web1' }, 'shutdown')?.durationMs).toBe(3000)
    expect(h.estimate('hv1', { uuid: UUID.web1, name: 'renamed' }, 'shutdown')?.durationMs).toBe(3000)
    expect(h.estimate('hv1', { uuid: 'other', name: 'web2' }, 'shutdown')).toBeUndefined()
  })

  it('a timeout marks the guest (newest sample decides); failed, interrupted and host-budget attempts say nothing', () => {
    const timedOutLast = durationHistory([
      run('new', guestDone('hv1', 'web1', attempt('shutdown', 5000, 'timeout'), attempt('destroy', 200, 'ok', 'fallback'))),
      run('old', guestDone('hv1', 'web1', attempt('shutdown', 2000))),
    ])
    expect(timedOutLast.estimate('hv1', web1, 'shutdown')).toEqual({ durationMs: 2000, timedOut: true, samples: 2 })
    expect(timedOutLast.estimate('hv1', web1, 'destroy')).toEqual({ durationMs: 200, timedOut: false, samples: 1 })
    const finishedLast = durationHistory([
      run('new', guestDone('hv1', 'web1', attempt('shutdown', 2500))),
      run('old', guestDone('hv1', 'web1', attempt('shutdown', 5000, 'timeout'))),
    ])
    expect(finishedLast.estimate('hv1', web1, 'shutdown')).toEqual({ durationMs: 2500, timedOut: false, samples: 2 })
    const nothing = durationHistory([
      run(
        'a',
        guestDone('hv1', 'web1', attempt('shutdown', 10, 'failed'), attempt('destroy', 50, 'interrupted', 'fallback')),
        guestDone('hv1', 'web2', attempt('shutdown', 0, 'timeout', 'host-budget')),
      ),
    ])
    expect(nothing.estimate('hv1', web1, 'shutdown')).toBeUndefined()
    expect(nothing.estimate('hv1', web1, 'destroy')).toBeUndefined()
    expect(nothing.estimate('hv1', { uuid: UUID.web2, name: 'web2' }, 'shutdown')).toBeUndefined()
  })

  it('bounded: only the newest runs and the newest samples per guest count', () => {
    const runs = [9000, 1000, 1000, 1000].map((ms, i) => run(`r${i}`, guestDone('hv1', 'web1', attempt('shutdown', ms))))
    expect(durationHistory(runs, { runs: 1, samples: 5 }).estimate('hv1', web1, 'shutdown')?.durationMs).toBe(9000)
    expect(durationHistory(runs, { runs: 10, samples: 2 }).estimate('hv1', web1, 'shutdown')).toEqual({ durationMs: 5000, timedOut: false, samples: 2 })
    expect(durationHistory(runs, { runs: 10, samples: 5 }).estimate('hv1', web1, 'shutdown')?.durationMs).toBe(1000)
  })
})

describe('loadDurationHistory', () => {
  const line = (r: JournalRecord) => JSON.stringify(r) + '\n'
  function stateDir(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'vf-history-'))
    mkdirSync(join(dir, 'runs'))
    for (const [id, text] of Object.entries(files)) writeFileSync(join(dir, 'runs', `${id}.jsonl`), text)
    return dir
  }
  const A = '20261125T031800Z-aaaaaa'
  const B = '20261125T041800Z-bbbbbb'
  const C = '20261125T051800Z-cccccc'

  it('reads the newest runs of the state dir, newest first', () => {
    const dir = stateDir({
      [A]: run(A, guestDone('hv1', 'web1', attempt('shutdown', 1000)))
        .map(line)
        .join(''),
      [B]: run(B, guestDone('hv1', 'web1', attempt('shutdown', 7000)))
        .map(line)
        .join(''),
    })
    expect(loadDurationHistory(dir, { runs: 1, samples: 5 }).history.estimate('hv1', web1, 'shutdown')?.durationMs).toBe(7000)
    const both = loadDurationHistory(dir)
    expect(both.history.runs).toBe(2)
    expect(both.skipped).toEqual([])
  })

  it('a run file with a corrupt line is left out and named; the other runs still count, and a torn tail is tolerated', () => {
    const good = run(A, guestDone('hv1', 'web1', attempt('shutdown', 3000))).map(line)
    const corrupt = run(B, guestDone('hv1', 'web1', attempt('shutdown', 99_000))).map(line)
    corrupt.splice(1, 0, '{"type":"event","event":{"type":"guest-done",\n')
    const torn = run(C, guestDone('hv1', 'web2', attempt('shutdown', 4000))).map(line)
    const dir = stateDir({ [A]: good.join(''), [B]: corrupt.join(''), [C]: torn.join('') + '{"type":"ev' })
    const { history, skipped } = loadDurationHistory(dir)
    expect(skipped).toHaveLength(1)
    expect(skipped[0]?.file).toMatch(new RegExp(`${B}\\.jsonl$`))
    expect(skipped[0]?.error).toMatch(/:2:1: corrupt journal record \(not JSON/)
    expect(history.estimate('hv1', web1, 'shutdown')?.durationMs).toBe(3000)
    expect(history.estimate('hv1', { uuid: UUID.web2, name: 'web2' }, 'shutdown')?.durationMs).toBe(4000)
  })

  it('reads only the guest-done lines: a broken line of another kind costs nothing, a broken header the whole file', () => {
    const other = run(A, guestDone('hv1', 'web1', attempt('shutdown', 3000))).map(line)
    other.splice(1, 0, '{"type":"event","event":{"type":"host-done",\n')
    const headless = run(B, guestDone('hv1', 'web1', attempt('shutdown', 99_000))).map(line)
    headless[0] = '{"type":"run"}\n'
    const { history, skipped } = loadDurationHistory(stateDir({ [A]: other.join(''), [B]: headless.join('') }))
    expect(history.estimate('hv1', web1, 'shutdown')?.durationMs).toBe(3000)
    expect(skipped.map((x) => x.error)).toEqual([expect.stringMatching(/:1:1: corrupt journal record \(record\.v: missing\)/)])
  })

  it('bounded by bytes: older runs past the budget are not read, the newest always is', () => {
    const files = {
      [A]: run(A, guestDone('hv1', 'web1', attempt('shutdown', 1000)))
        .map(line)
        .join(''),
      [B]: run(B, guestDone('hv1', 'web1', attempt('shutdown', 5000)))
        .map(line)
        .join(''),
      [C]: run(C, guestDone('hv1', 'web1', attempt('shutdown', 9000)))
        .map(line)
        .join(''),
    }
    const dir = stateDir(files)
    expect(loadDurationHistory(dir, { bytes: 1 }).history.runs).toBe(1)
    expect(loadDurationHistory(dir, { bytes: 1 }).history.estimate('hv1', web1, 'shutdown')?.durationMs).toBe(9000)
    const two = (files[C] as string).length + (files[B] as string).length
    expect(loadDurationHistory(dir, { bytes: two }).history.runs).toBe(2)
    expect(loadDurationHistory(dir, { bytes: two }).history.estimate('hv1', web1, 'shutdown')?.durationMs).toBe(7000)
  })

  it('no runs directory is no history, not an error', () => {
    const { history, skipped } = loadDurationHistory(mkdtempSync(join(tmpdir(), 'vf-history-')))
    expect(history.runs).toBe(0)
    expect(history.estimate('hv1', web1, 'shutdown')).toBeUndefined()
    expect(skipped).toEqual([])
  })
})
