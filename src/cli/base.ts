// Shared plumbing for fleet commands: common flags, inventory + ssh_config resolution, the SSH transport,
// Ctrl-C/SIGTERM handling, renderer choice, and one place that maps errors to exit codes (never a stack trace).

import { Command, Errors, Flags } from '@oclif/core'
import { errorMessage, UsageError, VirtfleetError } from '../core/errors.js'
import { ExitCode, exitCodeForError } from '../core/exit-codes.js'
import { parseDuration } from '../core/duration.js'
import { EventBus } from '../core/events.js'
import type { RunReport } from '../core/report.js'
import { type HostKeyChecking, type HostSpec } from '../inventory/types.js'
import { ACTIONS, type Action } from '../core/types.js'
import { loadSelectedHosts } from '../inventory/index.js'
import { attachRenderer, chooseRenderer, isCI } from '../render/choose.js'
import { reportToJson } from '../render/json.js'
import { renderSummary } from '../render/summary.js'
import { applySshConfig, loadSshConfig } from '../ssh/ssh-config.js'
import { createSshTransport } from '../ssh/ssh-transport.js'
import type { Transport } from '../ssh/transport.js'
import { attachJournal, completedSteps, digestInventory, failedHosts, Journal, listRuns, newRunId, readRun, resolveStateDir } from '../state/journal.js'
import { realClock } from '../core/clock.js'
import type { HostJob } from '../engine/fleet.js'
import { runFleet } from '../engine/fleet.js'
import type { StartOptions, StopOptions } from '../engine/plan.js'
import { planRolling, runRolling, type HostStep, type PlanOptions, type RollingOptions } from '../engine/rolling.js'
import { planOnlyReport } from '../engine/rolling/check.js'
import { formatRollingPlan, rollingPlanToJson } from '../render/rolling-plan.js'
import { PhaseBarrier } from '../engine/ordering.js'
import { parseSerial } from '../engine/batches.js'
import { createInterface } from 'node:readline/promises'
import { setMaxListeners } from 'node:events'

export const connectionFlags = {
  inventory: Flags.string({
    char: 'i',
    multiple: true,
    multipleNonGreedy: true,
    summary: 'Inventory file or folder (repeatable; later wins). Default: $VIRTFLEET_INVENTORY, then ./inventory.',
  }),
  limit: Flags.string({ char: 'l', summary: 'Host pattern (Ansible syntax: all, g1:g2, g1:&g2, g1:!g2, web*, ~regex, @file).' }),
  forks: Flags.integer({ char: 'f', min: 1, summary: 'Hosts handled at once.', default: 10 }),
  'host-key-checking': Flags.string({
    options: ['strict', 'accept-new', 'off'],
    summary: 'Like StrictHostKeyChecking: strict (default) refuses unknown or changed keys.',
  }),
  'known-hosts': Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    summary: 'known_hosts file(s) to check host keys against (default ~/.ssh/known_hosts).',
  }),
  'ssh-config': Flags.string({ summary: 'ssh_config file to honour (default ~/.ssh/config; $VIRTFLEET_SSH_CONFIG).' }),
  'connect-timeout': Flags.string({ summary: 'SSH connect timeout per attempt (seconds or 10s, 1m).', default: '10s' }),
  json: Flags.boolean({ summary: 'Print a JSON report on stdout (no live output).' }),
  output: Flags.string({
    options: ['auto', 'tree', 'plain'],
    default: 'auto',
    summary: 'Live output: the listr2 tree on a terminal, plain timestamped lines in CI or pipes.',
  }),
  'state-dir': Flags.string({ summary: 'Where the local run journal lives (default $XDG_STATE_HOME/virtfleet).' }),
}

export const changeFlags = {
  check: Flags.boolean({ char: 'C', summary: 'Connect and list, print exactly what would be done to which guest, change nothing.' }),
  guests: Flags.string({
    char: 'g',
    multiple: true,
    multipleNonGreedy: true,
    summary: 'Only these guests (names, globs or UUIDs; repeatable or comma-separated).',
  }),
  parallel: Flags.integer({ char: 'p', min: 1, summary: "Guests handled at once per host (default 4, or the host's `parallel` var)." }),
  'bypass-cache': Flags.boolean({ summary: 'Pass --bypass-cache to virsh (managedsave / start): avoid filling the host page cache.' }),
  'libvirt-guests-list': Flags.boolean({ summary: "Also keep libvirt-guests' own list file (/var/lib/libvirt/libvirt-guests) in step." }),
}

