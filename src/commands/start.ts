import { Flags } from '@oclif/core'
import { VirtfleetCommand } from '../cli/base.js'
import { runFleetJob } from '../cli/assemble-run.js'
import { changeFlags, connectionFlags, startFlags, startOptionsFromFlags, stopFlags } from '../cli/flags.js'
import { startHostJob } from '../engine/start.js'

export default class Start extends VirtfleetCommand {
  static override summary = "Start the guests each host's saved list holds (or the named guests); an entry leaves the list only once its guest runs."
  static override examples = [
    '<%= config.bin %> start -i inventories/example.yml',
    '<%= config.bin %> start --limit hv01 --parallel 2 --start-delay 5s --sync-time',
    "<%= config.bin %> start --guests 'db*' --check",
    '<%= config.bin %> start --ready agent --ready-timeout 90s',
  ]
  static override flags = {
    ...connectionFlags,
    ...changeFlags,
    timeout: Flags.string({ char: 't', summary: 'Per-guest time to be running after start (default 2m).' }),
    'start-delay': startFlags['start-delay'],
    'sync-time': startFlags['sync-time'],
    'group-delay': startFlags['group-delay'],
    'wait-agent': startFlags['wait-agent'],
    ready: startFlags.ready,
    'ready-timeout': startFlags['ready-timeout'],
    tiers: stopFlags.tiers,
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Start)
    const options = startOptionsFromFlags(flags, 'timeout')
    const job = startHostJob(options)
    await runFleetJob(
      { command: 'start', argv: this.argv, flags, options: { ...flags }, job, ...(options.barrier ? { barrier: options.barrier } : {}) },
      this.runDeps,
    )
  }
}
