import { Args } from '@oclif/core'
import { changeFlags, connectionFlags, FleetCommand, rollingFlags } from '../cli/base.js'
import { ExitCode } from '../core/exit-codes.js'
import { loadSelectedHosts } from '../inventory/index.js'
import { parsePlaybook } from '../playbook/index.js'
import { compilePlay } from '../playbook/compile.js'
import { applySshConfig, loadSshConfig } from '../ssh/ssh-config.js'
import { Journal } from '../state/journal.js'

export default class Run extends FleetCommand {
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
    const playbook = await parsePlaybook(args.playbook)
    const sshConfig = await loadSshConfig(flags['ssh-config'] ? { path: flags['ssh-config'] } : {})
    let worst: number = ExitCode.ok
    // One journal (one run id) for the whole playbook, so `virtfleet resume` continues it play by play.
    const journal =
      flags.check || flags['resume-run']
        ? undefined
        : Journal.create({ stateDir: flags['state-dir'], command: 'run', argv: this.argv, options: { playbook: args.playbook } })
    if (journal) process.stderr.write(`virtfleet: run ${journal.runId} (resume with: virtfleet resume ${journal.runId})\n`)
    try {
      for (const [playIndex, play] of playbook.plays.entries()) {
        const compiled = compilePlay(play)
        const limit = flags.limit ? `${compiled.pattern}:&${flags.limit}` : compiled.pattern
        const { hosts } = await loadSelectedHosts({ inventory: flags.inventory, limit })
        if (hosts.length === 0) {
          process.stderr.write(`virtfleet: play "${play.name}": no hosts match ${limit}; skipped\n`)
          continue
        }
        process.stderr.write(`\nPLAY [${play.name}] ${hosts.length} host(s)\n`)
        const report = await this.runRollingJob({
          command: 'run',
          flags,
          options: { playbook: args.playbook, play: play.name },
          hosts: hosts
            .map((h) => compiled.applyVars(applySshConfig(h, sshConfig)))
            .map((h) => ({
              ...h,
              ...(flags['known-hosts'] ? { knownHostsFiles: flags['known-hosts'] } : {}),
              ...(flags['host-key-checking'] ? { hostKeyChecking: flags['host-key-checking'] as 'strict' | 'accept-new' | 'off' } : {}),
            })),
          steps: compiled.rolling.steps,
          ...(journal ? { journal } : {}),
          rolling: {
            ...(compiled.rolling.serial ? { serial: compiled.rolling.serial } : {}),
            ...(compiled.rolling.maxFailPercentage !== undefined ? { maxFailPercentage: compiled.rolling.maxFailPercentage } : {}),
            ...(compiled.rolling.ignoreErrors ? { ignoreErrors: compiled.rolling.ignoreErrors } : {}),
            ...(compiled.rolling.order ? { order: compiled.rolling.order } : {}),
            stepPrefix: `play${playIndex + 1}.`,
          },
        })
        worst = Math.max(worst, report.exitCode)
        // As Ansible: a play that stopped early stops the playbook.
        if (report.exitCode === ExitCode.aborted || report.exitCode === ExitCode.interrupted) break
      }
    } finally {
      journal?.close()
    }
    process.exitCode = worst
  }
}
