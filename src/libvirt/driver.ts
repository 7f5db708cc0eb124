// Runs virsh on one host through a HostSession and turns results into typed values or RemoteErrors.
// Every exit code is checked: a virsh that fails never counts as success.

import { RemoteError } from '../core/errors.js'
import { quoteCommand } from '../ssh/quote.js'
import type { ExecResult, HostSession } from '../ssh/transport.js'
import type { Guest } from './types.js'
import type { GuestState } from '../core/types.js'
import * as v from './virsh.js'
import { DESCRIBE_SCRIPT, parseDescribeOutput, type GuestTags } from './describe.js'

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

  async shutdown(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.shutdownArgv(uri, uuid, this.options), signal)
  }
  async managedsave(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.managedsaveArgv(uri, uuid, this.options), signal)
  }
  async destroy(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.destroyArgv(uri, uuid), signal)
  }
  async start(uri: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.run(v.startArgv(uri, uuid, this.options), signal)
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
