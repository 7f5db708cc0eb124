// Assembles one run from parsed flags: hosts, signals, the event bus, the live renderer, the journal, the transport;
// runs the engine (a fleet job or a rolling run), prints the final report, sets the exit code, and always tears
// down. Every command that touches hosts goes through here; the transport and clock are injectable for tests.

import { realClock, type Clock } from '../core/clock.js'
import { manyListeners } from '../core/semaphore.js'
import { errorMessage } from '../core/errors.js'
import { EventBus } from '../core/events.js'
import { ExitCode } from '../core/exit-codes.js'
import type { RunReport } from '../core/report.js'
import type { HostSpec } from '../inventory/types.js'
import { runFleet, type HostJob, type RunContext } from '../engine/fleet.js'
import type { PhaseBarrier } from '../engine/ordering.js'
import type { HostStep, PlanOptions, RollingOptions } from '../engine/rolling.js'
import { attachRenderer, chooseRenderer, isCI } from '../render/choose.js'
import { reportToJson } from '../render/json.js'
import { renderSummary } from '../render/summary.js'
import type { SSHConfig } from '../ssh/ssh-config.js'
import { SSH_DEFAULTS } from '../ssh/ssh-options.js'
import { createSshTransport, type SshTransportOptions } from '../ssh/ssh-transport.js'
import type { Transport } from '../ssh/transport.js'
import { attachJournal, completedSteps, digestInventory, Journal, loadDurationHistory, newRunId, readRun, resolveStateDir } from '../state/journal.js'
import type { DurationHistory } from '../state/journal.js'
import { connectionOverrides, rollingOptionsFromFlags, timingFlags, type ConnectionFlagValues, type RollingFlagValues } from './flags.js'
import { askHidden, confirmationsFor, onePromptPerFile } from './prompts.js'
import { connectionSpec, loadSshConfigFlag, selectInventoryHosts } from './select-hosts.js'

/** What a run needs from the outside world; everything defaults to the real one. */
export interface RunDeps {
  createTransport?: (options: SshTransportOptions) => Transport
  clock?: Clock
  stdout?: NodeJS.WriteStream
  /** Whether the operator can be asked (default: stdin is a terminal). */
  interactive?: boolean
  /** Trap SIGINT/SIGTERM for the run (default true). */
  trapSignals?: boolean
}

export interface RunRequest {
  command: string
  /** The argv as typed, recorded in the journal so `resume` and `retry` can replay it. */
  argv: string[]
  flags: ConnectionFlagValues & { check?: boolean }
  /** Recorded in the journal header. */
  options: Record<string, unknown>
  /** Hosts already resolved (a playbook play), with the ssh_config they were resolved with; default: from the flags. */
  hosts?: HostSpec[]
  sshConfig?: SSHConfig
}

export interface FleetJobRequest extends RunRequest {
  job: HostJob
  /** Tier phases: every host of the run must take part at once (forks raised to the host count). */
  barrier?: PhaseBarrier
}

export interface RollingJobRequest extends RunRequest {
  flags: ConnectionFlagValues & RollingFlagValues
  steps: HostStep[]
  rolling?: Partial<RollingOptions>
  /** A journal shared by several rolling runs (the plays of one playbook); the caller closes it. */
  journal?: Journal
}

/** Resolve hosts, journal, render, run `job` on every host (stop, start), report. The exit code is set. */
export async function runFleetJob(req: FleetJobRequest, deps: RunDeps = {}): Promise<RunReport> {
  return withOpenRun(req, deps, (run) => {
    if (!req.flags.check) run.useJournal(createJournal(req, run.hosts, run.clock))
    req.barrier?.setHosts(run.hosts.map((h) => h.name))
    const forks = req.barrier ? Math.max(req.flags.forks, run.hosts.length) : req.flags.forks
    const onHostDone = req.barrier ? { onHostDone: (h: string) => req.barrier?.leave(h) } : {}
    return runFleet(run.hosts, { ...run.context(), forks, ...onHostDone }, req.job)
  })
}

/**
 * A rolling run (reboot, drain, restore, a playbook play): journaled step by step, so `virtfleet resume ID` can
 * continue it. With --resume-run, the same journal is reopened and host steps it records as done are skipped.
 */
