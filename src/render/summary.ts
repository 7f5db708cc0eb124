// The human summary printed after the live tree or plain log: one row per guest (or per host when a host
// had no guests, e.g. unreachable), the actions tried with their durations, then totals and the exit code's meaning.

import { formatDuration } from '../core/duration.js'
import type { GuestReport, HostReport, RunReport } from '../core/report.js'
import { renderTable } from './table.js'
import { attemptsText, exitLine, guestCountsLine, hostCountsLine, outcomeWord, predictionLine } from './words.js'

const RESET = '\u001b[0m'
const paint = (code: string) => (on: boolean, text: string) => (on && text !== '' ? `\u001b[${code}m${text}${RESET}` : text)
const green = paint('32')
const red = paint('31')
const yellow = paint('33')
const dim = paint('2')

function guestOutcome(g: GuestReport, color: boolean): string {
  const word = outcomeWord(g.outcome)
  if (g.outcome === 'planned') return yellow(color, word)
  return g.ok ? green(color, word) : red(color, word)
}

function guestActions(g: GuestReport): string {
  if (g.attempts.length > 0) return attemptsText(g.attempts)
  if (g.plan && g.plan.length > 0) return `would: ${g.plan.join(' → ')}`
  return '—'
}

function guestError(g: GuestReport): string {
  const lastError = [...g.attempts].reverse().find((a) => a.error)?.error
  return [g.error ?? (g.ok ? undefined : lastError), g.note].filter(Boolean).join('; ')
}

function hostRow(h: HostReport, color: boolean): string[] {
  const status = h.status === 'ok' ? green(color, 'ok') : h.status === 'skipped' ? dim(color, 'skipped') : red(color, h.status)
  return [h.host, '—', status, formatDuration(h.durationMs), '—', h.error ?? '']
}

/** The final table and totals as one string (no trailing newline). */
export function renderSummary(report: RunReport, opts: { color: boolean }): string {
  const c = opts.color
  const rows: string[][] = []
  for (const h of report.hosts) {
    if (h.guests.length === 0) {
      rows.push(hostRow(h, c))
      continue
    }
    for (const g of h.guests) {
      rows.push([h.host, g.name, guestOutcome(g, c), formatDuration(g.durationMs), guestActions(g), guestError(g)])
    }
    // A host error (e.g. saved list not written) that no guest row shows.
    if (h.error && h.status !== 'ok') rows.push([h.host, '—', red(c, h.status), formatDuration(h.durationMs), '—', h.error])
  }
  const lines: string[] = []
  const title = `${report.command}${report.check ? ' --check' : ''} · run ${report.runId} · ${formatDuration(report.durationMs)}${report.interrupted ? ' · interrupted' : ''}`
  lines.push(title)
  lines.push('')
  if (rows.length > 0) {
    lines.push(renderTable(['HOST', 'GUEST', 'OUTCOME', 'TIME', 'ACTIONS', 'ERROR / NOTE'], rows, { align: ['left', 'left', 'left', 'right'] }))
  } else {
    lines.push('no hosts selected')
  }
  lines.push('')
  for (const h of report.hosts) for (const w of h.warnings ?? []) lines.push(yellow(c, `warning: ${h.host}: ${w}`))
  const predicted = predictionLine(report)
  if (predicted) lines.push(predicted)
  lines.push(`${hostCountsLine(report)} · ${guestCountsLine(report)}`)
  const exit = exitLine(report)
  lines.push(report.exitCode === 0 ? green(c, exit) : red(c, exit))
  return lines.join('\n')
}
