import { maintenanceSteps } from '../engine/rolling.js'
import { changeFlags, connectionFlags, FleetCommand, rollingFlags, stopFlags, stopOptionsFromFlags } from '../cli/base.js'
import { evacuateFlags, evacuateOptionsFromFlags } from '../cli/evacuate-flags.js'
import { placementCheck } from '../cli/evacuate-check.js'
import { ExitCode } from '../core/exit-codes.js'

export default class Evacuate extends FleetCommand {
  static override summary =
    'Empty hosts by live migration, batch by batch: place every guest first (memory, vCPUs, CPU, storage), migrate, stop only what cannot move (saved list first). The hosts stay marked in maintenance; `virtfleet restore` brings the guests home.'
  static override examples = [
    '<%= config.bin %> evacuate -i inventories/lab.yml --limit hv1 --check',
    '<%= config.bin %> evacuate --limit hv1 --to rack2 --migrations-per-host 4 --bandwidth 500',
    '<%= config.bin %> evacuate --limit hv1 --strategy migrate --migration-timeout 5m --on-timeout suspend',
  ]
  static override flags = { ...connectionFlags, ...changeFlags, ...stopFlags, ...rollingFlags, ...evacuateFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Evacuate)
    const pool = await this.resolveHosts({ ...flags, limit: flags.to ?? 'all' })
    const options = evacuateOptionsFromFlags(flags, pool)
    // --check connects and reads (capacity, guests): the placement plan is facts, not just the step list.
    if (flags.check) {
      const transport = this.makeTransport(flags)
      try {
        const r = await placementCheck(await this.resolveHosts(flags), transport, options, stopOptionsFromFlags(flags), this.trapSignals())
        process.stdout.write(r.text + '\n')
        process.exitCode = r.ok ? ExitCode.ok : ExitCode.partial
      } finally {
        this.releaseSignals()
        await transport.closeAll()
      }
      return
    }
    await this.runRollingJob({
      command: 'evacuate',
      flags,
      options: { ...flags },
      steps: maintenanceSteps({ evacuate: options, stop: stopOptionsFromFlags(flags), breakLock: flags['break-lock'] }),
    })
  }
}
