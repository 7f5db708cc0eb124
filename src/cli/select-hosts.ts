// Which hosts a run acts on, and how to reach them: inventory + --limit pattern + exact host names (retry,
// @failed) + ~/.ssh/config + --known-hosts/--host-key-checking/--connect-timeout/--keepalive overrides. Host names from a journal are data,
// matched by exact name, never spliced into a pattern. Every bad input here is a typed error (exit 4 / 64).

import { errorMessage, InputError, UsageError, VirtfleetError } from '../core/errors.js'
import { defaultInventoryPaths, loadInventory, resolveHosts, selectHosts } from '../inventory/index.js'
import type { HostKeyChecking, HostSpec } from '../inventory/types.js'
import { applySshConfig, loadSshConfig, type SSHConfig } from '../ssh/ssh-config.js'
import { parseJump } from '../ssh/ssh-transport.js'
import { failedHosts, listRuns, readRun, resolveStateDir } from '../state/journal.js'

export interface HostSelection {
  /** -i values (undefined: the default inventory). */
  inventory?: string[]
  /** --limit pattern; `@failed` means the failed hosts of the newest journaled run that had any. */
  limit?: string
  /** Exact inventory host names (retry); intersected with the pattern's selection, by name. */
  onlyHosts?: readonly string[]
  /** Journal location, for `@failed`. */
  stateDir?: string
}

export interface ConnectionOverrides {
  sshConfig?: SSHConfig
  knownHosts?: string[]
  hostKeyChecking?: HostKeyChecking
  /** --connect-timeout and --keepalive, when given: they win over the inventory and ssh_config, as ssh's -o does. */
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
}

/** Inventory hosts selected by pattern and exact names, in inventory order. Empty selection: UsageError. */
export async function selectInventoryHosts(sel: HostSelection, note: (line: string) => void = stderrLine): Promise<HostSpec[]> {
  const hosts = await selectPlayHosts(resolveFailedLimit(sel, note), undefined)
  if (hosts.length === 0) throw new UsageError(`no hosts matched${describeSelection(sel)}`)
  return hosts
}

/**
 * A play's hosts: its own pattern, narrowed by --limit as Ansible's subset (an intersection with the whole limit
 * pattern, never pattern text glued onto the play's) and by exact host names. May be empty.
 */
export async function selectPlayHosts(sel: HostSelection, playPattern: string | undefined): Promise<HostSpec[]> {
  if (sel.limit === '@failed') throw new UsageError('--limit @failed: resolve it first (resolveFailedLimit)')
  const inventory = await loadInventory(sel.inventory && sel.inventory.length > 0 ? sel.inventory : defaultInventoryPaths())
  let names = selectHosts(inventory, playPattern ?? sel.limit)
  if (playPattern !== undefined && sel.limit !== undefined) {
    const subset = new Set(selectHosts(inventory, sel.limit))
    names = names.filter((n) => subset.has(n))
  }
  if (sel.onlyHosts) {
    const exact = new Set(sel.onlyHosts)
    names = names.filter((n) => exact.has(n))
  }
  return resolveHosts(inventory, names)
}

/** `--limit @failed` becomes the exact host names it stands for (intersected with any names already given). */
export function resolveFailedLimit(sel: HostSelection, note: (line: string) => void = stderrLine): HostSelection {
  if (sel.limit !== '@failed') return sel
  const failed = lastFailedHosts(sel.stateDir, note)
  const { limit: _limit, ...rest } = sel
  return { ...rest, onlyHosts: sel.onlyHosts ? sel.onlyHosts.filter((n) => failed.includes(n)) : failed }
}

function describeSelection(sel: HostSelection): string {
  const parts = [
    ...(sel.limit ? [` --limit ${sel.limit}`] : []),
    ...(sel.onlyHosts ? [` hosts ${sel.onlyHosts.map((n) => JSON.stringify(n)).join(', ')}`] : []),
  ]
  return parts.join(' and')
}

/** `--ssh-config` (or the default ~/.ssh/config); an unreadable or malformed file is an input error. */
export async function loadSshConfigFlag(file: string | undefined): Promise<SSHConfig | undefined> {
  try {
    return await loadSshConfig(file ? { path: file } : {})
  } catch (err) {
    if (err instanceof VirtfleetError) throw err
    throw new InputError(`--ssh-config: ${errorMessage(err)}`)
  }
}

/**
 * A host as the transport gets it: ssh_config fills what the inventory left open, `playVars` (a playbook play's
 * vars) apply next, then the command-line overrides win. A jump host spec that cannot be parsed is an input error
 * now, before any host is contacted.
 */
export function connectionSpec(host: HostSpec, o: ConnectionOverrides, playVars: (h: HostSpec) => HostSpec = (h) => h): HostSpec {
  const spec = playVars(applySshConfig(host, o.sshConfig))
  for (const jump of spec.jump) {
    try {
      parseJump(jump)
    } catch (err) {
      throw new InputError(`host ${spec.name}: jump host "${jump}": ${errorMessage(err)}`)
    }
  }
  return {
    ...spec,
    ...(o.knownHosts ? { knownHostsFiles: o.knownHosts } : {}),
    ...(o.hostKeyChecking ? { hostKeyChecking: o.hostKeyChecking } : {}),
    ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
    ...(o.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: o.keepaliveIntervalMs, keepaliveCountMax: o.keepaliveCountMax } : {}),
  }
}

/** `--limit @failed`: the failed hosts of the newest journaled run that had any (Ansible's retry file). */
export function lastFailedHosts(stateDir: string | undefined, note: (line: string) => void = stderrLine): string[] {
  const dir = resolveStateDir({ stateDir })
  for (const run of listRuns(dir)) {
    const failed = failedHosts(readRun(dir, run.id))
    if (failed.length > 0) {
      note(`virtfleet: --limit @failed: ${failed.join(', ')} (from run ${run.id})`)
      return failed
    }
  }
  throw new UsageError('--limit @failed: no journaled run has failed hosts')
}

function stderrLine(line: string): void {
  process.stderr.write(line + '\n')
}
