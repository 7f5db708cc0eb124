// Placement for evacuation, decided before anything moves: for every guest of the hosts being drained, a
// destination or a blocker with its reason. Pure: facts in (capacity of each destination, needs of each guest),
// plan out. Deterministic: biggest guests first, each to the destination with the most memory left after it
// (ties by name), never beyond the memory headroom or the vCPU overcommit cap, never a host being drained.

export type EvacuationStrategy = 'migrate' | 'migrate-or-stop' | 'stop' | 'suspend'
export const EVACUATION_STRATEGIES: readonly EvacuationStrategy[] = ['migrate', 'migrate-or-stop', 'stop', 'suspend']

export interface DestinationFacts {
  host: string
  cpus: number
  memoryKiB: number
  availableKiB: number
  /** vCPUs of the guests already running there. */
  runningVcpus: number
  /** This destination's own headroom / overcommit cap (its inventory vars); else the plan's options. */
  headroom?: number
  vcpuOvercommit?: number
  /** Why this destination cannot take guests of this plan (e.g. not reachable from the source): listed, never picked. */
  refusal?: string
}

export interface GuestFacts {
  host: string
  name: string
  uuid: string
  memoryKiB: number
  vcpus: number
  strategy: EvacuationStrategy
  /** Disks not on shared storage (need --copy-storage). */
  localDisks: string[]
  /** Devices that cannot migrate (host device passthrough and the like). */
  pinnedDevices: string[]
  /** Destinations whose CPU cannot run this guest's CPU (hypervisor-cpu-compare said incompatible). */
  cpuIncompatible: string[]
}

export interface PlacementOptions {
  /** Fraction of a destination's memory that stays free (default 0.10). */
  headroom: number
  /** vCPUs per physical CPU allowed on a destination (default 4). */
  vcpuOvercommit: number
  copyStorage: boolean
}

export type GuestPlacement =
  | { guest: GuestFacts; kind: 'migrate'; destination: string }
  | { guest: GuestFacts; kind: 'stop' | 'suspend'; reason: string }
  | { guest: GuestFacts; kind: 'blocked'; reason: string }

export interface DestinationLoad {
  host: string
  memoryKiB: number
  /** Available memory before the plan, and what the plan leaves. */
  availableKiB: number
  leftKiB: number
  /** The fraction of its memory that stays free, and that memory. */
  headroom: number
  reserveKiB: number
  vcpus: number
  vcpuCap: number
  guests: string[]
  refusal?: string
}

export interface PlacementPlan {
  placements: GuestPlacement[]
  destinations: DestinationLoad[]
}

export const DEFAULT_PLACEMENT: PlacementOptions = { headroom: 0.1, vcpuOvercommit: 4, copyStorage: false }

const MiB = (kib: number) => `${Math.round(kib / 1024)} MiB`
const percent = (fraction: number) => Math.round(fraction * 1000) / 10

export function planPlacement(
  guests: readonly GuestFacts[],
  destinations: readonly DestinationFacts[],
  o: PlacementOptions = DEFAULT_PLACEMENT,
): PlacementPlan {
  const draining = new Set(guests.map((g) => g.host))
  const loads = new Map<string, DestinationLoad>()
  for (const d of [...destinations].sort((a, b) => a.host.localeCompare(b.host))) {
    if (draining.has(d.host)) continue
    loads.set(d.host, {
      host: d.host,
      memoryKiB: d.memoryKiB,
      availableKiB: d.availableKiB,
      leftKiB: d.availableKiB,
      headroom: d.headroom ?? o.headroom,
      reserveKiB: Math.ceil(d.memoryKiB * (d.headroom ?? o.headroom)),
      vcpus: d.runningVcpus,
      vcpuCap: Math.floor(d.cpus * (d.vcpuOvercommit ?? o.vcpuOvercommit)),
      guests: [],
      ...(d.refusal ? { refusal: d.refusal } : {}),
    })
  }
  const placements: GuestPlacement[] = []
  const order = [...guests].sort((a, b) => b.memoryKiB - a.memoryKiB || a.host.localeCompare(b.host) || a.name.localeCompare(b.name))
  for (const g of order) {
    if (g.strategy === 'stop' || g.strategy === 'suspend') {
      placements.push({ guest: g, kind: g.strategy, reason: `strategy ${g.strategy}` })
      continue
    }
    const blocker = staticBlocker(g, o)
    const fallback = (reason: string): GuestPlacement =>
      g.strategy === 'migrate-or-stop' ? { guest: g, kind: 'stop', reason } : { guest: g, kind: 'blocked', reason }
    if (blocker) {
      placements.push(fallback(blocker))
      continue
    }
    const why: string[] = []
    let best: DestinationLoad | undefined
    for (const d of loads.values()) {
      if (d.refusal) why.push(`${d.host}: ${d.refusal}`)
      else if (g.cpuIncompatible.includes(d.host)) why.push(`${d.host}: CPU incompatible`)
      else if (d.leftKiB - g.memoryKiB < d.reserveKiB)
        why.push(`${d.host}: ${MiB(Math.max(0, d.leftKiB - d.reserveKiB))} free above the ${percent(d.headroom)} % headroom`)
      else if (d.vcpus + g.vcpus > d.vcpuCap) why.push(`${d.host}: ${d.vcpus}/${d.vcpuCap} vCPUs used`)
      else if (!best || d.leftKiB > best.leftKiB) best = d
    }
    if (!best) {
      const reason = loads.size === 0 ? 'no destination host' : `no destination fits ${MiB(g.memoryKiB)}, ${g.vcpus} vCPU (${why.join('; ')})`
      placements.push(fallback(reason))
      continue
    }
    best.leftKiB -= g.memoryKiB
    best.vcpus += g.vcpus
    best.guests.push(`${g.host}/${g.name}`)
    placements.push({ guest: g, kind: 'migrate', destination: best.host })
  }
  // Report in the guests' own order (host, then name), not the packing order.
  placements.sort((a, b) => a.guest.host.localeCompare(b.guest.host) || a.guest.name.localeCompare(b.guest.name))
  return { placements, destinations: [...loads.values()] }
}

function staticBlocker(g: GuestFacts, o: PlacementOptions): string | undefined {
  if (g.pinnedDevices.length > 0) return `devices that cannot migrate: ${g.pinnedDevices.join(', ')}`
  if (g.localDisks.length > 0 && !o.copyStorage) return `disks not on shared storage (${g.localDisks.join(', ')}): give --copy-storage to copy them`
  return undefined
}
