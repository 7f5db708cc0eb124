// The report's timeline: bars (one per guest action attempt, host step or live migration) from the journal's events
// when given, else from the report's attempts, laid out as an SVG with one row per host and one lane per guest.
// A migration is drawn in the guest's lane of the host whose step moved it, labelled with its destination
// (`→ hv3`). Pure strings; every text goes through escapeHtml.

import type { FleetEvent } from '../core/events.js'
import { formatDuration } from '../core/duration.js'
import type { ActionAttempt, GuestRef, RunReport, Verb } from '../core/report.js'
import { escapeHtml, STATUS_TONE, type Tone } from './html-style.js'

interface Bar {
  /** Host steps (reboot, wait_for_ssh, ...) get their own lane at the top of the host's row. */
  kind: 'guest' | 'host' | 'migration'
  guest: string
  guestKey: string
  action: Verb | string
  reason: ActionAttempt['reason']
  result: ActionAttempt['result'] | 'running' | 'skipped'
  start: number
  end: number
  error?: string
  /** A migration's destination host. */
  destination?: string
}

function tone(b: Pick<Bar, 'result' | 'reason' | 'kind'>): Tone {
  if (b.result === 'failed') return 'fail'
  if (b.kind === 'host') return b.result === 'ok' ? 'host' : 'muted'
  if (b.kind === 'migration') return b.result === 'ok' ? 'ok' : 'muted'
  if (b.result === 'timeout') return 'warn'
  if (b.result === 'interrupted' || b.result === 'running') return 'muted'
  return b.reason === 'primary' ? 'ok' : 'warn'
}

/** A host step's bar (reboot, wait_for_ssh, ...): its own lane at the top of the host's row. */
function hostStepBar(host: string, step: string, start: number, end: number): Bar {
  return { kind: 'host', guest: 'host', guestKey: `${host}\u0000host`, action: step, reason: 'primary', result: 'running', start, end }
}

/** A guest action attempt's bar, in the guest's lane. */
function guestBar(host: string, g: GuestRef, attempt: Pick<Bar, 'action' | 'reason' | 'result' | 'start' | 'end' | 'error'>): Bar {
  return { kind: 'guest', guest: g.name, guestKey: `${host}\u0000${g.uri}\u0000${g.uuid || g.name}`, ...attempt }
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
      const bar = hostStepBar(e.host, e.step, Date.parse(e.at), endMs)
      open.set(key, bar)
      push(e.host, bar)
    } else {
      // A step seen only at its end (the journal started later) is drawn back from its duration.
      const end = Date.parse(e.at)
      const bar = open.get(key) ?? hostStepBar(e.host, e.step, end - (e.durationMs ?? 0), end)
      if (!open.has(key)) push(e.host, bar)
      open.delete(key)
      bar.result = e.status
      bar.end = end
      if (e.error) bar.error = e.error
    }
  }
  if (actionEvents.length > 0) {
    for (const e of actionEvents) {
      const key = `${e.host}\u0000${e.guest.uri}\u0000${e.guest.uuid || e.guest.name}\u0000${e.action}`
      if (e.type === 'guest-action') {
        const bar = guestBar(e.host, e.guest, { action: e.action, reason: e.reason, result: 'running', start: Date.parse(e.at), end: endMs })
        open.set(key, bar)
        push(e.host, bar)
      } else if (e.type === 'guest-action-result') {
        const bar = open.get(key)
        if (!bar) continue
        open.delete(key)
        bar.result = e.result
        bar.end = Date.parse(e.at)
        if (e.error) bar.error = e.error
      }
    }
  } else {
    for (const h of report.hosts) {
      for (const g of h.guests) {
        for (const a of g.attempts) {
          const start = Date.parse(a.startedAt)
          const end = Number.isFinite(Date.parse(a.endedAt)) ? Date.parse(a.endedAt) : start + a.durationMs
          push(h.host, guestBar(h.host, g, { action: a.action, reason: a.reason, result: a.result, start, end, ...(a.error ? { error: a.error } : {}) }))
        }
      }
    }
  }
  for (const e of events ?? []) {
    if (e.type !== 'migration' || e.status === 'progress') continue
    const key = `${e.host}\u0000${e.guest.uri}\u0000${e.guest.uuid || e.guest.name}\u0000migration`
    if (e.status === 'started') {
      // On the row of the host whose step moved it: away (`→ hv3`) and back home (`hv3 → hv1`) share one lane.
      const action = e.source === e.host ? `→ ${e.destination}` : `${e.source} → ${e.destination}`
      const bar: Bar = {
        ...guestBar(e.host, e.guest, { action, reason: 'primary', result: 'running', start: Date.parse(e.at), end: endMs }),
        kind: 'migration',
        destination: e.destination,
      }
      open.set(key, bar)
      push(e.host, bar)
    } else {
      const bar = open.get(key)
      if (!bar) continue
      open.delete(key)
      bar.result = e.status === 'migrated' ? 'ok' : 'failed'
      bar.end = Date.parse(e.at)
      if (e.error) bar.error = e.error
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

/** "90s" as "1m30s": whole big units, then the rest in small units (or the small unit alone below one big unit). */
function mixedUnits(ms: number, big: number, bigName: string, small: number, smallName: string): string {
  if (ms % big === 0) return `${ms / big}${bigName}`
  return ms >= big ? `${Math.floor(ms / big)}${bigName}${(ms % big) / small}${smallName}` : `${ms / small}${smallName}`
}

function tickLabel(offsetMs: number, stepMs: number): string {
  if (offsetMs === 0) return '0'
  if (stepMs < 60_000) return mixedUnits(offsetMs, 60_000, 'm', 1000, 's')
  if (stepMs < 3_600_000) return mixedUnits(offsetMs, 3_600_000, 'h', 60_000, 'm')
  return `${Math.round((offsetMs / 3_600_000) * 10) / 10}h`
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`
}

/** The SVG timeline: one row per host, one lane per guest (host steps on top), a bar per attempt, a time axis. */
export function renderTimeline(report: RunReport, events: readonly FleetEvent[] | undefined): string {
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
      const tip = `${b.guest} — ${b.kind === 'migration' ? `live migration ${b.action}` : b.action}${b.reason !== 'primary' ? ` (${b.reason})` : ''}: ${b.result}, ${dur}${b.error ? `\n${b.error}` : ''}`
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
        `<g class="bar ${b.kind}-bar tone-${tone(b)}" data-guest="${escapeHtml(b.guest)}" data-action="${escapeHtml(b.action)}" data-result="${escapeHtml(b.result)}"${b.destination !== undefined ? ` data-destination="${escapeHtml(b.destination)}"` : ''}><title>${escapeHtml(tip)}</title><rect x="${bx.toFixed(1)}" y="${by}" width="${bw.toFixed(1)}" height="${laneH - 4}" rx="3"/>${inner}</g>`,
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
