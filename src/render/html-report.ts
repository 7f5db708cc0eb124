// One self-contained HTML page for a run: header (command, run id, times, what the exit code means), a timeline
// (one row per host, one lane per guest, a bar per action attempt) and a summary table. Inline CSS and SVG only;
// a CSP forbids scripts and remote loads, and every piece of text is escaped (guest names are data).

import type { FleetEvent } from '../core/events.js'
import { formatDuration } from '../core/duration.js'
import type { ActionAttempt, GuestReport, HostReport, RunReport, Verb } from '../core/report.js'
import { exitCodeDocs } from '../core/exit-codes.js'

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`)
}

type BarTone = 'ok' | 'warn' | 'fail' | 'muted' | 'host'

interface Bar {
  /** Host steps (reboot, wait_for_ssh, ...) get their own lane at the top of the host's row. */
  kind: 'guest' | 'host'
  guest: string
  guestKey: string
  action: Verb | string
  reason: ActionAttempt['reason']
  result: ActionAttempt['result'] | 'running' | 'skipped'
  start: number
  end: number
  error?: string
}

function tone(b: Pick<Bar, 'result' | 'reason' | 'kind'>): BarTone {
  if (b.result === 'failed') return 'fail'
  if (b.kind === 'host') return b.result === 'ok' ? 'host' : 'muted'
  if (b.result === 'timeout') return 'warn'
  if (b.result === 'interrupted' || b.result === 'running') return 'muted'
  return b.reason === 'primary' ? 'ok' : 'warn'
}

/** Bars from guest-action/guest-action-result events when given, else from the report's ActionAttempts. */
function collectBars(report: RunReport, events: readonly FleetEvent[] | undefined, endMs: number): Map<string, Bar[]> {
  const byHost = new Map<string, Bar[]>()
  const push = (host: string, bar: Bar) => {
    const list = byHost.get(host) ?? []
    list.push(bar)
    byHost.set(host, list)
  }
  const actionEvents = (events ?? []).filter((e) => e.type === 'guest-action' || e.type === 'guest-action-result')
  const open = new Map<string, Bar>()
  for (const e of events ?? []) {
    if (e.type !== 'host-step') continue
    const key = `${e.host}\u0000host\u0000${e.step}`
    if (e.status === 'started') {
      const bar: Bar = {
        kind: 'host',
        guest: 'host',
        guestKey: `${e.host}\u0000host`,
        action: e.step,
        reason: 'primary',
        result: 'running',
        start: Date.parse(e.at),
        end: endMs,
      }
      open.set(key, bar)
      push(e.host, bar)
    } else {
      const end = Date.parse(e.at)
      const bar = open.get(key) ?? {
        kind: 'host',
        guest: 'host',
        guestKey: `${e.host}\u0000host`,
        action: e.step,
        reason: 'primary',
        result: 'running',
        start: end - (e.durationMs ?? 0),
        end,
      }
      if (!open.has(key)) push(e.host, bar)
      open.delete(key)
      bar.result = e.status
      bar.end = end
      if (e.error) bar.error = e.error
    }
  }
  if (actionEvents.length > 0) {
    for (const e of actionEvents) {
      const key = `${e.host}\u0000${e.guest.uri}\u0000${e.guest.uuid || e.guest.name}`
      if (e.type === 'guest-action') {
        const bar: Bar = {
          kind: 'guest',
          guest: e.guest.name,
          guestKey: key,
          action: e.action,
          reason: e.reason,
          result: 'running',
          start: Date.parse(e.at),
          end: endMs,
        }
        open.set(`${key}\u0000${e.action}`, bar)
        push(e.host, bar)
      } else if (e.type === 'guest-action-result') {
        const bar = open.get(`${key}\u0000${e.action}`)
        if (!bar) continue
        open.delete(`${key}\u0000${e.action}`)
        bar.result = e.result
        bar.end = Date.parse(e.at)
        if (e.error) bar.error = e.error
      }
    }
  } else {
    for (const h of report.hosts) {
      for (const g of h.guests) {
        const key = `${h.host}\u0000${g.uri}\u0000${g.uuid || g.name}`
        for (const a of g.attempts) {
          const start = Date.parse(a.startedAt)
          const end = Number.isFinite(Date.parse(a.endedAt)) ? Date.parse(a.endedAt) : start + a.durationMs
          push(h.host, {
            kind: 'guest',
            guest: g.name,
            guestKey: key,
            action: a.action,
            reason: a.reason,
            result: a.result,
            start,
            end,
            ...(a.error ? { error: a.error } : {}),
          })
        }
      }
    }
  }
  // Runs cut short leave bars open: they end where the run ended.
  for (const bar of open.values()) bar.result = report.interrupted ? 'interrupted' : 'running'
  return byHost
}

const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400].map((s) => s * 1000)

function tickStep(spanMs: number, maxTicks: number): number {
  for (const s of TICK_STEPS_MS) if (spanMs / s <= maxTicks) return s
  return Math.ceil(spanMs / maxTicks / 86_400_000) * 86_400_000
}

function tickLabel(offsetMs: number, stepMs: number): string {
  if (offsetMs === 0) return '0'
  if (stepMs < 60_000)
    return offsetMs % 60_000 === 0
      ? `${offsetMs / 60_000}m`
      : offsetMs >= 60_000
        ? `${Math.floor(offsetMs / 60_000)}m${(offsetMs % 60_000) / 1000}s`
        : `${offsetMs / 1000}s`
  if (stepMs < 3_600_000)
    return offsetMs % 3_600_000 === 0
      ? `${offsetMs / 3_600_000}h`
      : offsetMs >= 3_600_000
        ? `${Math.floor(offsetMs / 3_600_000)}h${(offsetMs % 3_600_000) / 60_000}m`
        : `${offsetMs / 60_000}m`
  return `${Math.round((offsetMs / 3_600_000) * 10) / 10}h`
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`
}

