// Vitest helper for the lab (lab/lab.sh): real libvirt hosts in mount namespaces behind sshd on 127.0.0.1,
// with real QEMU/TCG guests. Starting a lab takes tens of seconds on 2 cores: call labUp once per file
// (beforeAll) and labDown in afterAll. By default the e2e lab lives in <repo>/.lab/e2e on ports 2301+,
// apart from a demo lab in <repo>/.lab on 2201+, and shares the demo lab's guest-image cache.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const LAB_SCRIPT = join(REPO, 'lab', 'lab.sh')

export interface LabOptions {
  hosts?: number
  /** Running guests per host (hN-g1..gM). */
  guests?: number
  /** Per guest, cycling: seconds from ACPI power button to power-off, or 'x' to ignore ACPI. */
  delays?: Array<number | 'x'> | string
  /** A transient guest hN-t1 per host (default true). */
  transient?: boolean
  /** A guest hN-saved with a managed-save image per host (default false). */
  extras?: boolean
  dir?: string
  basePort?: number
  /** Start from scratch: remove host state (definitions, /var/lib/virtfleet, saved images) first. Default true. */
  fresh?: boolean
}

export interface LabHost {
  name: string
  port: number
}

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface Lab {
  dir: string
  labScript: string
  inventoryYml: string
  inventoryIni: string
  knownHosts: string
  clientKey: string
  hosts: LabHost[]
  /** Run a shell command on a lab host over real ssh (client key, strict known_hosts). Never throws on exit code. */
  ssh(host: string, cmd: string): Promise<ExecResult>
  /** The `reboot_command` the lab's inventory gives this host (run it on the host over ssh). */
  rebootCommand(host: string): string
}

let currentDir: string | undefined

function defaultDir(): string {
  return process.env.VIRTFLEET_LAB_DIR ?? join(REPO, '.lab', 'e2e')
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExecResult> {
  return new Promise((res) => {
    execFile(cmd, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      res({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

async function lab(args: string[], dir: string): Promise<ExecResult> {
  const env = { ...process.env, VIRTFLEET_LAB_CACHE: process.env.VIRTFLEET_LAB_CACHE ?? join(REPO, '.lab', 'cache') }
  const r = await run('bash', [LAB_SCRIPT, ...args, '--dir', dir], env)
  if (r.code !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`)
  return r
}

export function sshArgs(l: Pick<Lab, 'clientKey' | 'knownHosts' | 'hosts'>, host: string): string[] {
  const h = l.hosts.find((x) => x.name === host)
  if (!h) throw new Error(`no lab host ${host}`)
  return [
    '-i',
    l.clientKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${l.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(h.port),
    'root@127.0.0.1',
  ]
}

/** Read an existing lab's description (written by `lab up` as lab.json). */
export function labInfo(dir = currentDir ?? defaultDir()): Lab {
  const j = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as {
    dir: string
    labScript: string
    inventoryYml: string
    inventoryIni: string
    knownHosts: string
    clientKey: string
    hosts: LabHost[]
  }
  const l: Lab = {
    dir: j.dir,
    labScript: j.labScript,
    inventoryYml: j.inventoryYml,
    inventoryIni: j.inventoryIni,
    knownHosts: j.knownHosts,
    clientKey: j.clientKey,
    hosts: j.hosts.map((h) => ({ name: h.name, port: h.port })),
    ssh: (host, cmd) => run('ssh', [...sshArgs(l, host), cmd]),
    rebootCommand: (host) => `bash ${j.labScript} reboot-self ${host} --dir ${j.dir}`,
  }
  return l
}

export async function labUp(opts: LabOptions = {}): Promise<Lab> {
  const dir = resolve(opts.dir ?? defaultDir())
  const delays = Array.isArray(opts.delays) ? opts.delays.join(',') : (opts.delays ?? '0')
  const args = [
    'up',
    '--hosts',
    String(opts.hosts ?? 2),
    '--guests',
    String(opts.guests ?? 2),
    '--delays',
    delays,
    '--base-port',
    String(opts.basePort ?? 2301),
    '--transient',
    opts.transient === false ? '0' : '1',
    '--saved',
    opts.extras ? '1' : '0',
  ]
  if (opts.fresh !== false) args.push('--fresh')
  await lab(args, dir)
  currentDir = dir
  return labInfo(dir)
}

export async function labDown(dir = currentDir ?? defaultDir()): Promise<void> {
  await lab(['down'], dir)
}

/** Power-cycle one host from outside; resolves when its sshd answers again. */
export async function labReboot(host: string, downSeconds = 2, dir = currentDir ?? defaultDir()): Promise<void> {
  await lab(['reboot', host, '--down-seconds', String(downSeconds)], dir)
}

/** Poll `cmd` on `host` until `done(result)` or the timeout; returns the last result. */
export async function waitFor(l: Lab, host: string, cmd: string, done: (r: ExecResult) => boolean, timeoutMs = 30_000): Promise<ExecResult> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const r = await l.ssh(host, cmd)
    if (done(r) || Date.now() > end) return r
    await new Promise((res) => setTimeout(res, 250))
  }
}
