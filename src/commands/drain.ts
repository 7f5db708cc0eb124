import { maintenanceSteps } from '../engine/rolling.js'
import { changeFlags, connectionFlags, FleetCommand, rollingFlags, stopFlags, stopOptionsFromFlags } from '../cli/base.js'
import { evacuateFlags, evacuateOptionsFromFlags, evacuateSwitch } from '../cli/evacuate-flags.js'

export default class Drain extends FleetCommand {
  static override summary =
    'Empty hosts for maintenance, batch by batch: pre-flight, lock, stop every guest (saved list first). `virtfleet restore` brings them back.'
  static override examples = [
    '<%= config.bin %> drain --limit rack3 --serial 2 --action suspend --fallback shutdown,destroy',
    '<%= config.bin %> drain --limit hv07 --json',
  ]
  static override flags = { ...connectionFlags, ...changeFlags, ...stopFlags, ...rollingFlags, ...evacuateSwitch, ...evacuateFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Drain)
    const evacuate = flags.evacuate ? evacuateOptionsFromFlags(flags, await this.resolveHosts({ ...flags, limit: flags.to ?? 'all' })) : undefined
    await this.runRollingJob({
      command: 'drain',
      flags,
      options: { ...flags },
      steps: maintenanceSteps({ stop: stopOptionsFromFlags(flags), breakLock: flags['break-lock'], ...(evacuate ? { evacuate } : {}) }),
    })
  }
}
