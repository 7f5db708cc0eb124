import { VirtfleetCommand } from '../cli/base.js'
import { runRollingJob } from '../cli/assemble-run.js'
import { printEvacuateCheck } from '../cli/evacuate-check.js'
import { evacuateFlags, evacuateOptionsFromFlags, migrationPool } from '../cli/evacuate-flags.js'
import { changeFlags, connectionFlags, rollingFlags, stopFlags, stopOptionsFromFlags } from '../cli/flags.js'
import { maintenanceSteps } from '../engine/rolling.js'

export default class Evacuate extends VirtfleetCommand {
  static override summary =
    'Empty hosts by live migration, batch by batch: place every guest first (memory, vCPUs, CPU, storage), migrate, stop only what cannot move (saved list first). The hosts stay marked in maintenance; `virtfleet restore` brings the guests home.'
  static override examples = [
    '<%= config.bin %> evacuate -i inventories/lab.yml --limit hv1 --check',
    '<%= config.bin %> evacuate --limit hv1 --check --json --memory-headroom 20% --vcpu-overcommit 2',
    '<%= config.bin %> evacuate --limit hv1 --to rack2 --migrations-per-host 4 --bandwidth 500',
    '<%= config.bin %> evacuate --limit hv1 --strategy migrate --migration-timeout 5m --on-timeout suspend',
  ]
  static override flags = { ...connectionFlags, ...changeFlags, ...stopFlags, ...rollingFlags, ...evacuateFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Evacuate)
    const options = evacuateOptionsFromFlags(flags, await migrationPool(flags))
    const stop = stopOptionsFromFlags(flags)
    const steps = maintenanceSteps({ evacuate: options, stop, breakLock: flags['break-lock'] })
    // --check connects and reads (capacity, guests, reachability): the placement plan is facts, not just the step list.
    if (flags.check) {
      await printEvacuateCheck({ command: 'evacuate', flags, steps, evacuate: options, stop }, this.runDeps)
      return
    }
    await runRollingJob({ command: 'evacuate', argv: this.argv, flags, options: { ...flags }, steps }, this.runDeps)
  }
}
