// The report of a `--check` rolling run: every host planned, nothing done. Each step is listed 'skipped' with its
// options as the detail, so JSON consumers and the journal-less summary see the same plan the text shows.

import { ExitCode } from '../../core/exit-codes.js'
import type { HostReport, RunReport } from '../../core/report.js'
import { summarize } from '../../core/report.js'
import { describeStep } from '../steps/registry.js'
import type { RollingPlan } from './types.js'

export function planOnlyReport(plan: RollingPlan, run: { command: string; runId: string; at: string }): RunReport {
  const hosts: HostReport[] = plan.hosts.map((h) => ({
    host: h.host,
    status: 'skipped',
    durationMs: 0,
    guests: [],
    steps: h.steps.map((s) => ({ step: s.step.kind, status: 'skipped', durationMs: 0, detail: `planned: ${describeStep(s.step)}`.trim() })),
  }))
  return {
    command: run.command,
    runId: run.runId,
    check: true,
    startedAt: run.at,
    endedAt: run.at,
    durationMs: 0,
    exitCode: ExitCode.ok,
    interrupted: false,
    summary: summarize(hosts),
    hosts,
  }
}
