// The CI / no-TTY renderer: one timestamped line per event, readable in a build log. Deterministic: the only
// inputs are the events (timestamps come from event.at), so the same run always prints the same lines.

import { formatDuration } from '../core/duration.js'
import type { EventBus, FleetEvent } from '../core/events.js'
import type { GuestRef, Verb } from '../core/report.js'
import type { AttachedRenderer } from './types.js'
import { exitLine, guestCountsLine, guestResultText, hostCountsLine, outcomeCounts, predictionLine } from './words.js'

const MAX_LISTED_HOSTS = 10

function key(host: string, g: GuestRef): string {
  return `${host}\u0000${g.uri}\u0000${g.uuid}`
}

function ms(from: string | undefined, to: string): number | undefined {
  if (from === undefined) return undefined
  const d = Date.parse(to) - Date.parse(from)
  return Number.isFinite(d) && d >= 0 ? d : undefined
}

/** Turns events into log lines; keeps just enough state (plans, action start times) to say "after 30.0s → destroy". */
export class PlainFormatter {
  private plans = new Map<string, Verb[]>()
  private started = new Map<string, { action: Verb; at: string }>()
  /** Last quarter of a migration's progress printed, by guest UUID. */
  private quarters = new Map<string, number>()

  format(e: FleetEvent): string[] {
    const lines = this.describe(e)
    return lines.map((l) => `${e.at} ${l}`)
  }

  private describe(e: FleetEvent): string[] {
    switch (e.type) {
      case 'run-start': {
        const listed = e.hosts.slice(0, MAX_LISTED_HOSTS).join(', ')
        const more = e.hosts.length > MAX_LISTED_HOSTS ? `, … ${e.hosts.length - MAX_LISTED_HOSTS} more` : ''
        const hosts = e.hosts.length === 0 ? 'no hosts' : `${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'} (${listed}${more})`
        return [`run ${e.runId}: ${e.command}${e.check ? ' --check' : ''} on ${hosts}`]
      }
      case 'host-start':
        return [`${e.host} connecting`]
      case 'host-connected':
        return [`${e.host} connected`]
      case 'host-planned': {
        for (const g of e.guests) this.plans.set(key(e.host, g), g.plan)
        if (e.guests.length === 0) return [`${e.host} plan: no guests to act on`]
        const list = e.guests.map((g) => `${g.name} (${g.plan.length > 0 ? g.plan.join(' → ') : 'nothing'})`).join(', ')
        return [`${e.host} plan: ${e.guests.length} guest${e.guests.length === 1 ? '' : 's'}: ${list}`]
      }
      case 'saved-list-written':
        return [`${e.host} saved list written: ${e.path} (${e.entries} entr${e.entries === 1 ? 'y' : 'ies'})`]
      case 'guest-action':
        this.started.set(key(e.host, e.guest), { action: e.action, at: e.at })
        return [`${e.host} ${e.guest.name} ${e.action}: started (${e.reason})`]
      case 'guest-action-result': {
        const k = key(e.host, e.guest)
        const start = this.started.get(k)
        const d = ms(start?.action === e.action ? start.at : undefined, e.at)
        let text = `${e.host} ${e.guest.name} ${e.action}: ${e.result}`
        if (d !== undefined) text += ` after ${formatDuration(d)}`
        if (e.error) text += `: ${e.error}`
        if (e.result === 'failed' || e.result === 'timeout') {
          // The plan says what the engine tries next; say it here so the log reads as a story.
          const plan = this.plans.get(k)
          const next = plan ? plan[plan.indexOf(e.action) + 1] : undefined
          if (plan && plan.includes(e.action) && next) text += ` → ${next} (fallback)`
        }
        return [text]
      }
      case 'guest-done': {
        const g = e.guest
        this.started.delete(key(e.host, g))
        let text = `${e.host} ${g.name} done: ${guestResultText(g)}`
        if (g.note) text += ` (${g.note})`
        if (g.error) text += `: ${g.error}`
        return [text]
      }
      case 'host-done': {
        const r = e.report
        const head = r.status === 'ok' ? `${e.host} done` : `${e.host} ${r.status}`
        let text =
          r.guests.length > 0
            ? `${head}: ${outcomeCounts(r.guests)} in ${formatDuration(r.durationMs)}`
            : r.status === 'ok'
              ? `${head}: no guests in ${formatDuration(r.durationMs)}`
              : `${head} after ${formatDuration(r.durationMs)}`
        if (r.predicted) text += ` (predicted ${formatDuration(r.predicted.durationMs)})`
        if (r.error) text += `: ${r.error}`
        return [text]
      }
      case 'host-step': {
        let text = `${e.host} ${e.step}: ${e.status}`
        if (e.durationMs !== undefined && e.status !== 'started') text += ` after ${formatDuration(e.durationMs)}`
        if (e.detail) text += ` (${e.detail})`
        if (e.error) text += `: ${e.error}`
        return [text]
      }
      case 'migration': {
        const what = `${e.host} ${e.guest.name} migrate ${e.source} → ${e.destination}`
        if (e.status === 'started') return [`${what}: started`]
        // A CI log gets a line per quarter, not one per poll.
        if (e.status === 'progress') {
          const q = Math.floor((e.percent ?? 0) / 25)
          if (q === 0 || q <= (this.quarters.get(e.guest.uuid) ?? 0)) return []
          this.quarters.set(e.guest.uuid, q)
          return [`${what}: ${e.percent} %`]
        }
        this.quarters.delete(e.guest.uuid)
        const facts = [
          e.durationMs !== undefined ? `in ${formatDuration(e.durationMs)}` : '',
          e.downtimeMs !== undefined ? `downtime ${e.downtimeMs} ms` : '',
          e.bytes !== undefined ? `${Math.round(e.bytes / 1048576)} MiB` : '',
        ].filter(Boolean)
        return [`${what}: ${e.status}${facts.length ? ` (${facts.join(', ')})` : ''}${e.error ? `: ${e.error}` : ''}`]
      }
      case 'batch':
        return [`batch ${e.index + 1}/${e.of} ${e.status}${e.status === 'started' ? `: ${e.hosts.join(', ')}` : ''}`]
      case 'log':
        return [`${e.host ?? 'run'} ${e.level}: ${e.message}`]
      case 'run-done': {
        const r = e.report
        return [
          `run ${r.runId} ${r.interrupted ? 'interrupted' : 'done'} in ${formatDuration(r.durationMs)}${r.check ? ' (check only: nothing was changed)' : ''}`,
          ...[predictionLine(r)].filter((x): x is string => x !== undefined),
          hostCountsLine(r),
          guestCountsLine(r),
          exitLine(r),
        ]
      }
      default:
        return []
    }
  }
}

/** Subscribe a line writer to the bus. Never throws into the engine. */
export function attachPlainLog(bus: EventBus, write: (line: string) => void): AttachedRenderer {
  const f = new PlainFormatter()
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  const off = bus.on((e) => {
    try {
      for (const line of f.format(e)) write(line)
    } catch {
      // a broken log writer must not break the run
    }
    if (e.type === 'run-done') stop()
  })
  function stop(): void {
    off()
    resolve()
  }
  return { done, stop }
}
