// An in-memory fleet behind the Transport interface: each FakeHost interprets the exact argv virtfleet sends
// (virsh subcommands, the saved-list read/write scripts) and simulates guests on an injected clock.
// For speed in unit tests only; the integration and e2e suites prove the same behaviour on real sshd + libvirtd.

import { UnreachableError } from '../../src/core/errors.js'
import type { Clock } from '../../src/core/clock.js'
import type { HostSpec } from '../../src/inventory/types.js'
import type { GuestState } from '../../src/core/types.js'
import { LIST_SCRIPT, STARTS_SCRIPT } from '../../src/libvirt/virsh.js'
import { DESCRIBE_SCRIPT } from '../../src/libvirt/describe.js'
import { READ_SCRIPT, WRITE_SCRIPT, WRITE_THEN_SCRIPT } from '../../src/state/saved-list.js'
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT } from '../../src/state/host-lock.js'
import type { ExecOptions, ExecResult, HostSession, LineStream, Transport } from '../../src/ssh/transport.js'
import { isReadyPoll, runReadyPoll } from './ready-poll.js'

export interface FakeGuestSpec {
  name: string
  uuid?: string
  uri?: string
  state?: GuestState
  persistent?: boolean
  managedSave?: boolean
  /** ms from ACPI request to power-off; 'ignore' = never reacts. Default 1000. */
  shutdownDelayMs?: number | 'ignore'
  saveMs?: number
  /** stderr of a failing `virsh start`. */
  startFails?: string
  agent?: boolean
  /** Live migration: memory (KiB, default 96 MiB), vCPUs, description tags, extra XML, how long a migration takes. */
  memoryKiB?: number
  vcpus?: number
  description?: string
  xmlExtra?: string
  migrateMs?: number
  /** stderr of a failing `virsh migrate`. */
  migrateFails?: string
  /** The agent answers only this long after the guest (re)started (a late-starting agent); default at once. */
  agentAfterMs?: number
  /** Its managed save was made while it was paused: libvirt restores it paused (Started, then Suspended). */
  restoresPaused?: boolean
}

interface FakeGuest extends Required<Omit<FakeGuestSpec, 'startFails' | 'uuid' | 'migrateFails'>> {
  uuid: string
  startFails?: string
  migrateFails?: string
  shutdownPending: boolean
  /** Clock time of the last start (for agentAfterMs). */
  startedAt: number
}

export interface ExecRecord {
  at: number
  host: string
  argv: string[]
}

let uuidSeq = 0
export function fakeUuid(): string {
  uuidSeq++
  return `00000000-0000-4000-8000-${uuidSeq.toString(16).padStart(12, '0')}`
}

const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '' })
const fail = (stderr: string): ExecResult => ({ code: 1, stdout: '', stderr: `error: ${stderr}\n` })

