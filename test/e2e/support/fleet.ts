// Drives the lab (lab/lab.sh) and the virtfleet CLI for end-to-end tests: real QEMU guests, real libvirtd,
// real sshd on 127.0.0.1. One lab per test file, in its own folder and port range.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { RunReport } from '../../../src/core/report.js'
import type { FleetEvent } from '../../../src/core/events.js'
import { expect } from 'vitest'

export const REPO = resolve(import.meta.dirname, '../../..')
const LAB = join(REPO, 'lab/lab.sh')

export interface LabOptions {
  name: string
  hosts: number
  guests: number
  delays: string
  basePort: number
  transient?: boolean
  extras?: boolean
  /** `lab up --agents`: per guest, seconds after boot its guest agent starts, or x for never (default: no agents). */
  agents?: string
  /** `lab up --golden 1`: reconciles restore a guest's ready image instead of booting it again (for labs whose tests stop guests). */
  golden?: boolean
  /** `lab up --host-memory`: hosts whose libvirtd sees less memory, e.g. `h3=240` (MiB). Unset: as the lab has it. */
  hostMemory?: string
  /** `lab up --local-disk`: guests with a disk on their host's own storage (cannot migrate without --copy-storage). */
  localDisk?: string
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  json<T = RunReport>(): T
}

export class Lab {
  readonly dir: string
  /** The control machine's journal dir for `cli()`: a new one at every `up()`, so no test sees another's run history. */
  stateDir: string
  private readonly env: NodeJS.ProcessEnv

  constructor(readonly o: LabOptions) {
    this.dir = join(REPO, `.lab-e2e-${o.name}`)
    this.stateDir = mkdtempSync(join(tmpdir(), `vf-e2e-${o.name}-`))
    this.env = { ...process.env, VIRTFLEET_LAB_CACHE: process.env.VIRTFLEET_LAB_CACHE ?? join(REPO, '.lab', 'cache'), CI: 'true' }
  }

  get inventory(): string {
    return join(this.dir, 'inventory.yml')
  }
  get inventoryIni(): string {
    return join(this.dir, 'inventory.ini')
  }
  get knownHosts(): string {
    return join(this.dir, 'known_hosts')
  }
  get clientKey(): string {
    return join(this.dir, 'client_key')
  }
  port(host: string): number {
    return this.o.basePort + Number(host.slice(1)) - 1
  }

  private lab(args: string[]): void {
    execFileSync('bash', [LAB, ...args, '--dir', this.dir], { env: this.env, stdio: ['ignore', 'ignore', 'inherit'] })
  }

  /**
   * Start (or reconcile: every numbered guest running again, the off guest off) the lab, empty every host's saved
   * list and start a new journal dir, so that each test starts from the same hosts and no recorded durations
   * (which order stop queues longest-first) whatever the test before it left behind.
   */
  up(fresh = false): void {
    this.stateDir = mkdtempSync(join(tmpdir(), `vf-e2e-${this.o.name}-`))
    this.reconcile(fresh)
    for (let h = 1; h <= this.o.hosts; h++) this.ssh(`h${h}`, 'rm -f /var/lib/virtfleet/saved-guests.json')
  }

  /** `lab up` (daemons, sshd, guests as configured) without touching the saved lists: after a fault test broke a host. */
  reconcile(fresh = false): void {
    this.labUp(fresh)
    this.waitGuestsReady()
  }

  private labUp(fresh: boolean): void {
    this.lab([
      'up',
      '--hosts',
      String(this.o.hosts),
      '--guests',
      String(this.o.guests),
      '--delays',
      this.o.delays,
      '--base-port',
      String(this.o.basePort),
      '--transient',
      this.o.transient ? '1' : '0',
      ...(this.o.extras ? ['--extras'] : []),
      ...(this.o.agents ? ['--agents', this.o.agents] : []),
      ...(this.o.golden ? ['--golden', '1'] : []),
      ...(this.o.hostMemory !== undefined ? ['--host-memory', this.o.hostMemory] : []),
      ...(this.o.localDisk !== undefined ? ['--local-disk', this.o.localDisk] : []),
      ...(fresh ? ['--fresh'] : []),
    ])
  }
  /**
   * `lab up` waits only for the guests it boots itself; a guest that virtfleet just started may still be booting
   * and would ignore ACPI. Wait until every running numbered guest's console shows it is up (its ready line, or
   * the uptime heartbeat of a guest that was resumed from a managed save).
   */
  waitGuestsReady(timeoutMs = 120_000): void {
    const deadline = Date.now() + timeoutMs
    for (let h = 1; h <= this.o.hosts; h++) {
      const host = `h${h}`
      const running = new Set(this.running(host))
      for (let g = 1; g <= this.o.guests; g++) {
        const guest = `${host}-g${g}`
        if (!running.has(guest)) continue
        while (!/LAB-GUEST-READY|LAB-UPTIME/.test(this.consoleLog(host, guest))) {
          if (Date.now() > deadline) throw new Error(`lab guest ${guest} not ready after ${timeoutMs / 1000}s`)
          execFileSync('sleep', ['0.3'])
        }
      }
    }
  }

