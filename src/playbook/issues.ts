// The problems found in a playbook, collected by offset while parsing and thrown together as one PlaybookError
// (an InputError, exit 4) whose position is the first problem's. A hostile file can hold thousands of problems:
// the message and the list keep the first few, in file order, and say how many there were.

import { InputError } from '../core/errors.js'
import type { SourcePos } from './types.js'

export interface PlaybookIssue extends SourcePos {
  message: string
}

/** Issues shown in the message (the rest are counted). */
const SHOWN = 20
/** Issues kept in `PlaybookError.issues`. */
const KEPT = 100

/** All the problems found in a playbook; the InputError fields point at the first one. */
export class PlaybookError extends InputError {
  readonly issues: PlaybookIssue[]
  /** How many problems there were, including those not kept in `issues`. */
  readonly total: number
  constructor(issues: PlaybookIssue[], total = issues.length) {
    const first = issues[0] as PlaybookIssue
    const shown = issues.slice(0, SHOWN).map((i) => `  ${i.file}:${i.line}:${i.column}: ${i.message}`)
    if (total > shown.length) shown.push(`  ... and ${total - shown.length} more`)
    const message = total === 1 ? first.message : `${total} problems in the playbook:\n` + shown.join('\n')
    super(message, { file: first.file, line: first.line, column: first.column })
    this.name = 'PlaybookError'
    this.issues = issues
    this.total = total
  }
}

/** Collects problems by source offset; `throwIfAny` sorts them into file order and turns offsets into positions. */
export class IssueList {
  private readonly found: Array<{ offset: number; message: string }> = []

  constructor(private readonly posOf: (offset: number) => SourcePos) {}

  add(offset: number, message: string): void {
    this.found.push({ offset, message })
  }

  get count(): number {
    return this.found.length
  }

  throwIfAny(): void {
    if (this.found.length === 0) return
    const sorted = [...this.found].sort((a, b) => a.offset - b.offset)
    const issues = sorted.slice(0, KEPT).map(({ offset, message }) => ({ ...this.posOf(offset), message }))
    throw new PlaybookError(issues, sorted.length)
  }
}
