import { Flags } from '@oclif/core'
import { VirtfleetCommand } from '../cli/base.js'
import { inventoryFlags } from '../cli/flags.js'
import { loadSelectedHosts } from '../inventory/index.js'
import { inventoryJson, renderGraph, renderHostList, type InventoryJson } from '../inventory/present.js'

export default class Inventory extends VirtfleetCommand {
  static override summary = 'Show the inventory as virtfleet resolves it: groups, hosts, connection settings and vars.'
  static override description =
    'Reads Ansible YAML/INI or virtfleet YAML inventories (files or folders, with group_vars/ and host_vars/), applies Ansible vars precedence and prints the result. Nothing is contacted.'
  static override examples = [
    '<%= config.bin %> inventory -i inventories/example.yml',
    '<%= config.bin %> inventory -i inventories/example.ini --graph',
    "<%= config.bin %> inventory -i inventory/ -i extra.yml --limit 'rack1:!hv03'",
    '<%= config.bin %> inventory --limit hv01 --json',
  ]
  static override enableJsonFlag = true
  static override flags = {
    ...inventoryFlags,
    graph: Flags.boolean({ summary: 'Print the tree of groups and hosts (like ansible-inventory --graph).', exclusive: ['list'] }),
    list: Flags.boolean({ summary: 'Print every selected host with its resolved connection and vars (the default).' }),
  }

  async run(): Promise<InventoryJson> {
    const { flags } = await this.parse(Inventory)
    const { inventory, hosts } = await loadSelectedHosts({ inventory: flags.inventory, limit: flags.limit })
    if (hosts.length === 0) this.logToStderr(`virtfleet: no hosts matched${flags.limit ? ` --limit ${flags.limit}` : ''}`)
    if (flags.graph) this.log(renderGraph(inventory, flags.limit ? new Set(hosts.map((h) => h.name)) : undefined))
    else if (hosts.length > 0) this.log(renderHostList(hosts))
    return inventoryJson(inventory, hosts)
  }
}