export class FakeHost {
  readonly guests: FakeGuest[] = []
  readonly files = new Map<string, string>()
  private listeners = new Set<{ uri: string; onLine: (l: string) => void }>()
  unreachable = false
  /** A libvirtd that no longer delivers events: event streams open and stay silent. */
  silentEvents = false
  bootId = 'boot-1'
  /** How long a reboot keeps SSH away; a reboot command failing makes `reboot` exit 1. */
  rebootDownMs = 5000
  rebootFails = false
  reboots = 0
  /** Bumped by a reboot: sessions opened before it are dead, as real SSH connections are. */
  generation = 0
  /** Drop the connection at this many execs (simulates a lost link). */
  loseConnectionAfterExecs?: number
  execCount = 0
  /** Answers to `sh -c LINE` for other lines (playbook commands, reboot test commands). */
  readonly shellCommands = new Map<string, (options: ExecOptions) => ExecResult | Promise<ExecResult>>()
  /** Capacity as `virsh nodeinfo` / `nodememstats` report it. */
  cpus = 8
  memoryKiB = 8 * 1024 * 1024
  availableKiB = 6 * 1024 * 1024
  /** Destinations (host names) this host cannot reach for migration: `virsh -c DEST uri` and migrate fail. */
  readonly cannotReach = new Set<string>()
  /** Migrations in flight out of this host, by guest UUID (domjobabort ends them). */
  private migrating = new Map<string, { abort: () => void }>()
  /** Completed incoming migrations (domjobinfo --completed on the destination). */
  private completed = new Set<string>()

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    readonly log: ExecRecord[],
    /** The other hosts, for live migration (destination found by name in the destination URI). */
    private readonly peers: Map<string, FakeHost> = new Map(),
  ) {}

  addGuest(spec: FakeGuestSpec): FakeGuest {
    const g: FakeGuest = {
      uri: 'qemu:///system',
      state: 'running',
      persistent: true,
      managedSave: false,
      shutdownDelayMs: 1000,
      saveMs: 500,
      agent: false,
      memoryKiB: 98304,
      vcpus: 1,
      description: '',
      xmlExtra: '',
      migrateMs: 2000,
      agentAfterMs: 0,
      restoresPaused: false,
      ...spec,
      uuid: spec.uuid ?? fakeUuid(),
      shutdownPending: false,
      startedAt: this.clock.now(),
    }
    this.guests.push(g)
    return g
  }

  guest(name: string): FakeGuest {
    const g = this.guests.find((x) => x.name === name)
    if (!g) throw new Error(`no fake guest ${name}`)
    return g
  }

  private emit(g: FakeGuest, text: string): void {
    if (this.silentEvents) return
    const ts = this.clock.wallTime().toISOString().replace('T', ' ').replace('Z', '+0000')
    for (const l of this.listeners) if (l.uri === g.uri) l.onLine(`${ts}: event 'lifecycle' for domain '${g.name}': ${text}`)
  }

  private powerOff(g: FakeGuest, detail: string): void {
    g.state = 'shut off'
    g.shutdownPending = false
    this.emit(g, `Stopped ${detail}`)
    if (!g.persistent) this.guests.splice(this.guests.indexOf(g), 1)
  }

  /** A virsh script of `echo` and `domstate` commands (the watcher's batched state reads). */
  private domstates(uri: string, script: string): string {
    let out = ''
    for (const part of script.split(';').map((p) => p.trim())) {
      const [cmd, arg] = part.split(/\s+/)
      if (cmd === 'echo') out += `${arg}\n`
      const g = cmd === 'domstate' ? this.guests.find((x) => x.uri === uri && x.uuid === arg) : undefined
      if (g) out += `${g.state}\n\n`
    }
    return out
  }

  /**
   * A virsh script of `echo` and `shutdown` commands (a wave of shutdown requests): virsh runs each, as the real one
   * does even after a failure; each is logged as the command it is, and the script exits with its last command's status.
   */
  private async shutdowns(uri: string, script: string, options: ExecOptions): Promise<ExecResult> {
    let stdout = ''
    let stderr = ''
    for (const part of script.split(';').map((p) => p.trim())) {
      const [cmd, ...args] = part.split(/\s+/)
      if (cmd === 'echo') stdout += `${args.join(' ')}\n`
      if (cmd !== 'shutdown') continue
      const one = ['virsh', '-c', uri, 'shutdown', ...args]
      this.log.push({ at: this.clock.now(), host: this.name, argv: one })
      const r = await this.run(one, options)
      stdout += r.code === 0 ? r.stdout : '\n'
      stderr += r.stderr
    }
    return { code: 0, stdout, stderr }
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.log.push({ at: this.clock.now(), host: this.name, argv: [...argv] })
    this.execCount++
    if (this.loseConnectionAfterExecs !== undefined && this.execCount > this.loseConnectionAfterExecs) this.unreachable = true
    if (this.unreachable) throw new UnreachableError(this.name, 'connection lost')
    if (isReadyPoll(argv))
      // the host's shell runs each probe: logged as the commands they are, one exec on the connection
      return runReadyPoll(
        argv,
        (probe) => {
          this.log.push({ at: this.clock.now(), host: this.name, argv: probe })
          return this.run(probe, options)
        },
        this.clock,
        options.signal,
      )
    return this.run(argv, options)
  }

  private async run(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const [cmd, ...rest] = argv
    if (cmd === 'sh' && rest[0] === '-c') {
      if (rest[1] === DESCRIBE_SCRIPT)
        return ok(
          this.guests
            .filter((g) => g.uri === rest[3])
            .map((g) => `@@${g.uuid}\n${g.description}\n`)
            .join(''),
        )
      if (rest[1] === READ_SCRIPT) return ok(this.files.get(rest[3] as string) ?? '')
      if (rest[1] === WRITE_SCRIPT || rest[1] === WRITE_THEN_SCRIPT) {
        const path = rest[4] as string
        if ((options.stdin ?? '') === '') this.files.delete(path)
        else this.files.set(path, options.stdin as string)
        if (rest[1] === WRITE_SCRIPT) return ok()
        // then the command after the six write arguments, as the host's shell runs it once the list is written
        const then = await this.run(rest.slice(9), options)
        return { ...then, stdout: `@@written\n${then.stdout}` }
      }
      if (rest[1] === ACQUIRE_SCRIPT) {
        const dir = rest[3] as string
        if (this.files.has(`${dir}/owner`)) return ok(`held\n${this.files.get(`${dir}/owner`)}\n`)
        this.files.set(`${dir}/owner`, rest[4] as string)
        return ok('acquired\n')
      }
      if (rest[1] === RELEASE_SCRIPT) {
        const dir = rest[3] as string
        const owner = this.files.get(`${dir}/owner`)
        if (owner === undefined) return ok()
        if (rest[4] === '' || owner.includes(`"runId":"${rest[4]}"`)) this.files.delete(`${dir}/owner`)
        else return { code: 3, stdout: '', stderr: 'lock held by another run\n' }
        return ok()
      }
      if (rest[1] === 'reboot') return this.reboot()
      if (rest[1] === DESCRIBE_SCRIPT)
        return ok(
          this.guests
            .filter((g) => g.uri === rest[3])
            .map((g) => `@@${g.uuid}\n${g.description}\n`)
            .join(''),
        )
      const scripted = this.shellCommands.get(rest[1] as string)
      if (scripted) return scripted(options)
      if (rest[1]?.startsWith('d=/var/lib/libvirt/qemu/save')) return ok('/dev/vda 1000 10 100000000 1% /\n')
      return fail(`fake host cannot run sh script ${rest[1]}`)
    }
    if (cmd === 'cat' && rest[0] === '/proc/sys/kernel/random/boot_id') return ok(`${this.bootId}\n`)
    if (cmd !== 'virsh' || rest[0] !== '-c') return fail(`fake host: unknown command ${argv.join(' ')}`)
    const uri = rest[1] as string
    const [sub, arg] = rest.slice(2)
    if (sub === LIST_SCRIPT) return ok(this.listOutput(uri))
    if (sub?.startsWith('echo @@') && sub.includes('; domstate ')) return ok(this.domstates(uri, sub))
    if (sub?.startsWith('echo @@') && sub.includes('; shutdown ')) return this.shutdowns(uri, sub, options)
    if (sub === 'uri') {
      // `virsh -c DEST_URI uri` on this host: the destination named in the URI answers if it is up and reachable.
      const peer = /^[a-z+]+:\/\/(?:[^@/]*@)?([^:/?]+)/.exec(uri)?.[1]
      if (uri.includes('://') && peer !== undefined && !uri.startsWith('qemu:///')) {
        const dest = this.peers.get(peer)
        if (!dest || dest.unreachable || this.cannotReach.has(peer))
          return fail(`failed to connect to the hypervisor\nerror: Cannot recv data: ssh: connect to host ${peer} port 22: Connection refused`)
      }
      return ok(`${uri}\n\n`)
    }
    if (sub === 'nodeinfo') return ok(`CPU model:           x86_64\nCPU(s):              ${this.cpus}\nMemory size:         ${this.memoryKiB} KiB\n`)
    if (sub === 'nodememstats')
      return ok(
        `total  :              ${this.memoryKiB} KiB\nfree   :              ${this.availableKiB} KiB\nbuffers:                    0 KiB\ncached :                    0 KiB\n`,
      )
    if (sub === 'domstats' && arg === '--vcpu')
      return ok(
        this.guests
          .filter((g) => g.uri === uri && g.state === 'running')
          .map((g) => `Domain: '${g.name}'\n  vcpu.current=${g.vcpus}\n  vcpu.maximum=${g.vcpus}\n`)
          .join('\n'),
      )
    if (sub === 'migrate') return this.migrate(uri, rest.slice(3), options)
    if (sub === 'domjobinfo' && rest.includes('--completed'))
      return this.completed.has(arg as string)
        ? ok('Job type:         Completed\nTotal downtime:   25           ms\nData total:       96.000 MiB\n')
        : fail('no job')
    if (sub === 'domstats')
      return ok(
        this.guests
          .filter((g) => g.uri === uri && g.state === 'running')
          .map((g) => `Domain: '${g.name}'\n  balloon.current=98304\n`)
          .join('\n'),
      )
    const g = this.guests.find((x) => x.uri === uri && (x.uuid === arg || x.name === arg))
    if (!g) return fail(`failed to get domain '${arg}'`)
    switch (sub) {
      case 'domstate':
        return ok(`${g.state}\n\n`)
      case 'shutdown':
        if (g.state !== 'running') return fail('Requested operation is not valid: domain is not running')
        if (rest.includes('agent')) {
          // --mode agent: the guest's agent powers it off (after its delay; a guest ignoring ACPI obeys at once)
          if (!g.agent || this.clock.now() - g.startedAt < g.agentAfterMs) return fail('Guest agent is not responding: QEMU guest agent is not connected')
          g.shutdownPending = true
          void this.clock.sleep(g.shutdownDelayMs === 'ignore' ? 0 : g.shutdownDelayMs).then(() => {
            if (g.state === 'running' && g.shutdownPending) this.powerOff(g, 'Shutdown')
          })
          return ok(`Domain '${g.name}' is being shutdown\n\n`)
        }
        if (g.shutdownDelayMs !== 'ignore' && !g.shutdownPending) {
          g.shutdownPending = true
          const delay = g.shutdownDelayMs
          void this.clock.sleep(delay).then(() => {
            if (g.state === 'running' && g.shutdownPending) this.powerOff(g, 'Shutdown')
          })
        }
        return ok(`Domain '${g.name}' is being shutdown\n\n`)
      case 'managedsave': {
        if (g.state !== 'running' && g.state !== 'paused') return fail('Requested operation is not valid: domain is not running')
        if (!g.persistent) return fail('Requested operation is not valid: cannot do managed save for transient domain')
        try {
          await this.clock.sleep(g.saveMs, options.signal)
        } catch {
          return { code: null, signal: 'TERM', stdout: '', stderr: '' }
        }
        g.managedSave = true
        this.powerOff(g, 'Saved')
        return ok(`\nDomain '${g.name}' state saved by libvirt\n\n`)
      }
      case 'destroy':
        if (g.state === 'shut off') return fail('Requested operation is not valid: domain is not running')
        this.powerOff(g, 'Destroyed')
        return ok(`Domain '${g.name}' destroyed\n\n`)
      case 'start':
        if (g.state !== 'shut off') return fail('Domain is already active')
        if (g.startFails) return fail(g.startFails)
        g.state = g.managedSave && g.restoresPaused ? 'paused' : 'running'
        g.startedAt = this.clock.now()
        this.emit(g, g.managedSave ? 'Started Restored' : 'Started Booted')
        if (g.state === 'paused') this.emit(g, 'Suspended Restored')
        g.managedSave = false
        return ok(`Domain '${g.name}' started\n\n`)
      case 'domjobabort':
        this.migrating.get(g.uuid)?.abort()
        return ok()
      case 'dominfo':
        return ok(
          `Name:           ${g.name}\nUUID:           ${g.uuid}\nState:          ${g.state}\nCPU(s):         ${g.vcpus}\nMax memory:     ${g.memoryKiB} KiB\nUsed memory:    ${g.memoryKiB} KiB\nPersistent:     ${g.persistent ? 'yes' : 'no'}\n`,
        )
      case 'dumpxml':
        return ok(`<domain type='qemu'>\n  <name>${g.name}</name>\n  <uuid>${g.uuid}</uuid>\n  <devices>\n${g.xmlExtra}\n  </devices>\n</domain>\n`)
      case 'domjobinfo':
        return this.migrating.has(g.uuid)
          ? ok('Job type:         Unbounded\nData processed:   48.000 MiB\nData total:       96.000 MiB\n')
          : ok('Job type:         None\n')
      case 'qemu-agent-command':
        return g.agent && g.state === 'running' && this.clock.now() - g.startedAt >= g.agentAfterMs
          ? ok('{"return":{}}\n')
          : fail('Guest agent is not responding: QEMU guest agent is not connected')
      case 'domtime':
        return g.agent ? ok() : fail('Guest agent is not responding: QEMU guest agent is not connected')
      default:
        return fail(`fake virsh: unknown subcommand ${sub}`)
    }
  }

  /** `virsh migrate ... UUID DESTURI [--migrateuri X]`: the guest leaves this host for the one named in DESTURI. */
  private async migrate(uri: string, args: string[], options: ExecOptions): Promise<ExecResult> {
    const i = args.findIndex((a) => /^[0-9a-f]{8}-/.test(a))
    const g = this.guests.find((x) => x.uri === uri && x.uuid === args[i])
    if (!g || g.state !== 'running') return fail(`failed to get domain '${args[i]}'`)
    const destName = /^[a-z+]+:\/\/(?:[^@/]*@)?([^:/?]+)/.exec(args[i + 1] ?? '')?.[1] ?? ''
    const dest = this.peers.get(destName)
    if (!dest || dest === this) return fail(`unable to connect to server at '${destName}'`)
    if (dest.unreachable || this.cannotReach.has(destName)) return fail(`unable to connect to server at '${destName}': Connection refused`)
    let aborted = false
    await new Promise<void>((resolve) => {
      this.migrating.set(g.uuid, {
        abort: () => {
          aborted = true
          resolve()
        },
      })
      options.signal?.addEventListener('abort', () => resolve(), { once: true })
      void this.clock.sleep(g.migrateMs).then(resolve)
    })
    this.migrating.delete(g.uuid)
    if (aborted) return fail('operation aborted: migration out job: canceled by client')
    if (g.migrateFails) return fail(g.migrateFails)
    this.guests.splice(this.guests.indexOf(g), 1)
    dest.guests.push(g)
    dest.completed.add(g.uuid)
    return ok()
  }

  /** Power-cycle: guests off (no managed save), SSH away for rebootDownMs, then back with a new boot id. */
  private reboot(): ExecResult {
    if (this.rebootFails) return { code: 1, stdout: '', stderr: 'Failed to reboot: access denied\n' }
    this.reboots++
    this.generation++
    this.unreachable = true
    for (const g of [...this.guests]) if (g.state !== 'shut off') this.powerOff(g, 'Destroyed')
    void this.clock.sleep(this.rebootDownMs).then(() => {
      this.bootId = `boot-${this.reboots + 1}`
      this.unreachable = false
    })
    return ok()
  }

  private listOutput(uri: string): string {
    const gs = this.guests.filter((g) => g.uri === uri)
    const sec = (name: string, lines: string[]) => `@@${name}\n${lines.join('\n')}${lines.length ? '\n' : ''}\n`
    return (
      sec(
        'all',
        gs.map((g) => `${g.uuid} ${g.name}`),
      ) +
      sec(
        'running',
        gs.filter((g) => g.state === 'running').map((g) => g.uuid),
      ) +
      sec(
        'paused',
        gs.filter((g) => g.state === 'paused').map((g) => g.uuid),
      ) +
      sec(
        'shutoff',
        gs.filter((g) => g.state === 'shut off').map((g) => g.uuid),
      ) +
      sec(
        'transient',
        gs.filter((g) => !g.persistent).map((g) => g.uuid),
      ) +
      sec(
        'managed-save',
        gs.filter((g) => g.managedSave).map((g) => g.uuid),
      ) +
      sec('autostart', []) +
      '@@end\n'
    )
  }

  /**
   * A STARTS_SCRIPT: the host's shell starts every guest at once, each logged and counted as the command it is (its
   * exec), and prints each one's output and `@@UUID EXIT` trailer as it ends, then `@@end`.
   */
  private starts(argv: readonly string[], onLine: (line: string) => void, options: ExecOptions): LineStream {
    const [uri, bypass, ...uuids] = argv.slice(4) as string[]
    let closed = false
    const done = (async (): Promise<ExecResult> => {
      this.log.push({ at: this.clock.now(), host: this.name, argv: [...argv] })
      if (this.unreachable) throw new UnreachableError(this.name, 'connection lost')
      const emit = (line: string) => {
        if (!closed && !options.signal?.aborted) onLine(line)
      }
      await Promise.all(
        uuids.map(async (u) => {
          const one = ['virsh', '-c', uri as string, 'start', u, ...(bypass ? [bypass] : [])]
          // through exec, as each start was before it had a wave: logged, counted, and replaceable by a test
          const r = await this.exec(one, options)
          for (const l of `${r.stdout}${r.stderr}`.split('\n')) if (l.trim() !== '') emit(l)
          emit(`@@${u} ${r.code ?? 143}`)
        }),
      )
      emit('@@end')
      return ok()
    })()
    return {
      done,
      close: () => {
        closed = true
      },
    }
  }

  stream(argv: readonly string[], onLine: (line: string) => void, options: ExecOptions = {}): LineStream {
    if (argv[0] === 'sh' && argv[2] === STARTS_SCRIPT) return this.starts(argv, onLine, options)
    this.log.push({ at: this.clock.now(), host: this.name, argv: [...argv] })
    const entry = { uri: argv[2] as string, onLine }
    this.listeners.add(entry)
    let end!: (r: ExecResult) => void
    const done = new Promise<ExecResult>((r) => (end = r))
    return {
      done,
      close: () => {
        this.listeners.delete(entry)
        end(ok())
      },
    }
  }
}

