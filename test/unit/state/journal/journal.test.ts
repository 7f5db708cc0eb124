import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { EventBus, type FleetEvent } from '../../../../src/core/events.js'
import type { HostReport, RunReport } from '../../../../src/core/report.js'
import { summarize } from '../../../../src/core/report.js'
import {
  GROUP_COMMIT_MS,
  Journal,
  attachJournal,
  completedSteps,
  digestInventory,
  failedHosts,
  listRuns,
  newRunId,
  readRun,
  reportFromJournal,
  resolveStateDir,
  type JournalRecord,
} from '../../../../src/state/journal.js'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-journal-'))
})
afterEach(() => {
  vi.restoreAllMocks()
  fs.rmSync(dir, { recursive: true, force: true })
})

const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 3, 18, s)).toISOString()
const clock = { wallTime: () => new Date(Date.UTC(2026, 10, 25, 3, 18, 0)) }
const guest = { uri: 'qemu:///system', uuid: 'u1', name: 'web1' }

function create(hosts = ['hv1', 'hv2', 'hv3']) {
  return Journal.create({ stateDir: dir, clock, command: 'reboot', argv: ['reboot', '--serial', '1'], hosts, inventoryDigest: digestInventory('hosts: {}') })
}

function hostReport(host: string, status: HostReport['status']): HostReport {
  return { host, status, durationMs: 1000, guests: [] }
}

describe('state dir', () => {
  it('prefers --state-dir, then $XDG_STATE_HOME/virtfleet, then ~/.local/state/virtfleet', () => {
    expect(resolveStateDir({ stateDir: '/srv/vf', env: { XDG_STATE_HOME: '/x' } })).toBe('/srv/vf')
    expect(resolveStateDir({ env: { XDG_STATE_HOME: '/x' } })).toBe('/x/virtfleet')
    expect(resolveStateDir({ env: {}, home: '/home/op' })).toBe('/home/op/.local/state/virtfleet')
  })
  it('ignores a relative XDG_STATE_HOME, as the XDG spec says', () => {
    expect(resolveStateDir({ env: { XDG_STATE_HOME: 'rel' }, home: '/home/op' })).toBe('/home/op/.local/state/virtfleet')
  })
})

describe('newRunId', () => {
  it('is the UTC second plus 6 hex digits, and sorts by time', () => {
    const id = newRunId(clock)
    expect(id).toMatch(/^20261125T031800Z-[0-9a-f]{6}$/)
    expect(newRunId(() => new Date(Date.UTC(2026, 10, 25, 3, 18, 1))) > id).toBe(true)
  })
})

