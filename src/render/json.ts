// The `--json` output: the RunReport with keys in the order of the report types (not insertion order),
// so two runs diff cleanly. Unknown extra keys are kept, sorted, after the known ones; undefined is dropped.

import type { RunReport } from '../core/report.js'

type Shape = { keys: readonly string[]; children?: Record<string, Shape | { items: Shape }> }

const ATTEMPT: Shape = { keys: ['action', 'reason', 'result', 'startedAt', 'endedAt', 'durationMs', 'error'] }
const GUEST: Shape = {
  keys: ['name', 'uuid', 'uri', 'initialState', 'finalState', 'persistent', 'outcome', 'ok', 'durationMs', 'inSavedList', 'plan', 'note', 'error', 'attempts'],
  children: { attempts: { items: ATTEMPT } },
}
const HOST: Shape = {
  keys: ['host', 'status', 'error', 'durationMs', 'predicted', 'savedList', 'warnings', 'guests'],
  children: { savedList: { keys: ['path', 'entries'] }, predicted: { keys: ['durationMs', 'withoutHistory'] }, guests: { items: GUEST } },
}
const REPORT: Shape = {
  keys: ['command', 'runId', 'check', 'startedAt', 'endedAt', 'durationMs', 'predicted', 'exitCode', 'interrupted', 'summary', 'hosts'],
  children: {
    summary: { keys: ['hosts', 'hostsOk', 'hostsFailed', 'hostsUnreachable', 'guests', 'guestsOk', 'guestsFailed'] },
    hosts: { items: HOST },
  },
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function order(value: unknown, shape: Shape | { items: Shape } | undefined): unknown {
  if (Array.isArray(value)) {
    const item = shape && 'items' in shape ? shape.items : undefined
    return value.map((v) => order(v, item))
  }
  if (!isRecord(value)) return value
  const s = shape && 'keys' in shape ? shape : undefined
  const known = s?.keys ?? []
  const extra = Object.keys(value)
    .filter((k) => !known.includes(k))
    .sort()
  const out: Record<string, unknown> = {}
  for (const k of [...known, ...extra]) {
    const v = value[k]
    if (v === undefined) continue
    out[k] = order(v, s?.children?.[k])
  }
  return out
}

/** The report as pretty JSON (2-space indent, stable key order, no trailing newline). */
export function reportToJson(report: RunReport): string {
  return JSON.stringify(order(report, REPORT), null, 2)
}
