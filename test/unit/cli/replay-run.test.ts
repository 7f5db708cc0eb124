import { describe, expect, it } from 'vitest'
import { resumeReplay, retryReplay, withOutput } from '../../../src/cli/replay-run.js'
import type { RunRecord } from '../../../src/state/journal.js'

const header = (command: string, argv: string[]): RunRecord =>
  ({ type: 'run', v: 1, runId: '20261101T000000Z-aaaaaa', command, argv, options: {}, startedAt: 'x', hosts: [], pid: 1, hostname: 'h' }) as RunRecord

describe('retry', () => {
  it('names each failed host as exact data, replacing any recorded --limit or host list', () => {
    const r = retryReplay(header('reboot', ['-i', 'inv', '--limit', 'rack1', '--only-host=old', '--serial', '1']), ['hv2', 'hv3'])
    expect(r).toEqual({ command: 'reboot', argv: ['-i', 'inv', '--serial', '1', '--only-host=hv2', '--only-host=hv3'] })
  })

  it('a hostile recorded host name stays one exact name, never a pattern (nor a flag)', () => {
    const r = retryReplay(header('shutdown', ['-i', 'inv']), ['nosuch,all', '-i', 'a:!b'])
    expect(r.argv).toEqual(['-i', 'inv', '--only-host=nosuch,all', '--only-host=-i', '--only-host=a:!b'])
    expect(r.argv).not.toContain('--limit')
  })
})

describe('resume', () => {
  it('reruns stop/start as they were, and continues a rolling run from its journal', () => {
    expect(resumeReplay(header('shutdown', ['-i', 'inv']), 'R')).toEqual({ command: 'shutdown', argv: ['-i', 'inv'] })
    expect(resumeReplay(header('reboot', ['-i', 'inv', '--resume-run', 'OLD']), 'R', '/s')).toEqual({
      command: 'reboot',
      argv: ['-i', 'inv', '--state-dir', '/s', '--resume-run', 'R'],
    })
  })
})

describe('an output choice given to resume or retry', () => {
  const recorded = ['-i', 'inv', '--output', 'tree', '--serial', '1', '--output=plain']
  it('replaces every recorded output flag; none given keeps the recorded ones', () => {
    expect(withOutput(recorded, {})).toEqual(recorded)
    expect(withOutput(recorded, { json: false })).toEqual(recorded)
    expect(withOutput(recorded, { json: true })).toEqual(['-i', 'inv', '--serial', '1', '--json'])
    expect(withOutput(['-i', 'inv', '--json', '--serial', '1'], { output: 'plain' })).toEqual(['-i', 'inv', '--serial', '1', '--output', 'plain'])
    expect(withOutput(['--json=true', '-i', 'inv'], { json: true, output: 'plain' })).toEqual(['-i', 'inv', '--json', '--output', 'plain'])
  })
})