export class FakeTransport implements Transport {
  readonly hosts = new Map<string, FakeHost>()
  readonly log: ExecRecord[] = []
  constructor(private readonly clock: Clock) {}

  addHost(name: string): FakeHost {
    const h = new FakeHost(name, this.clock, this.log, this.hosts)
    this.hosts.set(name, h)
    return h
  }

  async connect(spec: HostSpec): Promise<HostSession> {
    const h = this.hosts.get(spec.name)
    if (!h || h.unreachable) throw new UnreachableError(spec.name, 'connection refused')
    const generation = h.generation
    const alive = () => {
      if (h.generation !== generation) throw new UnreachableError(spec.name, 'connection lost')
    }
    return {
      host: spec.name,
      exec: async (argv, o) => {
        alive()
        const r = await h.exec(argv, o)
        // the reboot command itself returns before the link drops
        if (!(argv[0] === 'sh' && argv[2] === 'reboot')) alive()
        return r
      },
      stream: (argv, onLine, o) => {
        alive()
        const s = h.stream(argv, onLine, o)
        // a wave of starts learns of a reboot (a new link) like an exec does; a never-ending event stream never does
        return { done: s.done.then((r) => (alive(), r)), close: s.close }
      },
      onClose: () => undefined,
      close: async () => undefined,
    }
  }
  async closeAll(): Promise<void> {}

  /** Actions sent to guests, as "host verb name" strings in order. */
  actions(): string[] {
    return this.log
      .filter((r) => r.argv[0] === 'virsh' && ['shutdown', 'managedsave', 'destroy', 'start'].includes(r.argv[3] ?? ''))
      .map((r) => {
        const h = this.hosts.get(r.host)
        const g = h?.guests.find((x) => x.uuid === r.argv[4])
        return `${r.host} ${r.argv[3]} ${g?.name ?? r.argv[4]}`
      })
  }
}

export function hostSpec(name: string, extra: Partial<HostSpec> = {}): HostSpec {
  return {
    name,
    address: '127.0.0.1',
    port: 22,
    user: 'root',
    identityFiles: [],
    jump: [],
    uris: ['qemu:///system'],
    become: false,
    vars: {},
    groups: ['all'],
    explicit: {},
    ...extra,
  } as HostSpec
}