export async function runRollingJob(req: RollingJobRequest, deps: RunDeps = {}): Promise<RunReport> {
  const { flags } = req
  // The rolling engine (every host step) is loaded by the commands that use it only, not by every run's start.
  const [{ planRolling, runRolling }, { planOnlyReport }, { formatRollingPlan, rollingPlanToJson }] = await Promise.all([
    import('../engine/rolling.js'),
    import('../engine/rolling/check.js'),
    import('../render/rolling-plan.js'),
  ])
  const planOptions: PlanOptions = { steps: req.steps, ...rollingOptionsFromFlags(flags), ...req.rolling }
  // --check prints the plan (batches, hosts, steps with their options): pure, nothing is connected to.
  if (flags.check) {
    const clock = deps.clock ?? realClock
    const stdout = deps.stdout ?? process.stdout
    const hosts = req.hosts ?? (await resolveRunHosts(flags)).hosts
    const plan = planRolling(hosts, planOptions)
    stdout.write((flags.json ? rollingPlanToJson(plan) : formatRollingPlan(plan, `${req.command} --check`)) + '\n')
    process.exitCode = ExitCode.ok
    return planOnlyReport(plan, { command: req.command, runId: newRunId(clock), at: clock.wallTime().toISOString() })
  }
  return withOpenRun(req, deps, (run) => {
    let completed: Set<string> | undefined
    if (flags['resume-run']) {
      const stateDir = resolveStateDir({ stateDir: flags['state-dir'] })
      completed = completedSteps(readRun(stateDir, flags['resume-run']))
      run.useJournal(Journal.open(stateDir, flags['resume-run']))
    } else if (req.journal) run.useJournal(req.journal, { shared: true })
    else if (!flags.check) run.useJournal(createJournal(req, run.hosts, run.clock))
    if (run.journal) journalHostSteps(run.bus, run.journal)
    const ask = confirmationsFor({ yes: flags.yes, json: flags.json, interactive: deps.interactive ?? !!process.stdin.isTTY })
    const confirm =
      flags.confirm && ask
        ? { confirm: (b: { index: number; of: number; hosts: string[] }) => ask(`start batch ${b.index + 1}/${b.of} (${b.hosts.join(', ')})?`) }
        : {}
    // A stop step orders its queues longest-first from the recorded durations, as `shutdown` does.
    const history = req.steps.some((s) => s.kind === 'stop') ? { history: recordedDurations(flags) } : {}
    return runRolling(
      run.hosts,
      { ...run.context(), forks: flags.forks, ...history },
      {
        ...planOptions,
        ...confirm,
        ...(ask ? { ask } : {}),
        ...(completed ? { completed } : {}),
      },
    )
  })
}

/** Hosts and an open transport for a read-only look (status): no journal, no live output. Always closed. */
export async function withFleetConnections<T>(
  flags: ConnectionFlagValues,
  deps: RunDeps,
  use: (hosts: HostSpec[], transport: Transport) => Promise<T>,
): Promise<T> {
  const ssh = transportFlags(flags)
  const { hosts, sshConfig } = await resolveRunHosts(flags)
  const transport = makeTransport(ssh, sshConfig, deps)
  try {
    return await use(hosts, transport)
  } finally {
    await transport.closeAll()
  }
}

/** Hosts from the flags: inventory, --limit (and @failed), exact host names, ssh_config and the key overrides. */
export async function resolveRunHosts(flags: ConnectionFlagValues): Promise<{ hosts: HostSpec[]; sshConfig?: SSHConfig }> {
  const selected = await selectInventoryHosts({ inventory: flags.inventory, limit: flags.limit, onlyHosts: flags['only-host'], stateDir: flags['state-dir'] })
  const sshConfig = await loadSshConfigFlag(flags['ssh-config'])
  const overrides = connectionOverrides(flags, sshConfig)
  return { hosts: selected.map((h) => connectionSpec(h, overrides)), ...(sshConfig ? { sshConfig } : {}) }
}

/**
 * The durations the newest runs of the state dir recorded, for the stop planner (longest first, the predicted window).
 * A run file that cannot be read costs its samples and one warning, never the run.
 */
export function recordedDurations(flags: Pick<ConnectionFlagValues, 'state-dir'>, stderr: Pick<NodeJS.WriteStream, 'write'> = process.stderr): DurationHistory {
  const { history, skipped } = loadDurationHistory(resolveStateDir({ stateDir: flags['state-dir'] }))
  if (skipped.length > 0) {
    const first = skipped[0]?.error ?? ''
    stderr.write(`virtfleet: warning: run history: ${skipped.length} unreadable run file(s) left out (${first}); see \`virtfleet runs\`\n`)
  }
  return history
}

/** A new journal for a run (durable, fsync'd): its header records the command, argv, options and hosts. */
export function createJournal(req: Pick<RunRequest, 'command' | 'argv' | 'options' | 'flags'>, hosts: HostSpec[] | undefined, clock: Clock): Journal {
  return Journal.create({
    stateDir: req.flags['state-dir'],
    clock,
    command: req.command,
    argv: req.argv,
    options: req.options,
    ...(hosts ? { hosts: hosts.map((h) => h.name), inventoryDigest: digestInventory(JSON.stringify(hosts)) } : {}),
  })
}

interface OpenRun {
  hosts: HostSpec[]
  bus: EventBus
  clock: Clock
  journal?: Journal
  /** Subscribe a journal to the bus; a shared one is left open for its owner to close. */
  useJournal(journal: Journal, o?: { shared?: boolean }): void
  context(): RunContext
}

