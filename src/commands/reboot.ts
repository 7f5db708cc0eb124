import { Flags } from '@oclif/core'
import { VirtfleetCommand } from '../cli/base.js'
import { runRollingJob } from '../cli/assemble-run.js'
import {
  changeFlags,
  connectionFlags,
  optionalDuration,
  rollingFlags,
  startFlags,
  startOptionsFromFlags,
  stopFlags,
  stopOptionsFromFlags,
} from '../cli/flags.js'
import { maintenanceSteps } from '../engine/rolling.js'
import { printEvacuateCheck } from '../cli/evacuate-check.js'
import {
  evacuateFlags,
  evacuateOptionsFromFlags,
  evacuateSwitch,
  migrationPool,
  requireEvacuateSwitch,
  returnFlags,
  returnOptionsFromFlags,
} from '../cli/evacuate-flags.js'

export default class Reboot extends VirtfleetCommand {
  static override summary =
    'Rolling reboot: per batch of hosts, stop guests (saved list first), reboot, wait for a new boot id, start exactly those guests, verify.'
  static override examples = [
    '<%= config.bin %> reboot -i inventories/example.yml --serial 1',
    '<%= config.bin %> reboot --limit compute --serial 1,25% --max-fail-percentage 10 --action suspend --fallback shutdown,destroy',
    "<%= config.bin %> reboot --serial 2 --reboot-command 'shutdown -r now' --pause 1m",
  ]
  static override flags = {
    ...connectionFlags,
    ...changeFlags,
    ...stopFlags,
    ...startFlags,
    ...rollingFlags,
    ...evacuateSwitch,
    ...evacuateFlags,
    ...returnFlags,
    'reboot-command': Flags.string({ summary: "Command that reboots a host (default: the host's reboot_command var, else `systemctl reboot`)." }),
    'reboot-timeout': Flags.string({ default: '10m', summary: 'How long a host may take to come back with a new boot id.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Reboot)
    requireEvacuateSwitch(flags)
    const pool = flags.evacuate ? await migrationPool(flags) : undefined
    const stop = stopOptionsFromFlags(flags)
    const evacuate = pool ? evacuateOptionsFromFlags(flags, pool) : undefined
    const steps = maintenanceSteps({
      stop,
      reboot: {
        ...(flags['reboot-command'] ? { command: flags['reboot-command'] } : {}),
        rebootTimeoutMs: optionalDuration(flags['reboot-timeout'], '--reboot-timeout'),
      },
      start: startOptionsFromFlags(flags, 'start-timeout'),
      breakLock: flags['break-lock'],
      ...(pool && evacuate ? { evacuate, returnGuests: returnOptionsFromFlags(flags, pool) } : {}),
    })
    // With --evacuate, --check also reads the hosts for the placement plan (read-only).
    if (flags.check && evacuate) {
      await printEvacuateCheck({ command: 'reboot', flags, steps, evacuate, stop }, this.runDeps)
      return
    }
    await runRollingJob({ command: 'reboot', argv: this.argv, flags, options: { ...flags }, steps }, this.runDeps)
  }
}
