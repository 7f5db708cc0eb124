import { describe, expect, it } from 'vitest'
import { withoutFlag } from '../../../src/cli/replay-run.js'

describe('replaying a recorded argv', () => {
  it('drops a flag with its value in both spellings and keeps everything else', () => {
    const argv = ['-i', 'inv.yml', '--resume-run', 'R1', '--limit', 'h2', '-l', 'h3', '--limit=h4', '--resume-run=R2', '--serial', '1']
    expect(withoutFlag(argv, ['--resume-run'])).toEqual(['-i', 'inv.yml', '--limit', 'h2', '-l', 'h3', '--limit=h4', '--serial', '1'])
    expect(withoutFlag(argv, ['--resume-run', '--limit', '-l'])).toEqual(['-i', 'inv.yml', '--serial', '1'])
  })
})
