// Live migration on the virsh side: the `virsh migrate` argv run on the source host, the destination URI built
// from a host's address or its own var, what in a guest's XML decides whether it can move (disks, host devices),
// and the `virsh domjobinfo` parser behind the progress shown per guest.

import { isUuid, virsh } from './virsh.js'

export interface MigrateOptions {
  /** Where the source's virsh reaches the destination's libvirtd, e.g. qemu+ssh://hv2/system. */
  destinationUri: string
  /** Where the data goes (QEMU to QEMU), e.g. tcp://10.0.0.2; omitted = libvirt's default. */
  dataUri?: string
  /** MiB/s per migration. */
  bandwidthMiBs?: number
  autoConverge?: boolean
  /** Switch to post-copy after one pre-copy pass: the guest runs on the destination before all memory moved. */
  postcopy?: boolean
  copyStorage?: boolean
  /** Seconds; with `onTimeout: 'suspend'` libvirt pauses the guest to force completion. */
  suspendAfterS?: number
}

export function migrateArgv(uri: string, uuid: string, o: MigrateOptions): string[] {
  if (!isUuid(uuid)) throw new Error(`not a UUID: ${JSON.stringify(uuid)}`)
  return virsh(
    uri,
    'migrate',
    '--live',
    '--persistent',
    '--undefinesource',
    ...(o.copyStorage ? ['--copy-storage-all'] : []),
    ...(o.autoConverge ? ['--auto-converge'] : []),
    ...(o.postcopy ? ['--postcopy', '--postcopy-after-precopy'] : []),
    ...(o.bandwidthMiBs !== undefined ? ['--bandwidth', String(o.bandwidthMiBs)] : []),
    ...(o.suspendAfterS !== undefined ? ['--timeout', String(o.suspendAfterS), '--timeout-suspend'] : []),
    uuid,
    o.destinationUri,
    ...(o.dataUri ? ['--migrateuri', o.dataUri] : []),
  )
}

export const domjobinfoArgv = (uri: string, uuid: string, completed = false): string[] => virsh(uri, 'domjobinfo', uuid, ...(completed ? ['--completed'] : []))
export const domjobabortArgv = (uri: string, uuid: string): string[] => virsh(uri, 'domjobabort', uuid)
export const dumpxmlArgv = (uri: string, uuid: string): string[] => virsh(uri, 'dumpxml', uuid)

/** Default destination URI: the destination's SSH address and user, as the source host reaches it. */
export function defaultDestinationUri(address: string, user: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address
  return `qemu+ssh://${user}@${host}${port === 22 ? '' : `:${port}`}/system`
}

export interface MigrationFacts {
  /** Disks backed by files or block devices outside the shared-storage prefixes. */
  localDisks: string[]
  /** Host devices passed through: they cannot follow the guest. */
  pinnedDevices: string[]
}

/**
 * Read a guest's live XML: file/block disks whose source is not under one of `sharedPrefixes` are local;
 * network disks (rbd, iscsi, nbd, ...) are shared; drives without media are ignored; `<hostdev>`
 * is pinned. A regex reader, enough for libvirt's own well-formed output (not for arbitrary XML).
 */
export function parseMigrationFacts(xml: string, sharedPrefixes: readonly string[]): MigrationFacts {
  const localDisks: string[] = []
  for (const m of xml.matchAll(/<disk\b([^>]*)>([\s\S]*?)<\/disk>/g)) {
    const attrs = m[1] ?? ''
    const body = m[2] ?? ''
    const type = /type=['"]([^'"]+)['"]/.exec(attrs)?.[1]
    if (type === 'network') continue
    const src = /<source\b[^>]*\b(?:file|dev)=['"]([^'"]+)['"]/.exec(body)?.[1]
    if (!src) continue
    if (!sharedPrefixes.some((p) => src === p || src.startsWith(p.endsWith('/') ? p : `${p}/`))) localDisks.push(src)
  }
  const pinnedDevices: string[] = []
  for (const m of xml.matchAll(/<hostdev\b([^>]*)>([\s\S]*?)<\/hostdev>/g)) {
    const type = /type=['"]([^'"]+)['"]/.exec(m[1] ?? '')?.[1] ?? 'device'
    const addr = /<address\b([^>]*)\/>/.exec(m[2] ?? '')?.[1]?.trim()
    pinnedDevices.push(`hostdev ${type}${addr ? ` (${addr.replace(/\s+/g, ' ')})` : ''}`)
  }
  return { localDisks, pinnedDevices }
}

export interface JobInfo {
  /** 0-100 from data processed / total, when libvirt reports both. */
  percent?: number
  processedBytes?: number
  totalBytes?: number
  downtimeMs?: number
  elapsedMs?: number
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 }

function bytes(v: string | undefined): number | undefined {
  const m = v ? /^([\d.]+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(v.trim()) : null
  return m ? Math.round(Number(m[1]) * (UNITS[m[2] as string] ?? 1)) : undefined
}

function ms(v: string | undefined): number | undefined {
  const m = v ? /^(\d+)\s*ms$/.exec(v.trim()) : null
  return m ? Number(m[1]) : undefined
}

/** `virsh domjobinfo [--completed]`: whatever fields libvirt gave; none is required (a job may have just ended). */
export function parseJobInfo(text: string): JobInfo {
  const f = new Map<string, string>()
  for (const line of text.split('\n')) {
    const i = line.indexOf(':')
    if (i > 0) f.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
  }
  const processed = bytes(f.get('data processed'))
  const total = bytes(f.get('data total'))
  const out: JobInfo = {}
  if (processed !== undefined) out.processedBytes = processed
  if (total !== undefined) out.totalBytes = total
  if (processed !== undefined && total) out.percent = Math.min(100, Math.floor((processed / total) * 100))
  const downtime = ms(f.get('total downtime')) ?? ms(f.get('expected downtime'))
  if (downtime !== undefined) out.downtimeMs = downtime
  const elapsed = ms(f.get('time elapsed'))
  if (elapsed !== undefined) out.elapsedMs = elapsed
  return out
}

/** A cheap call through the same URI a migration will use, run on the source: does the source reach the destination? */
export const reachArgv = (destinationUri: string): string[] => virsh(destinationUri, 'uri')
