// One well-formed run with every record and event type, as a test fixture: the reader tests mutate it, and the
// fuzz test (test/fuzz/journal.fuzz.test.ts) cuts and garbles it.

import type { GuestReport, HostReport, RunReport } from '../../src/core/report.js'
import { summarize } from '../../src/core/report.js'
import type { JournalRecord } from '../../src/state/journal.js'

export const SAMPLE_RUN_ID = '20261125T031800Z-ab12cd'
const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 3, 18, s)).toISOString()
const ref = { uri: 'qemu:///system', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', name: 'web1' }
const guest: GuestReport = {
  ...ref,
  initialState: 'running',
  finalState: 'shut off',
  persistent: true,
  outcome: 'stopped',
  ok: true,
  attempts: [{ action: 'shutdown', startedAt: at(2), endedAt: at(4), durationMs: 2000, result: 'ok', reason: 'primary' }],
  durationMs: 2000,
  inSavedList: true,
  plan: ['shutdown', 'destroy'],
}
const host: HostReport = {
  host: 'hv1',
  status: 'ok',
  durationMs: 4000,
  guests: [guest],
  savedList: { path: '/var/lib/virtfleet/saved-guests.json', entries: 1 },
  steps: [{ step: 'reboot', status: 'ok', durationMs: 10, detail: 'boot id changed' }],
}
const report: RunReport = {
  command: 'shutdown',
  runId: SAMPLE_RUN_ID,
  check: false,
  startedAt: at(0),
  endedAt: at(9),
  durationMs: 9000,
  exitCode: 0,
  interrupted: false,
  summary: summarize([host, { host: 'hv2', status: 'failed', durationMs: 1, guests: [] }]),
  hosts: [host, { host: 'hv2', status: 'failed', durationMs: 1, guests: [], error: 'boom' }],
}

export function sampleRecords(): JournalRecord[] {
  return [
    {
      type: 'run',
      v: 1,
      runId: SAMPLE_RUN_ID,
      command: 'shutdown',
      argv: ['shutdown', '--limit', 'hv1,hv2'],
      inventoryDigest: 'sha256:00',
      options: { check: false },
      startedAt: at(0),
      hosts: ['hv1', 'hv2'],
      pid: 4242,
      hostname: 'control',
    },
    { type: 'plan', host: 'hv1', guests: [{ name: 'web1', uuid: ref.uuid, uri: ref.uri, steps: ['shutdown'] }], steps: ['reboot'], at: at(1) },
    { type: 'event', event: { type: 'run-start', command: 'shutdown', runId: SAMPLE_RUN_ID, hosts: ['hv1', 'hv2'], check: false, at: at(0) } },
    { type: 'event', event: { type: 'host-start', host: 'hv1', at: at(1) } },
    { type: 'event', event: { type: 'host-connected', host: 'hv1', at: at(1) } },
    { type: 'event', event: { type: 'host-planned', host: 'hv1', guests: [{ ...ref, plan: ['shutdown'] }], at: at(1) } },
    { type: 'event', event: { type: 'saved-list-written', host: 'hv1', path: '/var/lib/virtfleet/saved-guests.json', entries: 1, at: at(2) } },
    { type: 'event', event: { type: 'guest-action', host: 'hv1', guest: ref, action: 'shutdown', reason: 'primary', at: at(2) } },
    { type: 'event', event: { type: 'guest-action-result', host: 'hv1', guest: ref, action: 'shutdown', result: 'ok', at: at(4) } },
    { type: 'event', event: { type: 'guest-done', host: 'hv1', guest, at: at(4) } },
    { type: 'step', host: 'hv1', step: 'reboot', status: 'started', at: at(4) },
    { type: 'event', event: { type: 'host-step', host: 'hv1', step: 'reboot', status: 'ok', durationMs: 10, at: at(5) } },
    { type: 'step', host: 'hv1', step: 'reboot', status: 'ok', at: at(5), durationMs: 10 },
    { type: 'event', event: { type: 'host-done', host: 'hv1', report: host, at: at(5) } },
    { type: 'host-status', host: 'hv2', status: 'failed', error: 'boom', at: at(6) },
    { type: 'event', event: { type: 'batch', index: 0, of: 1, hosts: ['hv1', 'hv2'], status: 'ok', at: at(7) } },
    { type: 'batch', index: 0, hosts: ['hv1', 'hv2'], result: 'partial', at: at(7) },
    { type: 'event', event: { type: 'log', level: 'warn', host: 'hv2', message: 'boom', at: at(7) } },
    { type: 'event', event: { type: 'run-done', report, at: at(9) } },
    { type: 'end', exitCode: 2, summary: report.summary, at: at(9) },
  ]
}

export const sampleText = (records = sampleRecords()) => records.map((r) => JSON.stringify(r) + '\n').join('')
