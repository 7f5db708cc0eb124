// Runs virsh on one host through a HostSession and turns results into typed values or RemoteErrors.
// Every exit code is checked: a virsh that fails never counts as success.

import { RemoteError, UnreachableError } from '../core/errors.js'
import { abortReason } from '../core/semaphore.js'
import { quoteCommand } from '../ssh/quote.js'
import type { ExecResult, HostSession } from '../ssh/transport.js'
import type { Guest } from './types.js'
import type { GuestState } from '../core/types.js'
import * as v from './virsh.js'
import { DESCRIBE_SCRIPT, parseDescribeOutput, type GuestTags } from './describe.js'
import { guestId } from '../core/report.js'

export class VirshDriver {
  constructor(
    readonly session: HostSession,
    private readonly options: v.VirshOptions = {},
  ) {}

  private async run(argv: string[], signal?: AbortSignal): Promise<ExecResult> {
    const res = await this.session.exec(argv, { signal })
    if (res.code !== 0) throw new RemoteError(this.session.host, quoteCommand(argv), res.code, res.stderr)
    return res
  }

  /**
   * The guests of every URI of a host, in natural name order: the one listing every command uses (virsh's own order
   * is by domain id, which changes with every start, so it never reaches a report).
   */
  async listAll(uris: readonly string[]): Promise<Guest[]> {
    // one virsh process per URI, all at once
    return byName((await Promise.all(uris.map((uri) => this.list(uri)))).flat())
  }

  /** Description tags of the guests of every URI, by UUID (see describe()). */
  async describeAll(uris: readonly string[]): Promise<Map<string, GuestTags>> {
    const all = new Map<string, GuestTags>()
    for (const tags of await Promise.all(uris.map((uri) => this.describe(uri)))) for (const [k, v] of tags) all.set(k, v)
    return all
  }

  /** One URI's guests in virsh's order; callers want listAll(). */
  async list(uri: string): Promise<Guest[]> {
    const argv = v.listArgv(uri)
    const res = await this.run(argv)
    let parsed
    try {
      parsed = v.parseGuestList(uri, res.stdout)
    } catch (err) {
      throw new RemoteError(this.session.host, quoteCommand(argv), res.code, res.stderr, `${this.session.host}: ${(err as Error).message}`)
    }
    for (const uuid of parsed.needState) {
      const g = parsed.guests.find((x) => x.uuid === uuid)
      if (g) g.state = (await this.state(uri, uuid)) ?? 'unknown'
    }
    return parsed.guests
  }

  /** Current state, or undefined when the guest no longer exists (a transient guest that stopped). */
  async state(uri: string, uuid: string, signal?: AbortSignal): Promise<GuestState | undefined> {
    const argv = v.domstateArgv(uri, uuid)
    const res = await this.session.exec(argv, { signal })
    if (res.code !== 0) {
      if (v.isNoDomainError(res.stderr)) return undefined
      throw new RemoteError(this.session.host, quoteCommand(argv), res.code, res.stderr)
    }
    return v.parseDomstate(res.stdout)
  }

  /**
   * States of several guests of one URI with one exec (one guest: a plain domstate). A guest whose domstate failed is read again alone (which
   * tells a guest that no longer exists from an error); so is every guest when the script itself failed.
   */
  async states(uri: string, uuids: readonly string[]): Promise<Map<string, GuestState | undefined>> {
    if (uuids.length === 1) return new Map([[uuids[0] as string, await this.state(uri, uuids[0] as string)]])
    let batch: Map<string, GuestState | 'failed'> | undefined
    try {
      const res = await this.session.exec(v.domstatesArgv(uri, uuids))
      if (res.code === 0) batch = v.parseDomstates(res.stdout, uuids)
    } catch (err) {
      if (err instanceof UnreachableError) throw err
    }
    const states = new Map<string, GuestState | undefined>()
    const alone: string[] = []
    for (const u of uuids) {
      const s = batch?.get(u)
      if (s === undefined || s === 'failed') alone.push(u)
      else states.set(u, s)
    }
    await Promise.all(alone.map(async (u) => states.set(u, await this.state(uri, u))))
    return states
  }