export const stopFlags = {
  action: Flags.string({
    char: 'a',
    options: ['shutdown', 'suspend', 'destroy'],
    summary: "First action per guest (suspend = managedsave). Default shutdown, or the host's `action` var.",
  }),
  fallback: Flags.string({ summary: 'Escalation chain tried in order when the previous action fails or times out, e.g. shutdown,destroy.' }),
  timeout: Flags.string({ char: 't', summary: 'Per-guest time for each action (seconds, or 90s, 5m). Default 5m.' }),
  'host-timeout': Flags.string({ summary: 'Per-host budget; when it runs out, every guest not yet off escalates to its next fallback.' }),
  'persistent-only': Flags.boolean({ summary: 'Leave transient guests alone (they cannot be restored by start anyway).' }),
  tiers: Flags.string({ summary: 'Fleet-wide phases by guest tier, in stop order (e.g. app,db: app everywhere before db). Start runs them in reverse.' }),
  mode: Flags.string({ options: ['acpi', 'agent'], summary: 'How shutdown asks the guest (virsh shutdown --mode). Default acpi.' }),
}

export const startFlags = {
  'start-timeout': Flags.string({ summary: 'Per-guest time to be running after start (default 2m).' }),
  'start-delay': Flags.string({ summary: "Minimum time between two starts on a host (libvirt-guests' START_DELAY)." }),
  'sync-time': Flags.boolean({ summary: 'After resuming a suspended guest, sync its clock (virsh domtime --sync; needs the guest agent).' }),
  'group-delay': Flags.string({ summary: 'Pause between two guest order groups on a host (guest_order var / virtfleet:order= tag).' }),
  'wait-agent': Flags.string({
    summary: "After start, wait up to this long for each guest's QEMU guest agent to answer; report guests whose agent stays silent.",
  }),
}

export const rollingFlags = {
  serial: Flags.string({ summary: "Hosts per batch, as Ansible's serial: 1, 25%, or 1,5,20% (the last value repeats). Default: all at once." }),
  'max-fail-percentage': Flags.integer({
    min: 0,
    max: 100,
    default: 0,
    summary: 'Stop the roll when more than this percentage of a batch fails (0: any failure).',
  }),
  pause: Flags.string({ summary: 'Wait between batches (e.g. 30s).' }),
  confirm: Flags.boolean({ summary: 'Ask before each batch after the first (needs a terminal).' }),
  'break-lock': Flags.boolean({ summary: 'Take over a host lock held by another run (after checking that run is dead).' }),
  yes: Flags.boolean({ char: 'y', summary: 'Answer yes to confirmations (non-interactive runs).' }),
  'resume-run': Flags.string({ hidden: true, summary: 'Continue this journaled run (used by `virtfleet resume`).' }),
}

export function stopOptionsFromFlags(flags: {
  action?: string
  fallback?: string
  timeout?: string
  'host-timeout'?: string
  'persistent-only'?: boolean
  mode?: string
  parallel?: number
  'bypass-cache'?: boolean
  guests?: string[]
  'libvirt-guests-list'?: boolean
  tiers?: string
}): StopOptions {
  const fallback = parseActions(flags.fallback, '--fallback')
  if (flags.fallback !== undefined && !fallback) throw new UsageError('--fallback: give at least one action')
  return {
    action: flags.action as Action | undefined,
    fallback,
    parallel: flags.parallel,
    timeoutMs: optionalDuration(flags.timeout, '--timeout'),
    hostTimeoutMs: optionalDuration(flags['host-timeout'], '--host-timeout'),
    persistentOnly: flags['persistent-only'],
    bypassCache: flags['bypass-cache'],
    mode: flags.mode as 'acpi' | 'agent' | undefined,
    guests: splitList(flags.guests),
    libvirtGuestsList: flags['libvirt-guests-list'],
    ...tierOptions(flags.tiers),
  }
}

function tierOptions(tiers: string | undefined): { tiers?: string[]; barrier?: PhaseBarrier } {
  const list = splitList(tiers === undefined ? undefined : [tiers])
  return list ? { tiers: list, barrier: new PhaseBarrier() } : {}
}

export function startOptionsFromFlags(
  flags: {
    'start-timeout'?: string
    timeout?: string
    'start-delay'?: string
    'sync-time'?: boolean
    parallel?: number
    'bypass-cache'?: boolean
    guests?: string[]
    'libvirt-guests-list'?: boolean
    tiers?: string
    'group-delay'?: string
    'wait-agent'?: string
  },
  timeoutFlag: 'timeout' | 'start-timeout',
): StartOptions {
  return {
    parallel: flags.parallel,
    timeoutMs: optionalDuration(flags[timeoutFlag], `--${timeoutFlag}`),
    startDelayMs: optionalDuration(flags['start-delay'], '--start-delay'),
    syncTime: flags['sync-time'],
    bypassCache: flags['bypass-cache'],
    guests: splitList(flags.guests),
    libvirtGuestsList: flags['libvirt-guests-list'],
    groupDelayMs: optionalDuration(flags['group-delay'], '--group-delay'),
    waitAgentMs: optionalDuration(flags['wait-agent'], '--wait-agent'),
    ...tierOptions(flags.tiers),
  }
}