const STATUS_TONE: Record<HostReport['status'], BarTone> = {
  ok: 'ok',
  partial: 'warn',
  unreachable: 'fail',
  failed: 'fail',
  skipped: 'muted',
  interrupted: 'muted',
}

function renderTimeline(report: RunReport, events: readonly FleetEvent[] | undefined): string {
  let t0 = Date.parse(report.startedAt)
  let t1 = Date.parse(report.endedAt)
  const bars = collectBars(report, events, Number.isFinite(t1) ? t1 : Date.now())
  const all = [...bars.values()].flat()
  if (!Number.isFinite(t0)) t0 = Math.min(...all.map((b) => b.start))
  if (!Number.isFinite(t1)) t1 = Math.max(...all.map((b) => b.end))
  for (const b of all) {
    t0 = Math.min(t0, b.start)
    t1 = Math.max(t1, b.end)
  }
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0) t1 = (Number.isFinite(t0) ? t0 : 0) + 1000
  if (!Number.isFinite(t0)) t0 = 0
  const span = t1 - t0

  const W = 1120
  const labelW = 190
  const padR = 24
  const plotW = W - labelW - padR
  const laneH = 18
  const rowPad = 8
  const axisH = 28
  const x = (t: number) => labelW + ((t - t0) / span) * plotW

  // Host order: the report's, then any host only seen in events.
  const hosts = report.hosts.map((h) => h.host)
  for (const h of bars.keys()) if (!hosts.includes(h)) hosts.push(h)

  const rows: string[] = []
  let y = axisH
  hosts.forEach((host, i) => {
    const hostBars = (bars.get(host) ?? []).sort((a, b) => a.start - b.start)
    const lanes: string[] = []
    const hostLane = hostBars.find((b) => b.kind === 'host')
    if (hostLane) lanes.push(hostLane.guestKey)
    for (const b of hostBars) if (!lanes.includes(b.guestKey)) lanes.push(b.guestKey)
    const guestLanes = lanes.length - (hostLane ? 1 : 0)
    const h = Math.max(1, lanes.length) * laneH + rowPad * 2
    const status = report.hosts.find((r) => r.host === host)?.status
    const parts: string[] = []
    parts.push(`<rect class="row-bg${i % 2 ? ' odd' : ''}" x="0" y="${y}" width="${W}" height="${h}"/>`)
    parts.push(`<text class="host-label" x="12" y="${y + rowPad + 13}"><title>${escapeHtml(host)}</title>${escapeHtml(truncate(host, 20))}</text>`)
    if (status) {
      parts.push(
        `<text class="host-status tone-${STATUS_TONE[status]}" x="12" y="${y + rowPad + 28}">${escapeHtml(status)}${guestLanes ? ` · ${guestLanes} guest${guestLanes > 1 ? 's' : ''}` : ''}</text>`,
      )
    }
    if (hostBars.length === 0) {
      parts.push(`<text class="no-actions" x="${labelW + 8}" y="${y + rowPad + 13}">no guest actions</text>`)
    }
    for (const b of hostBars) {
      const lane = lanes.indexOf(b.guestKey)
      const bx = x(b.start)
      const bw = Math.max(3, x(b.end) - bx)
      const by = y + rowPad + lane * laneH + 2
      const dur = formatDuration(Math.max(0, b.end - b.start))
      const tip = `${b.guest} — ${b.action}${b.reason !== 'primary' ? ` (${b.reason})` : ''}: ${b.result}, ${dur}${b.error ? `\n${b.error}` : ''}`
      // Label: "guest · action" on a lane's first bar, the action alone after it; inside the bar when it fits,
      // else after the lane's last bar, else truncated inside a bar wide enough for a few characters.
      const laneBars = hostBars.filter((o) => o.guestKey === b.guestKey)
      const first = laneBars[0] === b
      const last = laneBars[laneBars.length - 1] === b
      const label = b.kind === 'host' || !first ? b.action : `${b.guest} · ${b.action}`
      const textW = label.length * 6.3 + 10
      let inner = ''
      if (bw >= textW || (bw > 44 && !(last && bx + bw + textW < W))) {
        inner = `<text class="bar-label" x="${(bx + 5).toFixed(1)}" y="${by + 10.5}">${escapeHtml(truncate(label, Math.floor((bw - 8) / 6.3)))}</text>`
      } else if (last) {
        inner = `<text class="bar-label-out" x="${(bx + bw + 5).toFixed(1)}" y="${by + 10.5}">${escapeHtml(truncate(label, 48))}</text>`
      }
      parts.push(
        `<g class="bar ${b.kind}-bar tone-${tone(b)}" data-guest="${escapeHtml(b.guest)}" data-action="${escapeHtml(b.action)}" data-result="${escapeHtml(b.result)}"><title>${escapeHtml(tip)}</title><rect x="${bx.toFixed(1)}" y="${by}" width="${bw.toFixed(1)}" height="${laneH - 4}" rx="3"/>${inner}</g>`,
      )
    }
    rows.push(`<g class="host-row" data-host="${escapeHtml(host)}" data-lanes="${lanes.length}">${parts.join('')}</g>`)
    y += h
  })

  const step = tickStep(span, 10)
  const ticks: string[] = []
  for (let off = 0; off <= span + 1; off += step) {
    const tx = x(t0 + off)
    ticks.push(`<line class="grid" x1="${tx.toFixed(1)}" y1="${axisH - 6}" x2="${tx.toFixed(1)}" y2="${y}"/>`)
    ticks.push(`<text class="tick" x="${tx.toFixed(1)}" y="${axisH - 10}">${escapeHtml(tickLabel(off, step))}</text>`)
  }
  const height = y + 6
  return `<svg class="timeline" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="Timeline of guest actions per host">
<g class="axis">${ticks.join('')}</g>
${rows.join('\n')}
<line class="axis-line" x1="${labelW}" y1="${axisH - 6}" x2="${W - padR}" y2="${axisH - 6}"/>
</svg>`
}