  /**
   * Ask a guest to shut down (the request only: it returns at once). Requests made in the same turn for one URI go
   * out as one virsh script: a host's first wave of shutdowns is one exec and one virsh process, not one per guest.
   * A guest whose request the script did not confirm is asked again alone, which gives its own exit code and
   * error; so is every guest when the script itself failed. A caller whose signal fires stops waiting at once.
   */
  shutdown(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    const id = guestId({ uri, uuid })
    const early = this.sentEarly.get(id)
    if (early !== undefined) {
      this.sentEarly.delete(id)
      // Confirmed by the script that went out with the saved list; one it did not confirm is asked again alone.
      if (early === 'ok') return Promise.resolve()
      return this.shutdownAlone(uri, uuid, signal)
    }
    return this.enqueue('shutdown', uri, uuid, signal, this.shutdownAlone, (live, wave) => this.sendShutdowns(uri, live, wave))
  }

  /**
   * Start a guest (returns when virsh start has). Starts made in the same turn for one URI run from one shell, at
   * once, each in its own job (STARTS_SCRIPT): a host's wave of starts is one exec, not one per guest, and each
   * guest's result (its exit code, its error) arrives as soon as its own virsh ends. A guest the script gave no
   * result for is started alone.
   */
  start(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    return this.enqueue('start', uri, uuid, signal, this.startAlone, (live, wave) => this.sendStarts(uri, live, wave))
  }

  /** One guest's request on its own exec: its own exit code and error. */
  private readonly shutdownAlone = async (uri: string, uuid: string, signal?: AbortSignal): Promise<void> => {
    await this.run(v.shutdownArgv(uri, uuid, this.options), signal)
  }
  private readonly startAlone = async (uri: string, uuid: string, signal?: AbortSignal): Promise<void> => {
    await this.run(v.startArgv(uri, uuid, this.options), signal)
  }

  /** Requests waiting for the end of the current turn, by "KIND URI". */
  private readonly waves = new Map<string, WaveRequest[]>()
  /** Requests already sent by another exec (see firstShutdowns), by "URI UUID": what that script said of each. */
  private readonly sentEarly = new Map<string, 'ok' | 'failed'>()

  /**
   * Queue a request for its URI's wave of this kind. The first of a turn schedules the wave for the end of the turn,
   * with every request made meanwhile whose caller still waits: one alone goes out `alone`; several go to `together`,
   * which settles the callers it has an answer for (a lost connection fails them all). Every caller it left waiting
   * is asked again `alone`, which gives its own exit code and error.
   */
  private enqueue(
    kind: string,
    uri: string,
    uuid: string,
    signal: AbortSignal | undefined,
    alone: (uri: string, uuid: string, signal?: AbortSignal) => Promise<void>,
    together: (live: WaveRequest[], wave: HeldWave) => Promise<void>,
  ): Promise<void> {
    const key = `${kind} ${uri}`
    return new Promise<void>((resolve, reject) => {
      let wave = this.waves.get(key)
      if (!wave) {
        const w: WaveRequest[] = (wave = [])
        this.waves.set(key, w)
        queueMicrotask(() => {
          this.waves.delete(key)
          const live = w.filter((r) => {
            if (r.signal?.aborted) r.reject(abortReason(r.signal))
            return !r.signal?.aborted
          })
          void sendWave(live, (r) => alone(uri, r.uuid, r.signal).then(r.resolve, r.reject), together)
        })
      }
      wave.push({ uuid, signal, resolve, reject })
    })
  }

  /**
   * The command for a first wave of shutdown requests that another exec carries (the stop sends it after the saved
   * list, in the same round trip), and what to do with its result: `sent` records each guest's answer, so that its
   * shutdown() resolves at once, or asks again alone, the way a wave does. Without `sent`, nothing was sent.
   */
  firstShutdowns(uri: string, uuids: readonly string[]): { argv: string[]; sent: (res: ExecResult) => void } {
    return {
      argv: v.shutdownsArgv(uri, uuids, this.options),
      sent: (res) => {
        let confirmed: Map<string, 'ok' | 'failed'> | undefined
        try {
          confirmed = v.parseShutdowns(res.stdout, uuids)
        } catch {
          // cut output: every request is asked again alone
        }
        for (const u of uuids) this.sentEarly.set(guestId({ uri, uuid: u }), confirmed?.get(u) ?? 'failed')
      },
    }
  }

  /** A wave of shutdown requests as one virsh script: a guest whose request it confirmed is answered. */
  private async sendShutdowns(uri: string, live: WaveRequest[], wave: HeldWave): Promise<void> {
    const uuids = live.map((r) => r.uuid)
    const confirmed = v.parseShutdowns((await this.session.exec(v.shutdownsArgv(uri, uuids, this.options), { signal: wave.signal })).stdout, uuids)
    for (const r of live) if (confirmed.get(r.uuid) === 'ok') wave.settle(r, r.resolve)
  }