type FlagValues = {
  inventory?: string[]
  limit?: string
  forks: number
  'host-key-checking'?: string
  'known-hosts'?: string[]
  'ssh-config'?: string
  'connect-timeout': string
  json: boolean
  output: string
  'state-dir'?: string
}

export function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined
  const out = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
  return out.length > 0 ? out : undefined
}

export function parseActions(text: string | undefined, what: string): Action[] | undefined {
  const list = splitList(text === undefined ? undefined : [text])
  if (!list) return undefined
  for (const a of list) if (!(ACTIONS as readonly string[]).includes(a)) throw new UsageError(`${what}: unknown action "${a}" (expected ${ACTIONS.join(', ')})`)
  return list as Action[]
}

export function optionalDuration(text: string | undefined, what: string): number | undefined {
  return text === undefined ? undefined : parseDuration(text, what)
}

export abstract class FleetCommand extends Command {
  protected interrupt = new AbortController()
  private signalHandlers: Array<[NodeJS.Signals, () => void]> = []

  protected async resolveHosts(flags: FlagValues): Promise<HostSpec[]> {
    const limit = flags.limit === '@failed' ? lastFailedHosts(flags['state-dir']) : flags.limit
    const { hosts } = await loadSelectedHosts({ inventory: flags.inventory, limit })
    if (hosts.length === 0) throw new UsageError(`no hosts matched${flags.limit ? ` --limit ${flags.limit}` : ''}`)
    const sshConfig = await loadSshConfig(flags['ssh-config'] ? { path: flags['ssh-config'] } : {})
    return hosts.map((h) => {
      const spec = applySshConfig(h, sshConfig)
      return {
        ...spec,
        ...(flags['known-hosts'] ? { knownHostsFiles: flags['known-hosts'] } : {}),
        ...(flags['host-key-checking'] ? { hostKeyChecking: flags['host-key-checking'] as HostKeyChecking } : {}),
      }
    })
  }

  protected makeTransport(flags: FlagValues): Transport {
    return createSshTransport({
      readyTimeoutMs: parseDuration(flags['connect-timeout'], '--connect-timeout'),
      onWarning: (message, host) => process.stderr.write(`virtfleet: warning: ${host}: ${message}\n`),
      // VIRTFLEET_SSH_PASSPHRASE is read by the transport; on a terminal, ask (once per key file).
      ...(process.stdin.isTTY ? { askPassphrase: onePromptPerFile((file) => askHidden(`Passphrase for ${file}: `)) } : {}),
    })
  }

