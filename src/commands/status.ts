import { VirtfleetCommand } from '../cli/base.js'
import { withFleetConnections } from '../cli/assemble-run.js'
import { connectionFlags } from '../cli/flags.js'
import { printStatus } from '../cli/print-status.js'
import { collectStatus } from '../engine/status.js'

export default class Status extends VirtfleetCommand {
  static override summary = "Show every selected host's guests: state, persistence, managed-save image and saved-list membership."
  static override examples = ['<%= config.bin %> status -i inventories/example.yml', '<%= config.bin %> status --limit rack1 --json']
  static override flags = { ...connectionFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Status)
    const views = await withFleetConnections(flags, this.runDeps, (hosts, transport) => collectStatus(hosts, transport, flags.forks))
    process.exitCode = printStatus(views, { json: flags.json })
  }
}
