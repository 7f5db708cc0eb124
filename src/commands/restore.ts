import { maintenanceSteps } from '../engine/rolling.js'
import { changeFlags, connectionFlags, FleetCommand, rollingFlags, startFlags, startOptionsFromFlags } from '../cli/base.js'
import { migrationFlags, returnFlags, returnOptionsFromFlags } from '../cli/evacuate-flags.js'

export default class Restore extends FleetCommand {
  static override summary = 'Bring drained hosts back, batch by batch: start what each saved list holds and verify every guest runs.'
  static override examples = ['<%= config.bin %> restore --limit rack3 --serial 2 --start-delay 5s']
  static override flags = { ...connectionFlags, ...changeFlags, ...startFlags, ...rollingFlags, ...migrationFlags, ...returnFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Restore)
    await this.runRollingJob({
      command: 'restore',
      flags,
      options: { ...flags },
      // Guests an evacuation migrated away come home by migration first (or are left there with --no-return).
      steps: maintenanceSteps({
        start: startOptionsFromFlags(flags, 'start-timeout'),
        breakLock: flags['break-lock'],
        returnGuests: returnOptionsFromFlags(flags, await this.resolveHosts({ ...flags, limit: 'all' })),
      }),
    })
  }
}
