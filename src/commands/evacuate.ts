import { VirtfleetCommand } from '../cli/base.js'
import { runRollingJob, trapSignals, withFleetConnections } from '../cli/assemble-run.js'
import { placementCheck } from '../cli/evacuate-check.js'
import { evacuateFlags, evacuateOptionsFromFlags, migrationPool } from '../cli/evacuate-flags.js'
import { changeFlags, connectionFlags, rollingFlags, stopFlags, stopOptionsFromFlags } from '../cli/flags.js'
import { ExitCode } from '../core/exit-codes.js'
import { maintenanceSteps } from '../engine/rolling.js'

export default class Evacuate extends VirtfleetCommand {
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
    const options = evacuateOptionsFromFlags(flags, await migrationPool(flags))
    if (flags.check) {
      // --check connects and reads (capacity, guests): the placement plan is facts, not just the step list.
      const signals = trapSignals()
      try {
        const r = await withFleetConnections(flags, this.runDeps, (hosts, transport) =>
          placementCheck(hosts, transport, options, stopOptionsFromFlags(flags), signals.signal),
        )
        process.stdout.write(r.text + '\n')
        process.exitCode = r.ok ? ExitCode.ok : ExitCode.partial
      } finally {
        signals.release()
      }
      return
    }
    const steps = maintenanceSteps({ evacuate: options, stop: stopOptionsFromFlags(flags), breakLock: flags['break-lock'] })
    await runRollingJob({ command: 'evacuate', argv: this.argv, flags, options: { ...flags }, steps }, this.runDeps)
  }
}
