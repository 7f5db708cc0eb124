// formatDuration: the durations in plain lines, the summary and the predicted/actual line.

import { describe, expect, it } from 'vitest'
import { formatDuration } from '../../../src/core/duration.js'

describe('formatDuration', () => {
  it('uses ms below a second, tenths below a minute, minutes and seconds above', () => {
    expect(formatDuration(0)).toBe('0ms')
    expect(formatDuration(850)).toBe('850ms')
    expect(formatDuration(12_340)).toBe('12.3s')
    expect(formatDuration(125_000)).toBe('2m05s')
    expect(formatDuration(3_600_000)).toBe('60m00s')
  })

  it('picks the unit after rounding: never 1m60s, 60.0s or 1000ms (seen as "1m60s" in a 500-host report)', () => {
    expect(formatDuration(119_600)).toBe('2m00s')
    expect(formatDuration(179_500)).toBe('3m00s')
    expect(formatDuration(59_960)).toBe('1m00s')
    expect(formatDuration(59_940)).toBe('59.9s')
    expect(formatDuration(999.6)).toBe('1.0s')
    expect(formatDuration(999.4)).toBe('999ms')
  })

  it('never prints 60 seconds in any minute', () => {
    for (let ms = 60_000; ms < 600_000; ms += 137) expect(formatDuration(ms)).toMatch(/^\d+m[0-5]\ds$/)
  })
})
