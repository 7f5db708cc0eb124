// What a host can take and what a guest needs, for placing guests on migration destinations: parsers for
// `virsh nodeinfo`, `virsh nodememstats` and `virsh dominfo` (virsh 9.x output, "Key: value" lines, KiB).
// A missing or malformed field is an error, never a guess: placement must not run on made-up capacity.

import { virsh } from './virsh.js'

export interface HostCapacity {
  cpus: number
  memoryKiB: number
  /** Memory the host could hand to new guests now: free + buffers + cached (as `nodememstats` reports). */
  availableKiB: number
}

export interface GuestNeeds {
  /** Current memory (dominfo "Used memory"); a migration needs this much on the destination. */
  memoryKiB: number
  vcpus: number
}

function fields(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    out.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
  }
  return out
}

function number(map: Map<string, string>, key: string, what: string, unit?: 'KiB'): number {
  const raw = map.get(key)
  if (raw === undefined) throw new Error(`${what}: no "${key}" line`)
  const m = unit ? /^(\d+)\s*KiB$/i.exec(raw) : /^(\d+)$/.exec(raw)
  if (!m) throw new Error(`${what}: cannot read "${key}: ${raw}"`)
  return Number(m[1])
}

export function parseNodeinfo(text: string): { cpus: number; memoryKiB: number } {
  const f = fields(text)
  return { cpus: number(f, 'cpu(s)', 'virsh nodeinfo'), memoryKiB: number(f, 'memory size', 'virsh nodeinfo', 'KiB') }
}

export function parseNodememstats(text: string): { totalKiB: number; availableKiB: number } {
  const f = fields(text)
  const total = number(f, 'total', 'virsh nodememstats', 'KiB')
  const free = number(f, 'free', 'virsh nodememstats', 'KiB')
  const buffers = f.has('buffers') ? number(f, 'buffers', 'virsh nodememstats', 'KiB') : 0
  const cached = f.has('cached') ? number(f, 'cached', 'virsh nodememstats', 'KiB') : 0
  return { totalKiB: total, availableKiB: free + buffers + cached }
}

export function parseDominfoNeeds(text: string): GuestNeeds {
  const f = fields(text)
  return { memoryKiB: number(f, 'used memory', 'virsh dominfo', 'KiB'), vcpus: number(f, 'cpu(s)', 'virsh dominfo') }
}

export const nodeinfoArgv = (uri: string): string[] => virsh(uri, 'nodeinfo')
export const nodememstatsArgv = (uri: string): string[] => virsh(uri, 'nodememstats')
export const dominfoArgv = (uri: string, uuid: string): string[] => virsh(uri, 'dominfo', uuid)
/** Compare a guest's CPU (its `<cpu>` XML on stdin) with what the destination's hypervisor offers. */
export const cpuCompareArgv = (uri: string, virttype: string): string[] => virsh(uri, 'hypervisor-cpu-compare', '/dev/stdin', '--virttype', virttype)

/** The guest's `<cpu>` element and domain type, when the XML pins a CPU model (otherwise nothing to compare). */
export function guestCpu(xml: string): { cpuXml: string; virttype: string } | undefined {
  const cpu = /<cpu\b[\s\S]*?<\/cpu>/.exec(xml)?.[0]
  if (!cpu || !/<model\b/.test(cpu)) return undefined
  return { cpuXml: cpu, virttype: /<domain\b[^>]*\btype=['"]([^'"]+)['"]/.exec(xml)?.[1] ?? 'kvm' }
}

/** `virsh hypervisor-cpu-compare` output: incompatible unless it says identical or superset. */
export function cpuCompatible(stdout: string): boolean {
  return /\b(identical to|superset of)\b/.test(stdout)
}

/** vCPUs of the running guests (`virsh domstats --vcpu --list-running`): the load a destination already carries. */
export const runningVcpusArgv = (uri: string): string[] => virsh(uri, 'domstats', '--vcpu', '--list-running')

export function parseRunningVcpus(text: string): number {
  let n = 0
  for (const m of text.matchAll(/^\s*vcpu\.current=(\d+)\s*$/gm)) n += Number(m[1])
  return n
}
