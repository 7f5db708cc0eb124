// `virtfleet run PLAYBOOK`: the plays in order, each a rolling run over its own hosts (the play's pattern narrowed by
// --limit), all journaled under one run id so `resume` continues play by play. A play that stops early (aborted,
// interrupted) stops the playbook, as in Ansible. Validation of the whole file happens before anything runs.
// Evacuate and return steps get their migration pool from the whole inventory.

import type { Clock } from '../core/clock.js'
import { realClock } from '../core/clock.js'
import { InputError } from '../core/errors.js'
import { ExitCode } from '../core/exit-codes.js'
import type { HostStep } from '../engine/rolling.js'
import type { HostSpec } from '../inventory/types.js'
import { compilePlay } from '../playbook/compile.js'
import { parsePlaybook } from '../playbook/index.js'
import { createJournal, runRollingJob, type RunDeps } from './assemble-run.js'
import { connectionOverrides, type ConnectionFlagValues, type RollingFlagValues } from './flags.js'
import { connectionSpec, loadSshConfigFlag, resolveFailedLimit, selectPlayHosts } from './select-hosts.js'

export interface PlaybookRequest {
  file: string
  argv: string[]
  flags: ConnectionFlagValues & RollingFlagValues
}

/** Run every play; returns (and sets as the exit code) the worst play's exit code. */
export async function runPlaybook(req: PlaybookRequest, deps: RunDeps = {}): Promise<number> {
  const { flags } = req
  const playbook = await parsePlaybook(req.file)
  const sshConfig = await loadSshConfigFlag(flags['ssh-config'])
  const overrides = connectionOverrides(flags, sshConfig)
  const selection = resolveFailedLimit({ inventory: flags.inventory, limit: flags.limit, onlyHosts: flags['only-host'], stateDir: flags['state-dir'] })
  const clock: Clock = deps.clock ?? realClock
  const options = { playbook: req.file }
  // One journal (one run id) for the whole playbook, so `virtfleet resume` continues it play by play.
  const journal = flags.check || flags['resume-run'] ? undefined : createJournal({ command: 'run', argv: req.argv, options, flags }, undefined, clock)
  if (journal) process.stderr.write(`virtfleet: run ${journal.runId} (resume with: virtfleet resume ${journal.runId})\n`)
  let worst: number = ExitCode.ok
  try {
    for (const [playIndex, play] of playbook.plays.entries()) {
      const compiled = compilePlay(play)
      const selected = await selectPlayHosts(selection, compiled.pattern)
      if (selected.length === 0) {
        process.stderr.write(
          `virtfleet: play "${play.name}": no hosts match ${compiled.pattern}${flags.limit ? ` within --limit ${flags.limit}` : ''}; skipped\n`,
        )
        continue
      }
      process.stderr.write(`\nPLAY [${play.name}] ${selected.length} host(s)\n`)
      const steps = await withMigrationPools(compiled.rolling.steps, async (pattern) => {
        const pool = await selectPlayHosts({ ...(flags.inventory ? { inventory: flags.inventory } : {}) }, pattern)
        if (pool.length === 0) throw new InputError(`${req.file}: play "${play.name}": evacuate to: ${pattern} matches no inventory host`)
        return pool.map((h) => connectionSpec(h, overrides, (spec) => compiled.applyVars(spec)))
      })
      const report = await runRollingJob(
        {
          command: 'run',
          argv: req.argv,
          flags,
          options: { ...options, play: play.name },
          hosts: selected.map((h) => connectionSpec(h, overrides, (spec) => compiled.applyVars(spec))),
          ...(sshConfig ? { sshConfig } : {}),
          steps,
          ...(journal ? { journal } : {}),
          rolling: {
            ...(compiled.rolling.serial ? { serial: compiled.rolling.serial } : {}),
            ...(compiled.rolling.maxFailPercentage !== undefined ? { maxFailPercentage: compiled.rolling.maxFailPercentage } : {}),
            ...(compiled.rolling.ignoreErrors ? { ignoreErrors: compiled.rolling.ignoreErrors } : {}),
            ...(compiled.rolling.order ? { order: compiled.rolling.order } : {}),
            stepPrefix: `play${playIndex + 1}.`,
          },
        },
        deps,
      )
      worst = Math.max(worst, report.exitCode)
      if (report.exitCode === ExitCode.aborted || report.exitCode === ExitCode.interrupted) break
    }
  } finally {
    journal?.close()
  }
  process.exitCode = worst
  return worst
}

/**
 * Evacuate and return steps move guests between a play's hosts and the rest of the inventory: their pool is the
 * inventory's hosts (--limit narrows the play, not where guests may go), or those matching the step's `to:`.
 */
async function withMigrationPools(steps: HostStep[], resolve: (pattern: string) => Promise<HostSpec[]>): Promise<HostStep[]> {
  const out: HostStep[] = []
  for (const step of steps) {
    if (step.kind === 'evacuate') {
      const { destinations, ...options } = step.options
      out.push({ kind: 'evacuate', options: { ...options, pool: await resolve(destinations ?? 'all') } })
    } else if (step.kind === 'return') out.push({ kind: 'return', options: { ...step.options, pool: await resolve('all') } })
    else out.push(step)
  }
  return out
}
