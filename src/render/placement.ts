// The placement plan of an evacuation as text, for `evacuate --check`: per guest its destination or what happens
// instead and why, then the expected load of every destination and the hosts left out. Pure.

import type { PlacementPlan } from '../engine/placement.js'

const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`

export function formatPlacement(host: string, plan: PlacementPlan, refused: ReadonlyArray<{ host: string; reason: string }>): string {
  const lines: string[] = [`${host}: ${plan.placements.length} running guest(s)`]
  for (const p of plan.placements) {
    const g = p.guest
    const what = `${g.name} (${mib(g.memoryKiB)}, ${g.vcpus} vCPU, ${g.strategy})`
    if (p.kind === 'migrate') lines.push(`  ${what} → ${p.destination}`)
    else if (p.kind === 'blocked') lines.push(`  ${what} BLOCKED, stays running: ${p.reason}`)
    else lines.push(`  ${what} ${p.kind === 'stop' ? 'stop (saved list)' : 'suspend (saved list)'}: ${p.reason}`)
  }
  for (const d of plan.destinations) {
    const pct = d.memoryKiB > 0 ? Math.round(((d.memoryKiB - d.leftKiB) / d.memoryKiB) * 100) : 0
    lines.push(
      `  destination ${d.host}: ${mib(d.availableKiB)} free of ${mib(d.memoryKiB)} → ${mib(d.leftKiB)} after (${pct} % used), ${d.vcpus}/${d.vcpuCap} vCPUs${d.guests.length ? `; takes ${d.guests.join(', ')}` : ''}`,
    )
  }
  for (const r of refused) lines.push(`  not a destination: ${r.host} (${r.reason})`)
  return lines.join('\n')
}
