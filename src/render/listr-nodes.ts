// What the live tree draws, as plain state: one node per guest, host and host group, each knowing its listr2 task
// (once started), its title for the current state, and when it is final. Events from the bus update these nodes;
// listr-tree.ts turns them into listr2 tasks.

import type { ListrTaskWrapper } from 'listr2'
import { formatDuration } from '../core/duration.js'
import type { GuestRef, GuestReport, HostReport, Verb } from '../core/report.js'
import { guestResultText, hostFailed, outcomeCounts } from './words.js'

export type Ctx = Record<string, never>
// The renderer type parameters only matter to listr2's own option typing; tasks here use none of them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Wrapper = ListrTaskWrapper<Ctx, any, any>

export class Deferred<T> {
  readonly promise: Promise<T>
  settled = false
  private res!: (v: T) => void
  constructor() {
    this.promise = new Promise<T>((r) => (this.res = r))
  }
  resolve(v: T): void {
    if (this.settled) return
    this.settled = true
    this.res(v)
  }
}

export function guestKey(g: GuestRef): string {
  return `${g.uri}\u0000${g.uuid || g.name}`
}

/** What every drawn node shares: its listr2 task once started, when listr2 finalized it, and its current title. */
export interface DrawnNode {
  wrapper?: Wrapper
  readonly closed: Deferred<void>
  title(): string
  refresh(): void
}

export class GuestNode implements DrawnNode {
  wrapper?: Wrapper
  readonly closed = new Deferred<void>()
  /** Finished attempts that did not succeed, e.g. "suspend ✗". */
  history: string[] = []
  current?: string
  report?: GuestReport
  readonly done = new Deferred<GuestReport | undefined>()
  constructor(
    readonly host: string,
    readonly ref: GuestRef,
    readonly plan: Verb[],
  ) {}

  title(): string {
    const head = `${this.host} › ${this.ref.name}`
    if (this.report) return `${head} ${guestResultText(this.report)}${this.report.error ? `: ${this.report.error}` : ''}`
    const parts = [...this.history]
    if (this.current) parts.push(this.current)
    if (parts.length === 0) return `${head} waiting${this.plan.length > 0 ? ` (${this.plan.join(' → ')})` : ''}`
    return `${head} ${parts.join(' → ')}`
  }

  refresh(): void {
    if (this.wrapper) this.wrapper.title = this.title()
  }

  finish(report: GuestReport | undefined): void {
    if (this.done.settled) return
    this.report = report
    this.current = undefined
    this.refresh()
    this.done.resolve(report)
  }
}

export type HostPhase = 'waiting' | 'connecting' | 'planning' | 'planned'

export class HostNode implements DrawnNode {
  wrapper?: Wrapper
  readonly closed = new Deferred<void>()
  phase: HostPhase = 'waiting'
  /** The current host-level step of a rolling run or playbook, e.g. "reboot…", "wait_for_ssh ✓". */
  step?: string
  /** Live migrations in flight in this host's step: guest → "web → hv3 47 %". */
  readonly migrations = new Map<string, string>()
  guests: GuestNode[] = []
  report?: HostReport
  group?: GroupNode
  readonly planned = new Deferred<void>()
  readonly done = new Deferred<HostReport | undefined>()
  constructor(
    readonly name: string,
    private readonly goal: string,
  ) {}

  get finished(): boolean {
    return this.done.settled
  }

  guestsOk(): number {
    return this.guests.filter((g) => g.report?.ok).length
  }
  guestsFailed(): number {
    return this.guests.filter((g) => g.report && !g.report.ok).length
  }

  title(): string {
    const r = this.report
    if (r && r.guests.length === 0) {
      if (r.status === 'ok') return `${this.name}  no guests`
      return `${this.name}  ${r.status}${r.error ? `: ${r.error}` : ''}`
    }
    if (r) {
      const failed = r.guests.filter((g) => !g.ok).length
      const ok = r.guests.length - failed
      const status = r.status === 'ok' ? '' : ` (${r.status}${r.error ? `: ${r.error}` : ''})`
      return `${this.name}  ${ok}/${r.guests.length} ${this.goal}${failed > 0 ? `, ${failed} failed` : ''}${status} in ${formatDuration(r.durationMs)} · ${outcomeCounts(r.guests)}`
    }
    if (this.finished) return `${this.name}  not finished`
    const step = (this.step ? ` · ${this.step}` : '') + [...this.migrations.values()].map((m) => ` · ${m}`).join('')
    if (this.phase !== 'planned') return `${this.name}  ${this.phase}${step}`
    if (this.guests.length === 0) return `${this.name}  no guests${step}`
    const failed = this.guestsFailed()
    return `${this.name}  ${this.guestsOk()}/${this.guests.length} ${this.goal}${failed > 0 ? `, ${failed} failed` : ''}${step}`
  }

  refresh(): void {
    if (this.wrapper) this.wrapper.title = this.title()
    this.group?.refresh()
  }

  finish(report: HostReport | undefined): void {
    if (this.finished) return
    this.report = report
    for (const g of this.guests) {
      g.finish(report?.guests.find((r) => guestKey(r) === guestKey(g.ref)) ?? g.report)
    }
    this.planned.resolve()
    this.done.resolve(report)
    this.refresh()
  }
}

export class GroupNode implements DrawnNode {
  wrapper?: Wrapper
  readonly closed = new Deferred<void>()
  constructor(
    readonly hosts: HostNode[],
    private readonly goal: string,
  ) {
    for (const h of hosts) h.group = this
  }

  label(): string {
    const first = this.hosts[0]?.name ?? ''
    const last = this.hosts[this.hosts.length - 1]?.name ?? ''
    return this.hosts.length > 1 ? `${first}…${last}` : first
  }

  title(): string {
    const done = this.hosts.filter((h) => h.finished)
    const bad = done.filter((h) => h.report && hostFailed(h.report)).map((h) => `${h.name} ${h.report?.status}`)
    const active = this.hosts.filter((h) => !h.finished && h.phase !== 'waiting').length
    const guests = this.hosts.reduce((n, h) => n + (h.report?.guests.length ?? h.guests.length), 0)
    const ok = this.hosts.reduce((n, h) => n + (h.report ? h.report.guests.filter((g) => g.ok).length : h.guestsOk()), 0)
    let t = `${this.label()}  ${done.length}/${this.hosts.length} hosts done`
    if (active > 0) t += `, ${active} active`
    if (guests > 0) t += ` · ${ok}/${guests} guests ${this.goal}`
    if (bad.length > 0) t += ` · ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` +${bad.length - 3} more` : ''}`
    return t
  }

  refresh(): void {
    if (this.wrapper) this.wrapper.title = this.title()
  }
}