  /** SIGINT/SIGTERM: stop starting new actions; a second signal exits at once (state on hosts is already written). */
  protected trapSignals(): AbortSignal {
    // Every queued guest listens to this one signal: hundreds of listeners are expected, not a leak.
    setMaxListeners(0, this.interrupt.signal)
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const handler = () => {
        if (this.interrupt.signal.aborted) {
          process.stderr.write('virtfleet: second interrupt: exiting now\n')
          process.exit(ExitCode.interrupted)
        }
        process.stderr.write(`virtfleet: ${sig} received: no new actions; waiting for in-flight steps, then reporting (again to exit at once)\n`)
        this.interrupt.abort(new Error(sig))
      }
      process.on(sig, handler)
      this.signalHandlers.push([sig, handler])
    }
    return this.interrupt.signal
  }

  protected releaseSignals(): void {
    for (const [sig, h] of this.signalHandlers) process.off(sig, h)
    this.signalHandlers = []
  }

  /** A journal for this run (durable, fsync'd) subscribed to the bus. */
  protected openJournal(bus: EventBus, flags: FlagValues, command: string, hosts: HostSpec[], options: Record<string, unknown>): Journal {
    const journal = Journal.create({
      stateDir: flags['state-dir'],
      command,
      argv: this.argv,
      options,
      hosts: hosts.map((h) => h.name),
      inventoryDigest: digestInventory(JSON.stringify(hosts)),
    })
    attachJournal(bus, journal, (err) => process.stderr.write(`virtfleet: warning: journal write failed: ${errorMessage(err)}\n`))
    return journal
  }

  protected bus(flags: FlagValues): { bus: EventBus; done: () => Promise<void> } {
    const bus = new EventBus()
    const kind =
      flags.output === 'tree' ? 'tree' : flags.output === 'plain' ? 'plain' : chooseRenderer({ json: flags.json, isTTY: !!process.stdout.isTTY, ci: isCI() })
    const attached = attachRenderer(flags.json ? 'silent' : kind, bus, process.stdout)
    return { bus, done: () => attached.done }
  }

  /** Print the final report (JSON or summary) and set the exit code. */
  protected async finish(report: RunReport, flags: FlagValues, rendered: () => Promise<void>): Promise<void> {
    await rendered()
    if (flags.json) process.stdout.write(reportToJson(report) + '\n')
    else process.stdout.write('\n' + renderSummary(report, { color: !!process.stdout.isTTY && !process.env.NO_COLOR }) + '\n')
    process.exitCode = report.exitCode
  }

  async runFleetJob(req: FleetRunRequest): Promise<RunReport> {
    const hosts = await this.resolveHosts(req.flags)
    const signal = this.trapSignals()
    const { bus, done } = this.bus(req.flags)
    const journal = req.flags.check ? undefined : this.openJournal(bus, req.flags, req.command, hosts, req.options)
    const transport = this.makeTransport(req.flags)
    req.barrier?.setHosts(hosts.map((h) => h.name))
    try {
      const report = await runFleet(
        hosts,
        {
          transport,
          clock: realClock,
          bus,
          runId: journal?.runId ?? newRunId(),
          command: req.command,
          check: !!req.flags.check,
          forks: req.barrier ? Math.max(req.flags.forks, hosts.length) : req.flags.forks,
          signal,
          ...(req.barrier ? { onHostDone: (h: string) => req.barrier?.leave(h) } : {}),
        },
        req.job,
      )
      return await this.conclude(report, req.flags, done, journal)
    } finally {
      await this.teardown(journal, transport)
    }
  }

  /**
   * A rolling run (reboot, drain, restore, run): journaled step by step, so `virtfleet resume ID` can continue it.
   * With --resume-run, the same journal is reopened and host steps it records as done are skipped.
   */
  async runRollingJob(req: {
    command: string
    flags: FlagValues & {
      check?: boolean
      'resume-run'?: string
      yes?: boolean
      confirm?: boolean
      serial?: string
      'max-fail-percentage'?: number
      pause?: string
    }
    options: Record<string, unknown>
    steps: HostStep[]
    hosts?: HostSpec[]
    rolling?: Partial<RollingOptions>
    /** A journal shared by several rolling runs (the plays of one playbook); the caller closes it. */
    journal?: Journal
  }): Promise<RunReport> {
    const { flags } = req
    const hosts = req.hosts ?? (await this.resolveHosts(flags))
    const planOptions: PlanOptions = {
      steps: req.steps,
      ...(flags.serial ? { serial: parseSerial(flags.serial) } : {}),
      maxFailPercentage: flags['max-fail-percentage'] ?? 0,
      ...(flags.pause ? { pauseMs: parseDuration(flags.pause, '--pause') } : {}),
      ...req.rolling,
    }
    // --check prints the plan (batches, hosts, steps with their options): pure, nothing is connected to.
    if (flags.check) {
      const plan = planRolling(hosts, planOptions)
      process.stdout.write((flags.json ? rollingPlanToJson(plan) : formatRollingPlan(plan, `${req.command} --check`)) + '\n')
      process.exitCode = ExitCode.ok
      return planOnlyReport(plan, { command: req.command, runId: newRunId(), at: realClock.wallTime().toISOString() })
    }
    const signal = this.trapSignals()
    const { bus, done } = this.bus(flags)
    let journal: Journal | undefined
    let completed: Set<string> | undefined
    if (flags['resume-run']) {
      const stateDir = resolveStateDir({ stateDir: flags['state-dir'] })
      const records = readRun(stateDir, flags['resume-run'])
      completed = completedSteps(records)
      journal = Journal.open(stateDir, flags['resume-run'])
      attachJournal(bus, journal, (err) => process.stderr.write(`virtfleet: warning: journal write failed: ${errorMessage(err)}\n`))
    } else if (req.journal) {
      journal = req.journal
      attachJournal(bus, journal, (err) => process.stderr.write(`virtfleet: warning: journal write failed: ${errorMessage(err)}\n`))
    } else if (!flags.check) {
      journal = this.openJournal(bus, flags, req.command, hosts, req.options)
    }
    if (journal) {
      const j = journal
      bus.on((e) => {
        if (e.type === 'host-step' && e.status !== 'skipped') {
          j.append({
            type: 'step',
            host: e.host,
            step: e.step,
            status: e.status,
            at: e.at,
            ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
            ...(e.error ? { error: e.error } : {}),
          })
        }
      })
    }
    const interactive = !!process.stdin.isTTY && !flags.json
    const ask = flags.yes ? async () => true : interactive ? (q: string) => askYesNo(q) : undefined
    const transport = this.makeTransport(flags)
    try {
      const ctx = {
        transport,
        clock: realClock,
        bus,
        runId: journal?.runId ?? newRunId(),
        command: req.command,
        check: !!flags.check,
        forks: flags.forks,
        signal,
      }
      const report = await runRolling(hosts, ctx, {
        ...planOptions,
        ...(flags.confirm && ask
          ? { confirm: (b: { index: number; of: number; hosts: string[] }) => ask(`start batch ${b.index + 1}/${b.of} (${b.hosts.join(', ')})?`) }
          : {}),
        ...(ask ? { ask } : {}),
        ...(completed ? { completed } : {}),
      })
      return await this.conclude(report, flags, done, journal)
    } finally {
      await this.teardown(req.journal ? undefined : journal, transport)
    }
  }

  private async conclude(report: RunReport, flags: FlagValues, rendered: () => Promise<void>, journal: Journal | undefined): Promise<RunReport> {
    await this.finish(report, flags, rendered)
    journal?.append({ type: 'end', exitCode: report.exitCode, summary: report.summary, at: new Date().toISOString() })
    return report
  }

  private async teardown(journal: Journal | undefined, transport: Transport): Promise<void> {
    journal?.close()
    await transport.closeAll()
    this.releaseSignals()
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    this.releaseSignals()
    if (err instanceof Errors.ExitError) throw err
    if (err instanceof VirtfleetError) {
      process.stderr.write(`virtfleet: error: ${err.message}\n`)
      process.exitCode = exitCodeForError(err)
      return
    }
    // oclif's own parse errors (unknown flag, bad option value) are usage errors.
    if (err.oclif !== undefined || /Nonexistent flag|Unexpected argument|Expected --|Missing required flag|to be one of/.test(err.message)) {
      process.stderr.write(`virtfleet: usage: ${err.message.split('\n')[0]}\nSee: virtfleet ${this.id ?? ''} --help\n`)
      process.exitCode = ExitCode.usage
      return
    }
    process.stderr.write(`virtfleet: internal error: ${errorMessage(err)}\n(set DEBUG=virtfleet for details)\n`)
    if (process.env.DEBUG?.includes('virtfleet')) process.stderr.write(`${err.stack}\n`)
    process.exitCode = ExitCode.internal
  }
}

