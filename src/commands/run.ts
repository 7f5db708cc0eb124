import { Args } from '@oclif/core'
import { VirtfleetCommand } from '../cli/base.js'
import { changeFlags, connectionFlags, rollingFlags } from '../cli/flags.js'
import { runPlaybook } from '../cli/run-playbook.js'

export default class Run extends VirtfleetCommand {
  static override summary =
    'Run a maintenance playbook: plays of steps (shutdown, suspend, reboot, wait_for_ssh, start, command, pause, confirm, assert) over host patterns, in batches.'
  static override description = 'The whole playbook is validated (file:line:column for every problem) before anything runs.'
  static override examples = [
    '<%= config.bin %> run playbooks/rolling-reboot.yml -i inventories/example.yml',
    '<%= config.bin %> run playbooks/ci-drain.yml -i inventory/ --json --yes',
    '<%= config.bin %> run playbooks/maintenance-window.yml --check',
  ]
  static override args = { playbook: Args.string({ required: true, description: 'Playbook file (YAML).' }) }
  static override flags = { ...connectionFlags, check: changeFlags.check, ...rollingFlags }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run)
    await runPlaybook({ file: args.playbook, argv: this.argv, flags }, this.runDeps)
  }
}