function attemptsText(g: GuestReport): string {
  if (g.attempts.length === 0) return g.plan?.length ? `planned: ${g.plan.join(' → ')}` : '—'
  return g.attempts
    .map((a) => {
      const mark = a.result === 'ok' ? '✓' : a.result === 'timeout' ? '✗ timeout' : a.result === 'interrupted' ? '■ interrupted' : '✗'
      return `${a.action} ${mark} ${formatDuration(a.durationMs)}`
    })
    .join(' → ')
}

function guestTone(g: GuestReport): BarTone {
  if (!g.ok) return g.outcome === 'interrupted' || g.outcome === 'planned' ? 'muted' : 'fail'
  return g.attempts.some((a) => a.result !== 'ok' || a.reason !== 'primary') ? 'warn' : 'ok'
}

function renderTable(report: RunReport): string {
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
        `<tr${i === 0 ? ' class="host-first"' : ''}>${i === 0 ? hostCell(h.guests.length) : ''}<td class="guest">${escapeHtml(g.name)}<div class="muted small">${escapeHtml(g.initialState)}${g.finalState ? ` → ${escapeHtml(g.finalState)}` : ''}</div></td><td><span class="pill tone-${guestTone(g)}">${escapeHtml(g.outcome)}</span></td><td class="attempts">${escapeHtml(attemptsText(g))}</td><td class="num">${escapeHtml(formatDuration(g.durationMs))}</td><td class="err">${escapeHtml(g.error ?? g.note ?? '')}</td></tr>`,
      )
    })
  }
  return `<table class="summary"><thead><tr><th>Host</th><th>Guest</th><th>Outcome</th><th>Attempts</th><th class="num">Duration</th><th>Error / note</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2433;--muted:#6b7280;--line:#e3e6eb;--row:#fbfcfd;--ok:#2f9e57;--host:#4f6bd8;--warn:#e0a100;--fail:#d64040;--mutedc:#9aa3ae;
--ok-bg:#e6f6ec;--warn-bg:#fff5d6;--fail-bg:#fde8e8;--muted-bg:#eef0f3;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#12151b;--card:#1a1f27;--fg:#e6e9ef;--muted:#9aa3ae;--line:#2b323d;--row:#1d232c;--ok-bg:#17352379;--warn-bg:#3a300f;--fail-bg:#3d1b1b;--muted-bg:#262c35}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font-size:14px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-bottom:18px;box-shadow:0 1px 2px #0000000a}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;color:var(--muted);font-size:13px}.meta b{color:var(--fg);font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.exit{display:flex;align-items:center;gap:12px;margin-top:14px;padding:10px 12px;border-radius:8px}
.exit .code{font:700 22px ui-monospace,monospace;min-width:2.2em;text-align:center}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin-top:14px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}.tile .n{font-size:22px;font-weight:700}.tile .l{color:var(--muted);font-size:12px}
.pill{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.tone-ok{color:var(--ok)}.tone-warn{color:#a87900}.tone-fail{color:var(--fail)}.tone-muted{color:var(--mutedc)}
.pill.tone-ok,.exit.tone-ok{background:var(--ok-bg)}.pill.tone-warn,.exit.tone-warn{background:var(--warn-bg)}.pill.tone-fail,.exit.tone-fail{background:var(--fail-bg)}.pill.tone-muted,.exit.tone-muted{background:var(--muted-bg)}
.timeline-wrap{overflow-x:auto}
svg.timeline{display:block;font-size:12px;max-width:100%;height:auto}
svg .row-bg{fill:var(--card)}svg .row-bg.odd{fill:var(--row)}
svg .host-label{font-weight:600;fill:var(--fg);font-size:13px}svg .host-status{font-size:11px}
svg .tick{fill:var(--muted);text-anchor:middle;font-size:11px}svg .grid{stroke:var(--line);stroke-width:1}svg .axis-line{stroke:var(--muted);stroke-width:1}
svg .no-actions{fill:var(--mutedc);font-style:italic}
svg .bar rect{stroke:#00000022;stroke-width:1}svg .bar-label{fill:#fff;font-size:10.5px;font-weight:600;pointer-events:none}svg .bar-label-out{fill:var(--muted);font-size:10.5px;pointer-events:none}
svg .bar.tone-ok rect{fill:var(--ok)}svg .bar.tone-warn rect{fill:var(--warn)}svg .bar.tone-fail rect{fill:var(--fail)}svg .bar.tone-muted rect{fill:var(--mutedc)}
svg .bar.tone-host rect{fill:var(--host)}svg .bar.tone-warn .bar-label{fill:#3b2c00}svg .bar:hover rect{stroke:var(--fg);stroke-width:1.5}
svg .host-status.tone-ok{fill:var(--ok)}svg .host-status.tone-warn{fill:#a87900}svg .host-status.tone-fail{fill:var(--fail)}svg .host-status.tone-muted{fill:var(--mutedc)}
.legend{display:flex;gap:16px;margin-top:10px;color:var(--muted);font-size:12px;flex-wrap:wrap}.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;vertical-align:-2px;margin-right:5px}
table.summary{width:100%;border-collapse:collapse;font-size:13px}
table.summary th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;border-bottom:2px solid var(--line);padding:6px 8px}
table.summary td{border-bottom:1px solid var(--line);padding:7px 8px;vertical-align:top}
table.summary tr.host-first td{border-top:2px solid var(--line)}
td.host{background:var(--row);min-width:150px}.host-name{font-weight:600;word-break:break-all}
td.guest{font-family:ui-monospace,monospace;word-break:break-all}td.attempts{font-family:ui-monospace,monospace;font-size:12px}
.num{text-align:right;white-space:nowrap}.err{color:var(--fail);word-break:break-word}.muted{color:var(--muted)}.small{font-size:12px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px}
`