  down(): void {
    try {
      this.lab(['down', '--purge'])
    } catch {
      // already down
    }
  }
  reboot(host: string, downSeconds = 2): void {
    this.lab(['reboot', host, '--down-seconds', String(downSeconds)])
  }

  private sshArgs(host: string, command: string): string[] {
    const opts = ['-o', `UserKnownHostsFile=${this.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR']
    return ['-i', this.clientKey, ...opts, '-p', String(this.port(host)), 'root@127.0.0.1', command]
  }
  /** Run a command on a lab host; throws when it fails. */
  ssh(host: string, command: string): string {
    return execFileSync('ssh', this.sshArgs(host, command), { encoding: 'utf8' })
  }
  /** Run a command on a lab host and get its exit code and output, failing or not. */
  sshResult(host: string, command: string): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ssh', this.sshArgs(host, command), { encoding: 'utf8' })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  /** Poll a command on a host until `done` holds or `timeoutMs` passes; returns the last result. */
  async waitFor(host: string, command: string, done: (r: { code: number | null; stdout: string }) => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs
    let r = this.sshResult(host, command)
    while (!done(r) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 300))
      r = this.sshResult(host, command)
    }
    return r
  }
  /** The inventory's reboot command for a host (`lab reboot-self`, run on the host over ssh). */
  rebootCommand(host: string): string {
    return `bash ${LAB} reboot-self ${host} --dir ${this.dir}`
  }

  /** name → state for every guest of a host. */
  states(host: string): Record<string, string> {
    const out = this.ssh(host, 'for n in $(virsh list --all --name); do printf "%s|%s\\n" "$n" "$(virsh domstate "$n" | head -1)"; done')
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .filter((l) => l.includes('|'))
        .map((l) => l.split('|') as [string, string]),
    )
  }
  running(host: string): string[] {
    return Object.entries(this.states(host))
      .filter(([, s]) => s === 'running')
      .map(([n]) => n)
      .sort()
  }
  bootId(host: string): string {
    return this.ssh(host, 'cat /proc/sys/kernel/random/boot_id').trim()
  }
  savedList(host: string): Array<{ name: string; uuid: string; action: string }> {
    const text = this.ssh(host, 'cat /var/lib/virtfleet/saved-guests.json 2>/dev/null || true')
    return text.trim() === '' ? [] : JSON.parse(text).entries
  }
  /** Names in the host's saved list, sorted. */
  savedNames(host: string): string[] {
    return this.savedList(host)
      .map((e) => e.name)
      .sort()
  }
  consoleLog(host: string, guest: string): string {
    try {
      return readFileSync(join(this.dir, 'hosts', host, 'console', `${guest}.log`), 'latin1')
    } catch {
      return ''
    }
  }
  guestFile(host: string, guest: string, file: 'kernel' | 'initrd.img'): string {
    return join(this.dir, 'hosts', host, 'guests', guest, file)
  }

  /** Run the CLI (built dist) with this lab's inventory and a private journal dir. */
  cli(args: string[], opts: { inventory?: string; extra?: string[] } = {}): CliResult {
    // journal commands replay the inventory recorded with the run: they take no -i
    const takesInventory = !['resume', 'retry', 'runs'].includes(args[0] ?? '')
    const inv = takesInventory ? [opts.inventory ?? this.inventory, ...(opts.extra ?? [])].flatMap((f) => ['-i', f]) : []
    const r = spawnSync(process.execPath, [join(REPO, 'bin/run.js'), ...args, ...inv, '--state-dir', this.stateDir], {
      encoding: 'utf8',
      env: this.env,
      maxBuffer: 64 * 1024 * 1024,
    })
    return {
      code: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      json: <T>() => JSON.parse(r.stdout) as T,
    }
  }
  /** Start the CLI in the background (for kill tests). */
  spawnCli(args: string[]): ChildProcess {
    return spawn(process.execPath, [join(REPO, 'bin/run.js'), ...args, '-i', this.inventory, '--state-dir', this.stateDir], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  }
  /** Events of a run from its journal. */
  events(runId: string): FleetEvent[] {
    const text = readFileSync(join(this.stateDir, 'runs', `${runId}.jsonl`), 'utf8')
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          const r = JSON.parse(l)
          return r.type === 'event' ? [r.event as FleetEvent] : []
        } catch {
          return []
        }
      })
  }
  /** An override inventory (own format) to pass after the lab's: later sources win, as in Ansible. */
  override(hostVars: Record<string, Record<string, unknown>>): string {
    const lines = ['virtfleet: 1', 'hosts:']
    for (const [host, vars] of Object.entries(hostVars)) {
      lines.push(`  ${host}:`)
      for (const [k, v] of Object.entries(vars)) lines.push(`    ${k}: ${JSON.stringify(v)}`)
    }
    const file = join(mkdtempSync(join(tmpdir(), 'vf-inv-')), 'override.yml')
    writeFileSync(file, lines.join('\n') + '\n')
    return file
  }
}

/** Assert a CLI run's exit code; on a mismatch the message carries the run's output (its JSON report, its errors). */
export function expectExit(r: CliResult, code: number): void {
  expect(r.code, `exit ${r.code}, expected ${code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-3000)}`).toBe(code)
}

export function buildOnce(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO, stdio: 'inherit' })
}
