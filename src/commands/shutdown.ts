import { VirtfleetCommand } from '../cli/base.js'
import { recordedDurations, runFleetJob } from '../cli/assemble-run.js'
import { changeFlags, connectionFlags, stopFlags, stopOptionsFromFlags } from '../cli/flags.js'
import { stopHostJob } from '../engine/stop.js'

export default class Shutdown extends VirtfleetCommand {
  static override summary = 'Stop (shut down, suspend or destroy) the running guests of the selected hosts, saving a list on each host to restore them.'
  static override description = `Before touching any guest of a host, virtfleet writes that host's saved-guest list (atomically, on the host).
Each guest gets --action; if it fails or exceeds --timeout, the next --fallback action is tried. When a host's
--host-timeout runs out, every guest not yet off, running or still queued, moves on to its next fallback.`
  static override aliases = ['stop']
  static override examples = [
    '<%= config.bin %> shutdown -i inventories/example.yml',
    '<%= config.bin %> shutdown --limit rack1 --action suspend --fallback shutdown,destroy --timeout 2m',
    '<%= config.bin %> shutdown --parallel 3 --host-timeout 5m --fallback destroy --json',
    "<%= config.bin %> shutdown --guests 'web*' --check",
  ]
  static override flags = { ...connectionFlags, ...changeFlags, ...stopFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Shutdown)
    const options = stopOptionsFromFlags(flags)
    // Earlier runs' durations order each host's queue longest-first and predict the run (--check prints it).
    const job = stopHostJob({ ...options, history: recordedDurations(flags) })
    await runFleetJob(
      { command: 'shutdown', argv: this.argv, flags, options: { ...flags }, job, ...(options.barrier ? { barrier: options.barrier } : {}) },
      this.runDeps,
    )
  }
}
