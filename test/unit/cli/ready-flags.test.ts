// The readiness flags: --ready parses to a typed probe, --wait-agent is its alias, the two cannot be mixed.
import { describe, expect, it } from 'vitest'
import { InputError, UsageError } from '../../../src/core/errors.js'
import { startOptionsFromFlags } from '../../../src/cli/flags.js'
import { guestResultText } from '../../../src/render/words.js'
import { renderSummaryTable } from '../../../src/render/html-table.js'
import type { GuestReport, RunReport } from '../../../src/core/report.js'

describe('--ready / --ready-timeout / --wait-agent', () => {
  it('parse into the typed probe and budget', () => {
    const o = startOptionsFromFlags({ ready: 'console:login:', 'ready-timeout': '90s' }, 'timeout')
    expect(o.ready).toEqual({ kind: 'console', text: 'login:' })
    expect(o.readyTimeoutMs).toBe(90_000)
    expect(startOptionsFromFlags({ 'wait-agent': '1m' }, 'timeout').waitAgentMs).toBe(60_000)
  })
  it('a bad probe is an input error naming the flag; --wait-agent with --ready is a usage error', () => {
    expect(() => startOptionsFromFlags({ ready: 'tcp:http' }, 'timeout')).toThrow(InputError)
    expect(() => startOptionsFromFlags({ ready: 'tcp:http' }, 'timeout')).toThrow(/^--ready: "tcp:" takes a port/)
    expect(() => startOptionsFromFlags({ ready: 'agent', 'wait-agent': '1m' }, 'timeout')).toThrow(UsageError)
  })
})

describe('time to running and time to ready in the renderers', () => {
  const g: GuestReport = {
    uri: 'qemu:///system',
    uuid: '00000000-0000-4000-8000-000000000001',
    name: 'db1',
    initialState: 'shut off',
    finalState: 'running',
    persistent: true,
    outcome: 'started',
    ok: true,
    attempts: [],
    durationMs: 3400,
    inSavedList: false,
    runningAfterMs: 400,
    readyAfterMs: 3300,
    ready: 'agent',
  }
  it('the tree and the plain log say both', () => {
    expect(guestResultText(g)).toBe('started in 3.4s (running after 400ms, ready after 3.3s)')
    expect(guestResultText({ ...g, outcome: 'not-ready', ok: false, readyAfterMs: undefined })).toMatch(
      /^not ready in 3\.4s \(running after 400ms, not ready \(agent\)\)$/,
    )
  })
  it('the HTML table shows them under the duration', () => {
    const report = { hosts: [{ host: 'hv1', status: 'ok', durationMs: 3400, guests: [g] }] } as unknown as RunReport
    const html = renderSummaryTable(report)
    expect(html).toContain('running 400ms')
    expect(html).toContain('ready 3.3s')
  })
})
