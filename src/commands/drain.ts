import { VirtfleetCommand } from '../cli/base.js'
import { runRollingJob } from '../cli/assemble-run.js'
import { printEvacuateCheck } from '../cli/evacuate-check.js'
import { evacuateFlags, evacuateOptionsFromFlags, evacuateSwitch, migrationPool, requireEvacuateSwitch } from '../cli/evacuate-flags.js'
import { changeFlags, connectionFlags, rollingFlags, stopFlags, stopOptionsFromFlags } from '../cli/flags.js'
import { maintenanceSteps } from '../engine/rolling.js'

export default class Drain extends VirtfleetCommand {
  static override summary =
    'Empty hosts for maintenance, batch by batch: pre-flight, lock, stop every guest (saved list first), or move them by live migration with --evacuate. `virtfleet restore` brings them back.'
  static override examples = [
    '<%= config.bin %> drain --limit rack3 --serial 2 --action suspend --fallback shutdown,destroy',
    '<%= config.bin %> drain --limit hv07 --evacuate --to rack2',
    '<%= config.bin %> drain --limit hv07 --evacuate --check --json',
    '<%= config.bin %> drain --limit hv07 --json',
  ]
  static override flags = { ...connectionFlags, ...changeFlags, ...stopFlags, ...rollingFlags, ...evacuateSwitch, ...evacuateFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Drain)
    requireEvacuateSwitch(flags)
    const evacuate = flags.evacuate ? evacuateOptionsFromFlags(flags, await migrationPool(flags)) : undefined
    const stop = stopOptionsFromFlags(flags)
    const steps = maintenanceSteps({ stop, breakLock: flags['break-lock'], ...(evacuate ? { evacuate } : {}) })
    // With --evacuate, --check also reads the hosts for the placement plan (read-only).
    if (flags.check && evacuate) {
      await printEvacuateCheck({ command: 'drain', flags, steps, evacuate, stop }, this.runDeps)
      return
    }
    await runRollingJob({ command: 'drain', argv: this.argv, flags, options: { ...flags }, steps }, this.runDeps)
  }
}
