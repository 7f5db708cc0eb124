// A small column formatter for `status` and the run summary. Widths are measured on the visible text:
// ANSI colour codes are ignored and each code point counts as one column (wide CJK/emoji are not special-cased).

export type Align = 'left' | 'right'

export interface TableOptions {
  /** Per-column alignment; default left. */
  align?: Align[]
  /** Text between columns; default two spaces. */
  gap?: string
  /** Draw a rule of '─' under the header; default true. */
  rule?: boolean
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

/** Visible width of a cell: ANSI codes stripped, code points counted. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length
}

function clean(cell: string | undefined): string {
  // One row is one line: newlines and tabs inside a cell would break the columns.
  return (cell ?? '').replace(/[\r\n\t]+/g, ' ')
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)))
  return align === 'right' ? fill + text : text + fill
}

/** Render headers and rows as aligned columns; no trailing spaces, no trailing newline. */
export function renderTable(headers: string[], rows: string[][], opts: TableOptions = {}): string {
  const gap = opts.gap ?? '  '
  const columns = Math.max(headers.length, ...rows.map((r) => r.length))
  const cleanRows = rows.map((r) => Array.from({ length: columns }, (_, i) => clean(r[i])))
  const head = Array.from({ length: columns }, (_, i) => clean(headers[i]))
  const widths = head.map((h, i) => Math.max(visibleWidth(h), ...cleanRows.map((r) => visibleWidth(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0, opts.align?.[i] ?? 'left'))
      .join(gap)
      .trimEnd()
  const out = [line(head)]
  if (opts.rule !== false) out.push(widths.map((w) => '─'.repeat(w)).join(gap))
  for (const r of cleanRows) out.push(line(r))
  return out.join('\n')
}
