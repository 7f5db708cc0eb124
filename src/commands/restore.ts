import { VirtfleetCommand } from '../cli/base.js'
import { runRollingJob } from '../cli/assemble-run.js'
import { changeFlags, connectionFlags, rollingFlags, startFlags, startOptionsFromFlags } from '../cli/flags.js'
import { maintenanceSteps } from '../engine/rolling.js'

export default class Restore extends VirtfleetCommand {
  static override summary = 'Bring drained hosts back, batch by batch: start what each saved list holds and verify every guest runs.'
  static override examples = ['<%= config.bin %> restore --limit rack3 --serial 2 --start-delay 5s']
  static override flags = { ...connectionFlags, ...changeFlags, ...startFlags, ...rollingFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Restore)
    const steps = maintenanceSteps({ start: startOptionsFromFlags(flags, 'start-timeout'), breakLock: flags['break-lock'] })
    await runRollingJob({ command: 'restore', argv: this.argv, flags, options: { ...flags }, steps }, this.runDeps)
  }
}
