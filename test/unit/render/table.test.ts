import { describe, expect, it } from 'vitest'
import { renderTable, visibleWidth } from '../../../src/render/table.js'

describe('renderTable', () => {
  it('pads columns to the widest cell with a rule under the header', () => {
    expect(
      renderTable(
        ['HOST', 'STATE'],
        [
          ['h1', 'running'],
          ['hypervisor-02', 'off'],
        ],
      ),
    ).toBe(['HOST           STATE', '─────────────  ───────', 'h1             running', 'hypervisor-02  off'].join('\n'))
  })

  it('ignores ANSI colour codes and counts code points, not UTF-16 units', () => {
    expect(visibleWidth('\u001b[31mfailed\u001b[0m')).toBe(6)
    expect(visibleWidth('→ ✓')).toBe(3)
    expect(visibleWidth('𝔸b')).toBe(2)
    const t = renderTable(
      ['A', 'B'],
      [
        ['\u001b[32mok\u001b[0m', 'x'],
        ['failed', 'y'],
      ],
      { rule: false },
    )
    expect(t.split('\n')[1]).toBe('\u001b[32mok\u001b[0m      x')
  })

  it('right-aligns when asked, fills short rows and flattens newlines', () => {
    expect(renderTable(['N', 'NAME'], [['5', 'a\nb'], ['10']], { align: ['right'], rule: false })).toBe([' N  NAME', ' 5  a b', '10'].join('\n'))
  })

  it('renders just the header for no rows', () => {
    expect(renderTable(['HOST'], [])).toBe('HOST\n────')
  })
})
