// The facts placement needs, read from the hosts themselves: on the source, each running guest's memory, vCPUs,
// disks, host devices, pinned CPU and strategy; on each candidate destination, its capacity and whether it may be
// used at all (reachable, not in maintenance, not locked by another run). Reads only.

import { errorMessage, RemoteError } from '../../core/errors.js'
import { matchesAny } from '../../core/glob.js'
import type { HostSpec } from '../../inventory/types.js'
import {
  cpuCompareArgv,
  cpuCompatible,
  dominfoArgv,
  guestCpu,
  nodeinfoArgv,
  nodememstatsArgv,
  parseDominfoNeeds,
  parseNodeinfo,
  parseNodememstats,
  parseRunningVcpus,
  runningVcpusArgv,
} from '../../libvirt/capacity.js'
import { VirshDriver } from '../../libvirt/driver.js'
import { dumpxmlArgv, parseMigrationFacts } from '../../libvirt/migration.js'
import { isActive } from '../../libvirt/types.js'
import { quoteCommand } from '../../ssh/quote.js'
import type { HostSession, Transport } from '../../ssh/transport.js'
import { lockHolder, readMaintenance } from '../../state/maintenance.js'
import type { DestinationFacts, EvacuationStrategy, GuestFacts } from '../placement.js'
import { migrationSettings, type HostMigrationSettings } from './settings.js'

export interface SourceGuest extends GuestFacts {
  uri: string
  cpu?: { cpuXml: string; virttype: string }
}

export interface Destination {
  spec: HostSpec
  session: HostSession
  settings: HostMigrationSettings
  facts: DestinationFacts
}

async function out(session: HostSession, argv: string[], stdin?: string): Promise<string> {
  const res = await session.exec(argv, stdin !== undefined ? { stdin } : {})
  if (res.code !== 0) throw new RemoteError(session.host, quoteCommand(argv), res.code, res.stderr)
  return res.stdout
}

/** Running guests of the source host with what placement needs. Strategy: flag, else guest tag, else host var, else migrate-or-stop. */
export async function sourceGuests(
  session: HostSession,
  host: HostSpec,
  flagStrategy: EvacuationStrategy | undefined,
  guestPatterns?: string[],
): Promise<SourceGuest[]> {
  const settings = migrationSettings(host)
  const driver = new VirshDriver(session)
  const guests: SourceGuest[] = []
  for (const uri of host.uris) {
    const tags = await driver.describe(uri)
    for (const g of await driver.list(uri)) {
      if (!isActive(g.state)) continue
      if (guestPatterns && guestPatterns.length > 0 && !matchesAny(guestPatterns, g.name, g.uuid)) continue
      const needs = parseDominfoNeeds(await out(session, dominfoArgv(uri, g.uuid)))
      const xml = await out(session, dumpxmlArgv(uri, g.uuid))
      const f = parseMigrationFacts(xml, settings.sharedStorage)
      const cpu = guestCpu(xml)
      guests.push({
        host: host.name,
        name: g.name,
        uuid: g.uuid,
        uri,
        memoryKiB: needs.memoryKiB,
        vcpus: needs.vcpus,
        strategy: flagStrategy ?? tags.get(g.uuid)?.evacuate ?? settings.strategy ?? 'migrate-or-stop',
        localDisks: f.localDisks,
        pinnedDevices: g.persistent ? f.pinnedDevices : [...f.pinnedDevices, 'transient guest (no definition to move)'],
        cpuIncompatible: [],
        ...(cpu ? { cpu } : {}),
      })
    }
  }
  return guests
}

/** Why a host may not take guests now (maintenance mark, another run's lock), or nothing. */
export async function destinationRefusal(session: HostSession, spec: HostSpec, runId: string): Promise<string | undefined> {
  const mark = await readMaintenance(session, spec.stateDir)
  if (mark) return `in maintenance${mark.runId ? ` (run ${mark.runId})` : ''}`
  const holder = await lockHolder(session, spec.stateDir)
  if (holder !== undefined && holder !== runId) return `locked by run ${holder}`
  return undefined
}

/** Candidate destinations: connected, usable, with their capacity; the others with the reason they were left out. */
export async function openDestinations(
  transport: Transport,
  candidates: readonly HostSpec[],
  runId: string,
  signal?: AbortSignal,
): Promise<{ usable: Destination[]; refused: Array<{ host: string; reason: string }> }> {
  const usable: Destination[] = []
  const refused: Array<{ host: string; reason: string }> = []
  for (const spec of candidates) {
    let session: HostSession | undefined
    try {
      session = await transport.connect(spec, signal)
      const why = await destinationRefusal(session, spec, runId)
      if (why) {
        refused.push({ host: spec.name, reason: why })
        await session.close().catch(() => undefined)
        continue
      }
      const uri = spec.uris[0] ?? 'qemu:///system'
      const node = parseNodeinfo(await out(session, nodeinfoArgv(uri)))
      const mem = parseNodememstats(await out(session, nodememstatsArgv(uri)))
      let runningVcpus = 0
      for (const u of spec.uris) runningVcpus += parseRunningVcpus(await out(session, runningVcpusArgv(u)))
      usable.push({
        spec,
        session,
        settings: migrationSettings(spec),
        facts: { host: spec.name, cpus: node.cpus, memoryKiB: node.memoryKiB, availableKiB: mem.availableKiB, runningVcpus },
      })
    } catch (err) {
      refused.push({ host: spec.name, reason: `unusable: ${errorMessage(err)}` })
      await session?.close().catch(() => undefined)
    }
  }
  return { usable, refused }
}

/** Fill each guest's `cpuIncompatible` from `virsh hypervisor-cpu-compare` on every destination (guests pinning a CPU only). */
export async function compareCpus(guests: SourceGuest[], destinations: readonly Destination[]): Promise<void> {
  for (const g of guests) {
    if (!g.cpu) continue
    for (const d of destinations) {
      const res = await d.session.exec(cpuCompareArgv(d.spec.uris[0] ?? g.uri, g.cpu.virttype), { stdin: g.cpu.cpuXml })
      if (res.code !== 0 || !cpuCompatible(res.stdout)) g.cpuIncompatible.push(d.spec.name)
    }
  }
}
