// A syntax check for host patterns, done before anything runs: balanced [ ], valid subscripts, valid ~regex,
// no empty terms. It does not resolve names (that needs the inventory). Splitting is the inventory's (Ansible's):
// on ',' when the pattern has one, else on ':' outside brackets (so a regex containing ':' needs the ',' form).

import { splitHostPatternTerms } from '../inventory/pattern-split.js'

export interface PatternIssue {
  message: string
  /** Index in the pattern string where the problem starts. */
  index: number
}

const SUBSCRIPT = /^[^[\]]+\[(-?\d+|-?\d*:-?\d*)\]$/

export function checkPatternSyntax(pattern: string): PatternIssue[] {
  if (pattern.trim() === '') return [{ message: 'empty host pattern', index: 0 }]
  const sep = pattern.includes(',') ? ',' : ':'
  const terms = splitHostPatternTerms(pattern)
  const issues: PatternIssue[] = []
  for (const term of terms) {
    const lead = term.text.length - term.text.trimStart().length
    let text = term.text.trim()
    let index = term.index + lead
    if (text === '') {
      issues.push({ message: `empty term in host pattern (doubled or trailing "${sep}")`, index: term.index })
      continue
    }
    if (text[0] === '&' || text[0] === '!') {
      text = text.slice(1)
      index++
      if (text.trim() === '') {
        issues.push({ message: `"${pattern[index - 1]}" must be followed by a group or host name`, index: index - 1 })
        continue
      }
    }
    if (text.startsWith('~')) {
      const source = text.slice(1)
      if (source === '') {
        issues.push({ message: '"~" must be followed by a regular expression', index })
        continue
      }
      try {
        new RegExp(source)
      } catch (err) {
        issues.push({
          message: `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
          index,
        })
      }
      continue
    }
    if (text.startsWith('@')) {
      if (text.length === 1) issues.push({ message: '"@" must be followed by a file name or @failed', index })
      continue
    }
    const open = text.indexOf('[')
    const close = text.indexOf(']')
    if (open === -1 && close === -1) continue
    if (open === -1 || close === -1 || close < open || !text.endsWith(']') || text.indexOf('[', open + 1) !== -1) {
      const at = open === -1 ? close : close === -1 ? open : Math.min(open, close)
      issues.push({ message: `unbalanced "[" / "]" in "${text}"`, index: index + at })
      continue
    }
    if (!SUBSCRIPT.test(text)) {
      issues.push({ message: `bad subscript "${text.slice(open)}": expected [0], [1:3], [-1] or [2:]`, index: index + open })
    }
  }
  return issues
}
