// Waits for guests to reach a state. Completion comes from one `virsh event --all --loop` stream per host and URI;
// a slow domstate poll is only the safety net (lost events, a stream that could not start). No fixed sleeps.
// A Stopped event settles a wait for 'off' by itself (no domstate round trip, which costs 100+ ms per guest), and
// an event that cannot bring a guest to the wanted state asks for no read at all.
// A lost connection ends every wait at once with 'lost': nothing more can be learned about the host's guests.

import { TIMER_CANCELLED, type Clock } from '../core/clock.js'
import type { LineStream } from '../ssh/transport.js'
import type { VirshDriver } from './driver.js'
import type { GuestState } from '../core/types.js'
import { isActive } from './types.js'
import { eventLoopArgv, parseEventLine } from './virsh.js'

export type Want = 'off' | 'running'

export type WaitResult = 'reached' | 'timeout' | 'aborted' | 'lost'

/** A URI's state reads: the ones waiting for the next exec, and whether an exec is in flight. */
interface ReadQueue {
  queued: Map<string, Array<{ resolve: (s: GuestState | undefined) => void; reject: (e: unknown) => void }>>
  busy: boolean
}

interface Waiter {
  uri: string
  uuid: string
  name: string
  want: Want
  resolve: (r: WaitResult) => void
  checking: boolean
  /** An event arrived while a state read was in flight. */
  again?: boolean
}

export function reached(state: GuestState | undefined, want: Want): boolean {
  if (want === 'off') return state === undefined || state === 'shut off' || state === 'crashed'
  return state !== undefined && isActive(state) && state !== 'in shutdown' && state !== 'paused'
}

/** A lifecycle event that by itself means a wait for `want` is over (others are confirmed with domstate). */
export function settlesOff(event: string, want: Want): boolean {
  return want === 'off' && event === 'Stopped'
}

/**
 * Whether a lifecycle event can have brought a guest to `want`, so that reading its state is worth an exec. libvirt
 * sends Stopped whenever a guest's process ends (after Shutdown, Suspended for a managed save, or a destroy), so a
 * wait for off reads only on Crashed (a guest kept crashed gets no Stopped); a wait for running reads on Started and
 * Resumed (a guest started paused gets Started, then Suspended). A lost event is the poll's to find.
 */
export function mayReach(event: string, want: Want): boolean {
  if (want === 'off') return event === 'Stopped' || event === 'Crashed'
  return event === 'Started' || event === 'Resumed'
}

export class StateWatcher {
  private waiters = new Set<Waiter>()
  private streams: LineStream[] = []
  private pollTimer?: AbortController
  private closed = false
  private readonly reads = new Map<string, ReadQueue>()
  /** Per URI with a stream: the events it delivered, and the waits only the poll saw end. */
  private readonly heard = new Map<string, { events: number; endedByPoll: number }>()
  /** Why the host's connection was lost, once it was. */
  lostError?: Error

  constructor(
    private readonly driver: VirshDriver,
    private readonly clock: Clock,
    private readonly pollMs = 5000,
  ) {
    driver.session.onClose((err) => {
      if (err) this.onLost(err)
    })
  }

  private onLost(err: Error): void {
    if (this.closed || this.lostError) return
    this.lostError = err
    for (const w of this.waiters) w.resolve('lost')
    this.waiters.clear()
  }

  /** Open the event stream for each URI; streams that fail leave the poll in charge. */
  start(uris: string[]): void {
    for (const uri of uris) {
      this.heard.set(uri, { events: 0, endedByPoll: 0 })
      const stream = this.driver.session.stream(eventLoopArgv(uri), (line) => this.onLine(uri, line), { become: true })
      stream.done.catch(() => undefined)
      this.streams.push(stream)
    }
    void this.pollLoop()
  }

  private onLine(uri: string, line: string): void {
    const ev = parseEventLine(line)
    if (!ev) return
    const heard = this.heard.get(uri)
    if (heard) heard.events++
    for (const w of this.waiters) {
      if (w.uri !== uri || w.name !== ev.name) continue
      // libvirt sends Stopped once the guest's process is gone: the guest is off, asking domstate again adds nothing.
      if (settlesOff(ev.event, w.want)) {
        if (this.waiters.delete(w)) w.resolve('reached')
      } else if (mayReach(ev.event, w.want)) void this.check(w)
    }
  }