export interface FleetRunRequest {
  command: string
  flags: FlagValues & { check?: boolean }
  options: Record<string, unknown>
  job: HostJob
  /** Tier phases: every host of the run must take part at once (forks raised to the host count). */
  barrier?: PhaseBarrier
}

/** Resolve hosts, journal, render, run `job` on every host, report. Returns the report (exit code already set). */
export async function runFleetCommand(cmd: FleetCommand, req: FleetRunRequest): Promise<RunReport> {
  return cmd.runFleetJob(req)
}

/** Ask on the terminal (stderr, so stdout stays clean for reports). */
export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/** `--limit @failed`: the failed hosts of the newest journaled run that had any (Ansible's retry file). */
export function lastFailedHosts(stateDir: string | undefined): string {
  const dir = resolveStateDir({ stateDir })
  for (const run of listRuns(dir)) {
    const failed = failedHosts(readRun(dir, run.id))
    if (failed.length > 0) {
      process.stderr.write(`virtfleet: --limit @failed: ${failed.join(', ')} (from run ${run.id})\n`)
      return failed.join(',')
    }
  }
  throw new UsageError('--limit @failed: no journaled run has failed hosts')
}

/** Ask without echo (a key passphrase), on stderr so stdout stays clean. */
export async function askHidden(question: string): Promise<string> {
  const { Writable } = await import('node:stream')
  let muted = false
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk)
      cb()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  try {
    const answer = rl.question(question)
    muted = true
    return await answer
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}

/** Several hosts may share a key: ask for its passphrase once, one prompt at a time. */
export function onePromptPerFile(ask: (file: string) => Promise<string>): (file: string) => Promise<string> {
  const answers = new Map<string, Promise<string>>()
  let chain: Promise<unknown> = Promise.resolve()
  return (file) => {
    let p = answers.get(file)
    if (!p) {
      p = chain.then(() => ask(file))
      chain = p.catch(() => undefined)
      answers.set(file, p)
    }
    return p
  }
}