  /** A wave of starts as one shell: each guest is answered when its trailer arrives, with its own exit code. */
  private async sendStarts(uri: string, live: WaveRequest[], wave: HeldWave): Promise<void> {
    const byUuid = new Map(live.map((r) => [r.uuid, r]))
    const output = new v.StartsOutput(new Set(byUuid.keys()))
    const onLine = (line: string) => {
      const res = output.push(line)
      if (res === undefined || res === 'end') return
      const r = byUuid.get(res.uuid) as WaveRequest
      const command = quoteCommand(v.startArgv(uri, r.uuid, this.options))
      wave.settle(r, () => (res.code === 0 ? r.resolve() : r.reject(new RemoteError(this.session.host, command, res.code, res.output))))
    }
    await this.session.stream(v.startsArgv(uri, [...byUuid.keys()], this.options), onLine, { signal: wave.signal }).done
  }

  async managedsave(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.managedsaveArgv(uri, uuid, this.options), signal)
  }
  async destroy(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.destroyArgv(uri, uuid), signal)
  }
  /** Best effort: cancel a running job (a managedsave that ran out of time). */
  async abortJob(uri: string, uuid: string): Promise<void> {
    await this.session.exec(v.domjobabortArgv(uri, uuid)).catch(() => undefined)
  }
  /** Tags from every guest's description (`virtfleet:order=N`, `virtfleet:tier=NAME`), one exec per URI. */
  async describe(uri: string): Promise<Map<string, GuestTags>> {
    const argv = ['sh', '-c', DESCRIBE_SCRIPT, 'sh', uri]
    const res = await this.session.exec(argv)
    if (res.code !== 0) throw new RemoteError(this.session.host, quoteCommand(argv), res.code, res.stderr)
    return parseDescribeOutput(res.stdout)
  }

  /** True when the guest's QEMU agent answers a ping. */
  async pingAgent(uri: string, uuid: string): Promise<boolean> {
    const res = await this.session.exec(v.agentPingArgv(uri, uuid))
    return res.code === 0
  }

  async syncTime(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.domtimeSyncArgv(uri, uuid), signal)
  }
}

/** One caller's request waiting for (or in) its URI's next wave. */
interface WaveRequest {
  uuid: string
  signal: AbortSignal | undefined
  resolve: () => void
  reject: (err: unknown) => void
}

/** A wave in flight: the script's signal, and `settle`, which ends a caller's wait once, the first time. */
interface HeldWave {
  signal: AbortSignal
  settle: (r: WaveRequest, done: () => void) => void
}

/**
 * A wave's script runs until every caller stopped waiting: each caller's signal lets only that caller go (rejected
 * with its reason), the script's signal fires once all have gone.
 */
function holdWave(live: readonly WaveRequest[]): HeldWave {
  const script = new AbortController()
  let waiting = live.length
  const settled = new Set<WaveRequest>()
  const onAbort = new Map<WaveRequest, () => void>()
  const settle = (r: WaveRequest, done: () => void) => {
    if (settled.has(r)) return
    settled.add(r)
    r.signal?.removeEventListener('abort', onAbort.get(r) as () => void)
    done()
  }
  for (const r of live) {
    const abort = () =>
      settle(r, () => {
        r.reject(abortReason(r.signal as AbortSignal))
        if (--waiting === 0) script.abort()
      })
    onAbort.set(r, abort)
    r.signal?.addEventListener('abort', abort, { once: true })
  }
  return { signal: script.signal, settle }
}

/**
 * Send the live requests of one wave: one request alone; several `together`, under holdWave. A lost connection fails
 * every caller still waiting; any other failure of the script (an error exit, cut output) and any caller it gave no
 * answer leave the caller to `alone`.
 */
async function sendWave(
  live: WaveRequest[],
  alone: (r: WaveRequest) => Promise<void>,
  together: (live: WaveRequest[], wave: HeldWave) => Promise<void>,
): Promise<void> {
  if (live.length === 0) return
  if (live.length === 1) return void alone(live[0] as WaveRequest)
  const wave = holdWave(live)
  try {
    await together(live, wave)
  } catch (err) {
    if (err instanceof UnreachableError) for (const r of live) wave.settle(r, () => r.reject(err))
  }
  // For a start: one that did start meanwhile fails "already active" alone, and the caller's state read finds it
  // running.
  for (const r of live) wave.settle(r, () => void alone(r))
}

/** Natural name order (web2 before web10), the order every report and plan lists guests in. */
export function byName<T extends { name: string }>(guests: readonly T[]): T[] {
  return [...guests].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
}
