// `virtfleet status` output: the fleet's guests as one table (or JSON), and the exit code that says whether every
// host answered. Rendering only; collecting the views is the engine's job.

import { ExitCode } from '../core/exit-codes.js'
import type { HostStatusView } from '../engine/status.js'
import { renderTable } from '../render/table.js'

const HEADER = ['HOST', 'GUEST', 'STATE', 'PERSISTENT', 'MANAGED SAVE', 'SAVED', 'URI / NOTE']

export function statusRows(views: readonly HostStatusView[]): string[][] {
  const rows: string[][] = []
  for (const v of views) {
    if (!v.reachable) {
      rows.push([v.host, '-', 'UNREACHABLE', '', '', '', v.error ?? ''])
      continue
    }
    if (v.guests.length === 0 && v.missing.length === 0) rows.push([v.host, '(no guests)', '', '', '', '', ''])
    for (const g of v.guests)
      rows.push([v.host, g.name, g.state, g.persistent ? 'yes' : 'transient', g.managedSave ? 'yes' : '', g.inSavedList ? 'yes' : '', g.uri])
    for (const e of v.missing) rows.push([v.host, e.name, 'undefined', '', '', 'yes', `${e.uri} (listed, not defined on host)`])
  }
  return rows
}

/** Print the views and return the exit code: 3 when a host could not be reached. */
export function printStatus(views: readonly HostStatusView[], o: { json: boolean; stdout?: NodeJS.WritableStream }): number {
  const out = o.stdout ?? process.stdout
  out.write(o.json ? JSON.stringify({ hosts: views }, null, 2) + '\n' : renderTable(HEADER, statusRows(views)) + '\n')
  return views.some((v) => !v.reachable) ? ExitCode.unreachable : ExitCode.ok
}