function fmtTime(iso: string): string {
  const d = new Date(iso)
  return Number.isFinite(d.getTime())
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : iso
}

/** Render a self-contained HTML page for a run. `events` (from the journal) give exact bar timings when present. */
export function renderHtmlReport(report: RunReport, events?: readonly FleetEvent[]): string {
  const meaning = exitCodeDocs.find(([c]) => c === report.exitCode)?.[1] ?? 'unknown exit code'
  const exitTone: BarTone = report.exitCode === 0 ? 'ok' : report.exitCode === 2 || report.exitCode === 3 ? 'warn' : report.exitCode === 130 ? 'muted' : 'fail'
  const s = report.summary
  const tile = (n: number, label: string, t?: BarTone) =>
    `<div class="tile"><div class="n${t && n > 0 ? ` tone-${t}` : ''}">${n}</div><div class="l">${escapeHtml(label)}</div></div>`
  const title = `virtfleet ${report.command} — ${report.runId}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<section class="card" id="header">
<h1>virtfleet ${escapeHtml(report.command)}${report.check ? ' <span class="pill tone-muted">check (dry run)</span>' : ''}${report.interrupted ? ' <span class="pill tone-muted">interrupted</span>' : ''}</h1>
<div class="meta"><span>run <b><code>${escapeHtml(report.runId)}</code></b></span><span>started <b>${escapeHtml(fmtTime(report.startedAt))}</b></span><span>ended <b>${escapeHtml(fmtTime(report.endedAt))}</b></span><span>duration <b>${escapeHtml(formatDuration(report.durationMs))}</b></span></div>
<div class="exit tone-${exitTone}" id="exit-code"><span class="code">${escapeHtml(report.exitCode)}</span><span>exit code: ${escapeHtml(meaning)}</span></div>
<div class="tiles">${tile(s.hosts, 'hosts')}${tile(s.hostsOk, 'hosts ok', 'ok')}${tile(s.hostsFailed, 'hosts failed / partial', 'fail')}${tile(s.hostsUnreachable, 'hosts unreachable', 'fail')}${tile(s.guests, 'guests')}${tile(s.guestsOk, 'guests ok', 'ok')}${tile(s.guestsFailed, 'guests not ok', 'fail')}</div>
</section>
<section class="card" id="timeline">
<h2>Timeline</h2>
<div class="timeline-wrap">${renderTimeline(report, events)}</div>
<div class="legend"><span><i style="background:var(--ok)"></i>ok</span><span><i style="background:var(--warn)"></i>fallback or timeout</span><span><i style="background:var(--fail)"></i>failed</span><span><i style="background:var(--mutedc)"></i>interrupted / unfinished</span><span><i style="background:var(--host)"></i>host step (reboot, wait for SSH, …)</span><span>Hover a bar for details.</span></div>
</section>
<section class="card" id="summary">
<h2>Hosts and guests</h2>
${renderTable(report)}
</section>
<footer>Generated by virtfleet. Times are UTC.</footer>
</main>
</body>
</html>
`
}
