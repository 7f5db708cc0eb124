// The report's summary table: per host its status, duration and error, per guest its outcome, the chain of attempts
// and the error or note. Pure strings; every text goes through escapeHtml.

import { formatDuration } from '../core/duration.js'
import type { GuestReport, RunReport } from '../core/report.js'
import { escapeHtml, STATUS_TONE, type Tone } from './html-style.js'

function attemptsText(g: GuestReport): string {
  if (g.attempts.length === 0) return g.plan?.length ? `planned: ${g.plan.join(' → ')}` : '—'
  return g.attempts
    .map((a) => {
      const mark = a.result === 'ok' ? '✓' : a.result === 'timeout' ? '✗ timeout' : a.result === 'interrupted' ? '■ interrupted' : '✗'
      return `${a.action} ${mark} ${formatDuration(a.durationMs)}`
    })
    .join(' → ')
}

function guestTone(g: GuestReport): Tone {
  if (!g.ok) return g.outcome === 'interrupted' || g.outcome === 'planned' ? 'muted' : 'fail'
  return g.attempts.some((a) => a.result !== 'ok' || a.reason !== 'primary') ? 'warn' : 'ok'
}

/** One row per guest, the host cell spanning its guests; a host without guests gets one row. */
export function renderSummaryTable(report: RunReport): string {
  const rows: string[] = []
  for (const h of report.hosts) {
    const hostCell = (span: number) =>
      `<td class="host" rowspan="${span}"><div class="host-name">${escapeHtml(h.host)}</div><span class="pill tone-${STATUS_TONE[h.status]}">${escapeHtml(h.status)}</span><div class="muted small">${escapeHtml(formatDuration(h.durationMs))}</div>${h.error ? `<div class="err small">${escapeHtml(h.error)}</div>` : ''}</td>`
    if (h.guests.length === 0) {
      rows.push(`<tr class="host-first">${hostCell(1)}<td colspan="5" class="muted">no guests</td></tr>`)
      continue
    }
    h.guests.forEach((g, i) => {
      rows.push(
        `<tr${i === 0 ? ' class="host-first"' : ''}>${i === 0 ? hostCell(h.guests.length) : ''}<td class="guest">${escapeHtml(g.name)}<div class="muted small">${escapeHtml(g.initialState)}${g.finalState ? ` → ${escapeHtml(g.finalState)}` : ''}</div></td><td><span class="pill tone-${guestTone(g)}">${escapeHtml(g.outcome)}</span></td><td class="attempts">${escapeHtml(attemptsText(g))}</td><td class="num">${escapeHtml(formatDuration(g.durationMs))}${readyCell(g)}</td><td class="err">${escapeHtml(g.error ?? g.note ?? '')}</td></tr>`,
      )
    })
  }
  return `<table class="summary"><thead><tr><th>Host</th><th>Guest</th><th>Outcome</th><th>Attempts</th><th class="num">Duration</th><th>Error / note</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

/** Time-to-running and time-to-ready under a started guest's duration (nothing on the stop side). */
function readyCell(g: GuestReport): string {
  const lines: string[] = []
  if (g.runningAfterMs !== undefined) lines.push(`running ${formatDuration(g.runningAfterMs)}`)
  if (g.readyAfterMs !== undefined) lines.push(`ready ${formatDuration(g.readyAfterMs)}`)
  else if (g.outcome === 'not-ready') lines.push('not ready')
  return lines.map((l) => `<div class="muted small">${escapeHtml(l)}</div>`).join('')
}