describe('Journal', () => {
  it('creates runs/<runId>.jsonl with a run header, and appends one JSON line per record', () => {
    const j = create()
    j.append({ type: 'step', host: 'hv1', step: 'reboot', status: 'started', at: at(1) })
    j.close()
    const lines = fs.readFileSync(path.join(dir, 'runs', `${j.runId}.jsonl`), 'utf8').split('\n')
    expect(lines).toHaveLength(3) // two records + the final empty string
    const header = JSON.parse(lines[0] as string)
    expect(header).toMatchObject({ type: 'run', runId: j.runId, command: 'reboot', hosts: ['hv1', 'hv2', 'hv3'], pid: process.pid })
    expect(header.inventoryDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('fsyncs every append before returning', () => {
    const j = create()
    const fsync = vi.spyOn(fs, 'fsyncSync')
    const write = vi.spyOn(fs, 'writeSync')
    j.append({ type: 'step', host: 'hv1', step: 'reboot', status: 'started', at: at(1) })
    j.append({ type: 'step', host: 'hv1', step: 'reboot', status: 'ok', at: at(2), durationMs: 1000 })
    expect(fsync).toHaveBeenCalledTimes(2)
    // each fsync comes after that record's write
    expect(write.mock.invocationCallOrder[0]).toBeLessThan(fsync.mock.invocationCallOrder[0] as number)
    j.close()
  })

  it('never overwrites an existing run', () => {
    const j = create()
    j.close()
    expect(() => Journal.create({ stateDir: dir, runId: j.runId, command: 'x' })).toThrow(/EEXIST/)
  })

  it('refuses run ids that are not run ids (no path traversal)', () => {
    expect(() => readRun(dir, '../../etc/passwd')).toThrow(/not a run id/)
  })

  it('reading tolerates a torn last line left by a crash', () => {
    const j = create()
    j.append({ type: 'step', host: 'hv1', step: 'reboot', status: 'ok', at: at(1) })
    j.close()
    fs.appendFileSync(j.file, '{"type":"step","host":"hv2","st')
    const records = readRun(dir, j.runId)
    expect(records.map((r) => r.type)).toEqual(['run', 'step'])
  })

  it('a complete-looking last line without its newline is treated as torn too', () => {
    const j = create()
    j.close()
    fs.appendFileSync(j.file, '{"type":"end","exitCode":0,"at":"x"}')
    expect(readRun(dir, j.runId).map((r) => r.type)).toEqual(['run'])
  })

  it('a corrupt line before the last one is an error with its position', () => {
    const j = create()
    j.close()
    fs.appendFileSync(j.file, 'garbage\n{"type":"end","exitCode":0,"at":"x"}\n')
    expect(() => readRun(dir, j.runId)).toThrow(/:2:1: corrupt journal record/)
  })

  it('reopening after a crash cuts the torn line so the next record starts on its own line', () => {
    const j = create()
    j.close()
    fs.appendFileSync(j.file, '{"type":"step","ho')
    const again = Journal.open(dir, j.runId)
    again.append({ type: 'end', exitCode: 0, at: at(9) })
    again.close()
    expect(readRun(dir, j.runId).map((r) => r.type)).toEqual(['run', 'end'])
  })

  it('attachJournal writes every FleetEvent as an event record', () => {
    const j = create()
    const bus = new EventBus()
    const off = attachJournal(bus, j)
    bus.emit({ type: 'host-start', host: 'hv1', at: at(1) })
    bus.emit({ type: 'log', level: 'info', message: 'hi', at: at(2) })
    off()
    bus.emit({ type: 'host-start', host: 'hv2', at: at(3) })
    j.close()
    const events = readRun(dir, j.runId).flatMap((r) => (r.type === 'event' ? [r.event.type] : []))
    expect(events).toEqual(['host-start', 'log'])
  })

  it('attachJournal reports write failures instead of losing them silently', () => {
    const j = create()
    j.close()
    const bus = new EventBus()
    const errors: unknown[] = []
    attachJournal(bus, j, (e) => errors.push(e))
    bus.emit({ type: 'host-start', host: 'hv1', at: at(1) })
    expect(errors).toHaveLength(1)
  })
})

describe('listRuns', () => {
  it('lists finished, interrupted and running runs, newest first', () => {
    const a = Journal.create({ stateDir: dir, runId: '20261125T010000Z-aaaaaa', command: 'shutdown', clock })
    a.append({ type: 'end', exitCode: 2, at: at(5) })
    a.close()
    const b = Journal.create({ stateDir: dir, runId: '20261125T020000Z-bbbbbb', command: 'reboot', clock })
    b.close()
    const c = Journal.create({ stateDir: dir, runId: '20261125T030000Z-cccccc', command: 'start', clock })
    c.close()
    const rows = listRuns(dir, { isAlive: (r) => r.runId === c.runId })
    expect(rows.map((r) => [r.id, r.command, r.status, r.exitCode])).toEqual([
      ['20261125T030000Z-cccccc', 'start', 'running', undefined],
      ['20261125T020000Z-bbbbbb', 'reboot', 'interrupted', undefined],
      ['20261125T010000Z-aaaaaa', 'shutdown', 'finished', 2],
    ])
    expect(rows[2]?.ended).toBe(at(5))
  })

  it('a run whose writer process is gone is interrupted (default liveness check)', () => {
    const j = create()
    j.close()
    const text = fs.readFileSync(j.file, 'utf8').replace(/"pid":\d+/, '"pid":2147483646')
    fs.writeFileSync(j.file, text)
    expect(listRuns(dir)[0]?.status).toBe('interrupted')
  })

  it('an empty or missing state dir lists nothing', () => {
    expect(listRuns(path.join(dir, 'nope'))).toEqual([])
  })
})

describe('completedSteps', () => {
  it('keys host/guest/step and keeps only steps whose latest status is ok', () => {
    const recs: JournalRecord[] = [
      { type: 'step', host: 'hv1', guest: 'web1', step: 'shutdown', status: 'started', at: at(1) },
      { type: 'step', host: 'hv1', guest: 'web1', step: 'shutdown', status: 'ok', at: at(2) },
      { type: 'step', host: 'hv1', step: 'reboot', status: 'started', at: at(3) },
      { type: 'step', host: 'hv1', step: 'reboot', status: 'ok', at: at(4) },
      { type: 'step', host: 'hv2', step: 'reboot', status: 'ok', at: at(4) },
      { type: 'step', host: 'hv2', step: 'reboot', status: 'failed', at: at(5), error: 'boom' },
      { type: 'step', host: 'hv3', step: 'reboot', status: 'started', at: at(5) },
    ]
    expect([...completedSteps(recs)].sort()).toEqual(['hv1//reboot', 'hv1/web1/shutdown'])
  })
})

describe('failedHosts', () => {
  it('returns failed, partial and unreachable hosts in run order, latest status winning', () => {
    const recs: JournalRecord[] = [
      {
        type: 'run',
        v: 1,
        runId: 'r',
        command: 'reboot',
        argv: [],
        options: {},
        startedAt: at(0),
        hosts: ['hv1', 'hv2', 'hv3', 'hv4', 'hv5'],
        pid: 1,
        hostname: 'h',
      },
      { type: 'host-status', host: 'hv4', status: 'unreachable', at: at(1) },
      { type: 'host-status', host: 'hv1', status: 'failed', at: at(1) },
      { type: 'host-status', host: 'hv1', status: 'ok', at: at(2) }, // retried within the run
      { type: 'event', event: { type: 'host-done', host: 'hv2', report: hostReport('hv2', 'partial'), at: at(2) } },
      { type: 'step', host: 'hv3', step: 'reboot', status: 'failed', at: at(3) },
      { type: 'host-status', host: 'hv5', status: 'interrupted', at: at(3) },
    ]
    expect(failedHosts(recs)).toEqual(['hv2', 'hv3', 'hv4'])
  })
})

describe('reportFromJournal', () => {
  it('uses the report of the last run-done event', () => {
    const hosts = [hostReport('hv1', 'ok')]
    const report: RunReport = {
      command: 'shutdown',
      runId: 'r',
      check: false,
      startedAt: at(0),
      endedAt: at(9),
      durationMs: 9000,
      exitCode: 0,
      interrupted: false,
      summary: summarize(hosts),
      hosts,
    }
    const recs: JournalRecord[] = [{ type: 'event', event: { type: 'run-done', report, at: at(9) } }]
    expect(reportFromJournal(recs)).toEqual(report)
  })

  it('rebuilds a report from host-done events after a crash: unfinished hosts interrupted, unstarted skipped', () => {
    const j = create()
    const bus = new EventBus()
    attachJournal(bus, j)
    const events: FleetEvent[] = [
      { type: 'run-start', command: 'reboot', runId: j.runId, hosts: ['hv1', 'hv2', 'hv3'], check: false, at: at(0) },
      { type: 'host-start', host: 'hv1', at: at(1) },
      { type: 'host-done', host: 'hv1', report: hostReport('hv1', 'ok'), at: at(4) },
      { type: 'host-start', host: 'hv2', at: at(5) },
      {
        type: 'guest-done',
        host: 'hv2',
        at: at(7),
        guest: {
          ...guest,
          initialState: 'running',
          finalState: 'shut off',
          persistent: true,
          outcome: 'stopped',
          ok: true,
          attempts: [],
          durationMs: 2000,
          inSavedList: true,
        },
      },
    ]
    events.forEach((e) => bus.emit(e))
    j.close()
    const report = reportFromJournal(readRun(dir, j.runId))
    expect(report).toBeDefined()
    expect(report?.runId).toBe(j.runId)
    expect(report?.interrupted).toBe(true)
    expect(report?.exitCode).toBe(130)
    expect(report?.hosts.map((h) => [h.host, h.status, h.guests.length])).toEqual([
      ['hv1', 'ok', 0],
      ['hv2', 'interrupted', 1],
      ['hv3', 'skipped', 0],
    ])
    expect(report?.summary.hosts).toBe(3)
  })

  it('takes the exit code from the end record when there is one', () => {
    const j = create(['hv1'])
    j.append({ type: 'event', event: { type: 'host-done', host: 'hv1', report: hostReport('hv1', 'failed'), at: at(3) } })
    j.append({ type: 'end', exitCode: 2, at: at(4) })
    j.close()
    const report = reportFromJournal(readRun(dir, j.runId))
    expect(report).toMatchObject({ exitCode: 2, interrupted: false, endedAt: at(4) })
  })

  it('is undefined for an empty journal', () => {
    expect(reportFromJournal([])).toBeUndefined()
  })
})

describe('host-step events written by attachJournal', () => {
  it('count for completedSteps and failedHosts like step records', () => {
    const recs: JournalRecord[] = [
      { type: 'event', event: { type: 'host-step', host: 'hv1', step: 'reboot', status: 'started', at: at(1) } },
      { type: 'event', event: { type: 'host-step', host: 'hv1', step: 'reboot', status: 'ok', at: at(2), durationMs: 1000 } },
      { type: 'event', event: { type: 'host-step', host: 'hv2', step: 'wait_for_ssh', status: 'failed', at: at(3), error: 'timeout' } },
    ]
    expect([...completedSteps(recs)]).toEqual(['hv1//reboot'])
    expect(failedHosts(recs)).toEqual(['hv2'])
  })
})

/** fs.fsync (the thread pool's) held: each call's callback is kept for the test to run. */
function holdPoolFsyncs() {
  const calls: Array<(err: NodeJS.ErrnoException | null) => void> = []
  const fsync = vi.spyOn(fs, 'fsync').mockImplementation(((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    calls.push(cb)
  }) as typeof fs.fsync)
  return { calls, fsync }
}

describe('group commit of events', () => {
  it('queues events and writes them with one fsync; a durable append flushes them first, in order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-gc-'))
    const j = Journal.create({ stateDir: dir, command: 'shutdown' })
    const fsync = vi.spyOn(fs, 'fsyncSync')
    for (let i = 0; i < 100; i++) j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: `e${i}`, at: 'x' } })
    expect(fs.readFileSync(j.file, 'utf8').trim().split('\n')).toHaveLength(1)
    j.append({ type: 'step', host: 'h1', step: 'stop#2', status: 'ok', at: 'x' })
    expect(fsync).toHaveBeenCalledTimes(1)
    const lines = fs.readFileSync(j.file, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(102)
    expect(JSON.parse(lines[101] as string).type).toBe('step')
    fsync.mockRestore()
    j.close()
  })

  it('flushes on its own within the group-commit window, and on close', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-gc-'))
    const j = Journal.create({ stateDir: dir, command: 'shutdown' })
    j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'soon', at: 'x' } })
    await new Promise((r) => setTimeout(r, GROUP_COMMIT_MS + 30))
    expect(fs.readFileSync(j.file, 'utf8')).toContain('soon')
    j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'at-close', at: 'x' } })
    j.close()
    expect(fs.readFileSync(j.file, 'utf8')).toContain('at-close')
  })

  it('fsyncs a group on the thread pool, never on the event loop; writes made meanwhile get one more fsync', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-gc-'))
    const j = Journal.create({ stateDir: dir, command: 'shutdown' })
    const fsyncSync = vi.spyOn(fs, 'fsyncSync')
    const { calls, fsync } = holdPoolFsyncs()
    try {
      j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'one', at: 'x' } })
      await new Promise((r) => setTimeout(r, GROUP_COMMIT_MS + 30))
      expect(fs.readFileSync(j.file, 'utf8')).toContain('one')
      expect(fsyncSync).not.toHaveBeenCalled()
      expect(calls).toHaveLength(1)
      // a second group written while the first fsync runs waits for it, then gets its own
      j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'two', at: 'x' } })
      await new Promise((r) => setTimeout(r, GROUP_COMMIT_MS + 30))
      expect(fs.readFileSync(j.file, 'utf8')).toContain('two')
      expect(calls).toHaveLength(1)
      calls[0]?.(null)
      expect(calls).toHaveLength(2)
      calls[1]?.(null)
      expect(calls).toHaveLength(2)
      expect(fsyncSync).not.toHaveBeenCalled()
    } finally {
      fsync.mockRestore()
      fsyncSync.mockRestore()
      j.close()
    }
  })

  it('close during a group fsync is durable at once and closes the descriptor only when that fsync returns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-gc-'))
    const j = Journal.create({ stateDir: dir, command: 'shutdown' })
    const { calls, fsync } = holdPoolFsyncs()
    const fsyncSync = vi.spyOn(fs, 'fsyncSync')
    const closeSync = vi.spyOn(fs, 'closeSync')
    try {
      j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'grouped', at: 'x' } })
      await new Promise((r) => setTimeout(r, GROUP_COMMIT_MS + 30))
      expect(calls).toHaveLength(1)
      j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'at-close', at: 'x' } })
      j.close()
      expect(fsyncSync).toHaveBeenCalledTimes(1)
      expect(fs.readFileSync(j.file, 'utf8')).toContain('at-close')
      expect(closeSync).not.toHaveBeenCalled()
      expect(j.closed).toBe(true)
      expect(() => j.append({ type: 'step', host: 'h1', step: 'stop#1', status: 'ok', at: 'x' })).toThrow(/closed/)
      calls[0]?.(null)
      expect(closeSync).toHaveBeenCalledTimes(1)
      expect(calls).toHaveLength(1)
    } finally {
      fsync.mockRestore()
      fsyncSync.mockRestore()
      closeSync.mockRestore()
    }
  })

  it('reports a failed group fsync through onFlushError', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-gc-'))
    const j = Journal.create({ stateDir: dir, command: 'shutdown' })
    const errors: unknown[] = []
    j.onFlushError = (err) => errors.push(err)
    const fsync = vi.spyOn(fs, 'fsync').mockImplementation(((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      cb(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))
    }) as typeof fs.fsync)
    try {
      j.appendSoon({ type: 'event', event: { type: 'log', level: 'info', message: 'lost?', at: 'x' } })
      await new Promise((r) => setTimeout(r, GROUP_COMMIT_MS + 30))
      expect(errors).toHaveLength(1)
      expect(String(errors[0])).toContain('EIO')
    } finally {
      fsync.mockRestore()
      j.close()
    }
  })
})