/** Open everything a run needs, run `body`, print the report and set the exit code; tear down whatever happens. */
async function withOpenRun(req: RunRequest, deps: RunDeps, body: (run: OpenRun) => Promise<RunReport>): Promise<RunReport> {
  const clock = deps.clock ?? realClock
  const stdout = deps.stdout ?? process.stdout
  const ssh = transportFlags(req.flags)
  const resolved = req.hosts ? { hosts: req.hosts, sshConfig: req.sshConfig } : await resolveRunHosts(req.flags)
  const bus = new EventBus()
  const rendered = (await attachOutput(bus, req.flags, stdout)).done
  const signals = deps.trapSignals === false ? undefined : trapSignals()
  let transport: Transport | undefined
  let owned: Journal | undefined
  const run: OpenRun = {
    hosts: resolved.hosts,
    bus,
    clock,
    useJournal(journal, o = {}) {
      run.journal = journal
      if (!o.shared) owned = journal
      attachJournal(bus, journal, (err) => process.stderr.write(`virtfleet: warning: journal write failed: ${errorMessage(err)}\n`))
    },
    context: () => ({
      transport: transport as Transport,
      clock,
      bus,
      runId: run.journal?.runId ?? newRunId(clock),
      command: req.command,
      check: !!req.flags.check,
      ...(signals ? { signal: signals.signal } : {}),
    }),
  }
  try {
    transport = makeTransport(ssh, resolved.sshConfig, deps)
    const report = await body(run)
    await rendered
    stdout.write(req.flags.json ? reportToJson(report) + '\n' : '\n' + renderSummary(report, { color: !!stdout.isTTY && !process.env.NO_COLOR }) + '\n')
    process.exitCode = report.exitCode
    run.journal?.append({ type: 'end', exitCode: report.exitCode, summary: report.summary, at: clock.wallTime().toISOString() })
    return report
  } finally {
    owned?.close()
    await transport?.closeAll()
    signals?.release()
  }
}

function attachOutput(bus: EventBus, flags: Pick<ConnectionFlagValues, 'json' | 'output'>, stdout: NodeJS.WriteStream): Promise<{ done: Promise<void> }> {
  const live = flags.output === 'tree' ? 'tree' : flags.output === 'plain' ? 'plain' : chooseRenderer({ json: flags.json, isTTY: !!stdout.isTTY, ci: isCI() })
  return attachRenderer(flags.json ? 'silent' : live, bus, stdout)
}

/** The transport options the connection flags set, checked before anything is read or connected. */
function transportFlags(flags: ConnectionFlagValues): SshTransportOptions {
  // The run's defaults for hosts (and jump hosts) whose inventory and ssh_config set none.
  const given = timingFlags(flags)
  return {
    readyTimeoutMs: given.connectTimeoutMs ?? SSH_DEFAULTS.readyTimeoutMs,
    keepaliveIntervalMs: given.keepaliveIntervalMs ?? SSH_DEFAULTS.keepaliveIntervalMs,
    keepaliveCountMax: given.keepaliveCountMax ?? SSH_DEFAULTS.keepaliveCountMax,
  }
}

function makeTransport(options: SshTransportOptions, sshConfig: SSHConfig | undefined, deps: RunDeps): Transport {
  return (deps.createTransport ?? createSshTransport)({
    ...options,
    // Jump host aliases (ProxyJump bastion) resolve through the same ssh_config as the hosts.
    ...(sshConfig ? { sshConfig } : {}),
    onWarning: (message, host) => process.stderr.write(`virtfleet: warning: ${host}: ${message}\n`),
    // VIRTFLEET_SSH_PASSPHRASE is read by the transport; on a terminal, ask (once per key file).
    ...((deps.interactive ?? process.stdin.isTTY) ? { askPassphrase: onePromptPerFile((file) => askHidden(`Passphrase for ${file}: `)) } : {}),
  })
}

/** SIGINT/SIGTERM: stop starting new actions; a second signal exits at once (state on hosts is already written). */
export function trapSignals(): { signal: AbortSignal; release(): void } {
  const interrupt = manyListeners(new AbortController())
  const handlers: Array<[NodeJS.Signals, () => void]> = []
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const handler = () => {
      if (interrupt.signal.aborted) {
        process.stderr.write('virtfleet: second interrupt: exiting now\n')
        process.exit(ExitCode.interrupted)
      }
      process.stderr.write(`virtfleet: ${sig} received: no new actions; waiting for in-flight steps, then reporting (again to exit at once)\n`)
      interrupt.abort(new Error(sig))
    }
    process.on(sig, handler)
    handlers.push([sig, handler])
  }
  return { signal: interrupt.signal, release: () => handlers.forEach(([sig, h]) => process.off(sig, h)) }
}

/** Every host step an engine event reports as finished is also a durable `step` record (what resume reads). */
function journalHostSteps(bus: EventBus, journal: Journal): void {
  bus.on((e) => {
    if (e.type !== 'host-step' || e.status === 'skipped') return
    journal.append({
      type: 'step',
      host: e.host,
      step: e.step,
      status: e.status,
      at: e.at,
      ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
      ...(e.error ? { error: e.error } : {}),
    })
  })
}
