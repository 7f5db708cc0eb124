// The inventory module's public face: load sources, select hosts with a pattern, resolve them to HostSpecs.

import { InputError } from '../core/errors.js'
import { defaultInventoryPaths, loadInventory } from './load.js'
import type { Inventory } from './model.js'
import { selectHosts } from './patterns.js'
import { resolveHosts, type ResolveDefaults } from './resolve.js'
import type { HostSpec } from './types.js'

export { defaultInventoryPaths, detectFormat, loadInventory, parseInventoryText, type InventoryFormat } from './load.js'
export { groupHosts, hostGroups, InventoryBuilder, mergedHostVars, plainGroupVars, sortGroups } from './model.js'
export type { Inventory, InventoryGroup, InventoryHost, MergedVar, Origin, VarValue, Vars } from './model.js'
export { selectHosts, splitPattern } from './patterns.js'
export { DEFAULT_URIS, parseSshArgs, resolveHost, resolveHosts, type ResolveDefaults, type SshArgs } from './resolve.js'
export { applySshOption, localUser, parseHostKeyChecking, parseProxyJump, type SshOptions } from './ssh-options.js'
export * from './types.js'

export interface SelectOptions {
  /** -i values; undefined or empty → defaultInventoryPaths(). */
  inventory: string[] | undefined
  /** --limit pattern; undefined → all hosts. */
  limit?: string
  defaults?: ResolveDefaults
  env?: NodeJS.ProcessEnv
}

/**
 * What every fleet command does first: load the inventory (-i or the default), select hosts with --limit, and
 * resolve them. An empty selection is returned as is (the command decides what to say). Throws InputError.
 */
export async function loadSelectedHosts(o: SelectOptions): Promise<{ inventory: Inventory; hosts: HostSpec[] }> {
  const paths = o.inventory && o.inventory.length > 0 ? o.inventory : defaultInventoryPaths(o.env)
  const inventory = await loadInventory(paths)
  const names = selectHosts(inventory, o.limit)
  return { inventory, hosts: resolveHosts(inventory, names, o.defaults) }
}
