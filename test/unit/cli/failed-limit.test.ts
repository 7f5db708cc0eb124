import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { lastFailedHosts } from '../../../src/cli/select-hosts.js'
import { Journal } from '../../../src/state/journal.js'

describe('--limit @failed', () => {
  it('names the failed hosts of the newest run that had any', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const dir = mkdtempSync(join(tmpdir(), 'vf-failed-'))
    const old = Journal.create({ stateDir: dir, runId: '20261101T000000Z-aaaaaa', command: 'reboot', hosts: ['h1', 'h2'] })
    old.append({ type: 'host-status', host: 'h1', status: 'failed', at: 'x' })
    old.close()
    const newer = Journal.create({ stateDir: dir, runId: '20261102T000000Z-bbbbbb', command: 'reboot', hosts: ['h2', 'h3', 'h4'] })
    newer.append({ type: 'host-status', host: 'h2', status: 'ok', at: 'x' })
    newer.append({ type: 'host-status', host: 'h3', status: 'unreachable', at: 'x' })
    newer.append({ type: 'host-status', host: 'h4', status: 'partial', at: 'x' })
    newer.close()
    expect(lastFailedHosts(dir)).toEqual(['h3', 'h4'])
  })

  it('is a usage error when no run failed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-failed-'))
    expect(() => lastFailedHosts(dir)).toThrow(/no journaled run has failed hosts/)
  })
})
