import { connectionFlags, FleetCommand } from '../cli/base.js'
import { ExitCode } from '../core/exit-codes.js'
import { collectStatus } from '../engine/status.js'
import { renderTable } from '../render/table.js'

export default class Status extends FleetCommand {
  static override summary = "Show every selected host's guests: state, persistence, managed-save image and saved-list membership."
  static override examples = ['<%= config.bin %> status -i inventories/example.yml', '<%= config.bin %> status --limit rack1 --json']
  static override flags = { ...connectionFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Status)
    const hosts = await this.resolveHosts(flags)
    const transport = this.makeTransport(flags)
    try {
      const views = await collectStatus(hosts, transport, flags.forks)
      if (flags.json) {
        process.stdout.write(JSON.stringify({ hosts: views }, null, 2) + '\n')
      } else {
        const rows: string[][] = []
        for (const v of views) {
          if (!v.reachable) {
            rows.push([v.host, '-', 'UNREACHABLE', '', '', '', v.error ?? ''])
            continue
          }
          if (v.guests.length === 0 && v.missing.length === 0) rows.push([v.host, '(no guests)', '', '', '', '', ''])
          for (const g of v.guests)
            rows.push([v.host, g.name, g.state, g.persistent ? 'yes' : 'transient', g.managedSave ? 'yes' : '', g.inSavedList ? 'yes' : '', g.uri])
          for (const e of v.missing) rows.push([v.host, e.name, 'undefined', '', '', 'yes', `${e.uri} (listed, not defined on host)`])
        }
        process.stdout.write(renderTable(['HOST', 'GUEST', 'STATE', 'PERSISTENT', 'MANAGED SAVE', 'SAVED', 'URI / NOTE'], rows) + '\n')
      }
      process.exitCode = views.some((v) => !v.reachable) ? ExitCode.unreachable : ExitCode.ok
    } finally {
      await transport.closeAll()
    }
  }
}
