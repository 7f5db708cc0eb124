// The placement plan of an evacuation as text and as JSON, for `evacuate --check` (and `--evacuate --check`): per
// guest its destination or what happens instead and why, then the expected load of every destination and the
// hosts left out. Pure.

import type { PlacementPlan } from '../engine/placement.js'

const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`
const usedPercent = (d: { memoryKiB: number; leftKiB: number }) => (d.memoryKiB > 0 ? Math.round(((d.memoryKiB - d.leftKiB) / d.memoryKiB) * 100) : 0)

/** One host's placement check: its plan, or why it could not be planned. */
export interface HostPlacementCheck {
  host: string
  plan?: PlacementPlan
  /** Hosts left out as destinations (in maintenance, locked, unusable). */
  refused: ReadonlyArray<{ host: string; reason: string }>
  error?: string
}

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
    const pct = usedPercent(d)
    if (d.refusal) {
      lines.push(`  not a destination: ${d.host} (${d.refusal})`)
      continue
    }
    lines.push(
      `  destination ${d.host}: ${mib(d.availableKiB)} free of ${mib(d.memoryKiB)} → ${mib(d.leftKiB)} after (${pct} % used), ${d.vcpus}/${d.vcpuCap} vCPUs${d.guests.length ? `; takes ${d.guests.join(', ')}` : ''}`,
    )
  }
  for (const r of refused) lines.push(`  not a destination: ${r.host} (${r.reason})`)
  return lines.join('\n')
}

/** The same plans as data: per guest `action` (migrate, stop, suspend, blocked) with `destination` or `reason`. */
export function placementToJson(checks: readonly HostPlacementCheck[]): Record<string, unknown> {
  return {
    ok: checks.every((c) => c.plan && !c.plan.placements.some((p) => p.kind === 'blocked')),
    hosts: checks.map((c) => ({
      host: c.host,
      ...(c.error !== undefined ? { error: c.error } : {}),
      guests: (c.plan?.placements ?? []).map((p) => ({
        name: p.guest.name,
        uuid: p.guest.uuid,
        memoryKiB: p.guest.memoryKiB,
        vcpus: p.guest.vcpus,
        strategy: p.guest.strategy,
        action: p.kind,
        ...(p.kind === 'migrate' ? { destination: p.destination } : { reason: p.reason }),
      })),
      destinations: (c.plan?.destinations ?? []).map((d) => ({
        host: d.host,
        ...(d.refusal ? { refusal: d.refusal } : {}),
        memoryKiB: d.memoryKiB,
        availableKiB: d.availableKiB,
        afterKiB: d.leftKiB,
        headroomPercent: Math.round(d.headroom * 1000) / 10,
        usedPercentAfter: usedPercent(d),
        vcpus: d.vcpus,
        vcpuCap: d.vcpuCap,
        guests: d.guests,
      })),
      notDestinations: c.refused.map((r) => ({ host: r.host, reason: r.reason })),
    })),
  }
}