  private async check(w: Waiter, byPoll = false): Promise<void> {
    if (!this.waiters.has(w)) return
    if (w.checking) {
      // A state read is in flight and may predate the event that asked for this one: read once more after it.
      w.again = true
      return
    }
    w.checking = true
    try {
      do {
        w.again = false
        const state = await this.readState(w.uri, w.uuid)
        if (reached(state, w.want) && this.waiters.delete(w)) {
          const heard = byPoll ? this.heard.get(w.uri) : undefined
          if (heard) heard.endedByPoll++
          w.resolve('reached')
        }
      } while (w.again && this.waiters.has(w))
    } catch {
      // connection trouble: the poll or the caller's timeout decides
    } finally {
      w.checking = false
    }
  }

  /**
   * A guest's state, read with the others asked for meanwhile: one exec per URI at a time, and the reads asked for
   * while it runs go together in the next (one domstate exec per waiting guest cost the control machine more CPU
   * than anything else per guest). A read asked for during an exec is made after it, never answered by it.
   */
  private readState(uri: string, uuid: string): Promise<GuestState | undefined> {
    let q = this.reads.get(uri)
    if (!q) this.reads.set(uri, (q = { queued: new Map(), busy: false }))
    const queue = q
    const answer = new Promise<GuestState | undefined>((resolve, reject) => {
      const list = queue.queued.get(uuid) ?? []
      list.push({ resolve, reject })
      queue.queued.set(uuid, list)
    })
    if (!queue.busy) {
      queue.busy = true
      // Reads asked for in the same turn (a poll, a burst of events) share the first exec too.
      queueMicrotask(() => void this.drainReads(uri, queue))
    }
    return answer
  }

  private async drainReads(uri: string, q: ReadQueue): Promise<void> {
    while (q.queued.size > 0) {
      const batch = q.queued
      q.queued = new Map()
      const uuids = [...batch.keys()]
      try {
        const states = await this.driver.states(uri, uuids)
        for (const [uuid, asked] of batch) {
          // No answer is not "no such guest" (which would read as off): fail the read, the poll asks again.
          if (states.has(uuid)) for (const a of asked) a.resolve(states.get(uuid))
          else for (const a of asked) a.reject(new Error(`no state read for ${uuid}`))
        }
      } catch (err) {
        for (const asked of batch.values()) for (const a of asked) a.reject(err)
      }
    }
    q.busy = false
  }

  private async pollLoop(): Promise<void> {
    const ac = new AbortController()
    this.pollTimer = ac
    while (!this.closed) {
      try {
        await this.clock.sleep(this.pollMs, ac.signal)
      } catch {
        return
      }
      await Promise.all([...this.waiters].map((w) => this.check(w, true)))
    }
  }

  /** Resolve 'reached' when the guest is in the wanted state, 'timeout' after timeoutMs, 'aborted' on signal, 'lost' with the connection. */
  async waitFor(g: { uri: string; uuid: string; name: string }, want: Want, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    if (this.lostError) return 'lost'
    const timer = new AbortController()
    let waiter!: Waiter
    const result = new Promise<WaitResult>((resolve) => {
      waiter = { ...g, want, resolve, checking: false }
    })
    this.waiters.add(waiter)
    const finish = (r: 'timeout' | 'aborted') => {
      if (this.waiters.delete(waiter)) waiter.resolve(r)
    }
    const onAbort = () => finish('aborted')
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted) finish('aborted')
    this.clock.sleep(timeoutMs, timer.signal).then(
      () => finish('timeout'),
      () => undefined,
    )
    // The state may already be reached (event raced ahead of us): check once now.
    void this.check(waiter)
    const r = await result
    timer.abort(TIMER_CANCELLED)
    signal?.removeEventListener('abort', onAbort)
    return r
  }

  /**
   * The URIs whose event stream delivered nothing while waits on them ended only at a poll: a libvirtd that stopped
   * delivering events (seen on a lab host: `virsh event` silent while `virsh list` answered), or a stream that never
   * registered. Each such wait took up to one poll interval longer than it had to.
   */
  silentStreams(): Array<{ uri: string; endedByPoll: number; pollMs: number }> {
    return [...this.heard].filter(([, h]) => h.events === 0 && h.endedByPoll > 0).map(([uri, h]) => ({ uri, endedByPoll: h.endedByPoll, pollMs: this.pollMs }))
  }

  close(): void {
    this.closed = true
    this.pollTimer?.abort(TIMER_CANCELLED)
    for (const s of this.streams) s.close()
    for (const w of this.waiters) w.resolve('aborted')
    this.waiters.clear()
  }
}
