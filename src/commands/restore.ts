import { VirtfleetCommand } from '../cli/base.js'
import { runRollingJob } from '../cli/assemble-run.js'
import { migrationFlags, migrationPool, returnFlags, returnOptionsFromFlags } from '../cli/evacuate-flags.js'
import { changeFlags, connectionFlags, rollingFlags, startFlags, startOptionsFromFlags } from '../cli/flags.js'
import { maintenanceSteps } from '../engine/rolling.js'

export default class Restore extends VirtfleetCommand {
  static override summary =
    'Bring drained hosts back, batch by batch: migrate evacuated guests home (unless --no-return), start what each saved list holds and verify every guest runs.'
  static override examples = ['<%= config.bin %> restore --limit rack3 --serial 2 --start-delay 5s', '<%= config.bin %> restore --limit hv07 --no-return']
  static override flags = { ...connectionFlags, ...changeFlags, ...startFlags, ...rollingFlags, ...migrationFlags, ...returnFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Restore)
    // Guests an evacuation migrated away come home by migration first (or are left there with --no-return).
    const steps = maintenanceSteps({
      start: startOptionsFromFlags(flags, 'start-timeout'),
      breakLock: flags['break-lock'],
      returnGuests: returnOptionsFromFlags(flags, await migrationPool(flags)),
    })
    await runRollingJob({ command: 'restore', argv: this.argv, flags, options: { ...flags }, steps }, this.runDeps)
  }
}
