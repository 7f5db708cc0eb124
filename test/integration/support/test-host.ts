// One real hypervisor host for integration tests: a lab host (own mount namespace, libvirtd, sshd on 127.0.0.1)
// with no QEMU guests; tests use libvirtd's built-in test driver (test+unix:///default), whose shutdowns are instant.
// The test driver keeps state only while a connection is open, so a holder `virsh event --loop` runs over ssh.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { HostSpec } from '../../../src/inventory/types.js'

export const REPO = resolve(import.meta.dirname, '../../..')
export const TEST_URI = 'test+unix:///default'

export interface TestHost {
  dir: string
  port: number
  clientKey: string
  knownHosts: string
  inventory: string
  /** The host as the engine sees it (name it1, root, the lab's key and known_hosts, the test driver's URI). */
  spec(): HostSpec
  ssh(command: string, input?: string): string
  defineGuest(name: string, opts?: { uuid?: string; running?: boolean }): string
  down(): void
}

export function labUpTestHost(opts: { dir?: string; basePort?: number } = {}): TestHost {
  const dir = opts.dir ?? join(REPO, '.lab-it')
  const basePort = opts.basePort ?? 2291
  const env = { ...process.env, VIRTFLEET_LAB_CACHE: process.env.VIRTFLEET_LAB_CACHE ?? join(REPO, '.lab', 'cache') }
  execFileSync(
    'bash',
    [join(REPO, 'lab/lab.sh'), 'up', '--dir', dir, '--hosts', '1', '--guests', '0', '--transient', '0', '--base-port', String(basePort), '--fresh'],
    {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  const clientKey = join(dir, 'client_key')
  const knownHosts = join(dir, 'known_hosts')
  const sshArgs = [
    '-i',
    clientKey,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-p',
    String(basePort),
    'root@127.0.0.1',
  ]
  const holder: ChildProcess = spawn('ssh', [...sshArgs, `virsh -c ${TEST_URI} event --all --loop`], { stdio: 'ignore' })
  const ssh = (command: string, input?: string) => execFileSync('ssh', [...sshArgs, command], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) })
  // wait until the holder's connection exists (the test driver state lives as long as it does)
  for (let i = 0; i < 50; i++) {
    if (ssh(`ps -eo args | grep -c '^virsh -c ${TEST_URI} event' || true`).trim() !== '0') break
    execFileSync('sleep', ['0.1'])
  }
  const work = mkdtempSync(join(tmpdir(), 'vf-it-'))
  const inventory = join(work, 'inventory.yml')
  writeFileSync(
    inventory,
    [
      'virtfleet: 1',
      'hosts:',
      '  it1:',
      '    address: 127.0.0.1',
      `    port: ${basePort}`,
      '    user: root',
      `    identity_file: ${clientKey}`,
      `    uris: [${TEST_URI}]`,
      `    ansible_ssh_common_args: "-o UserKnownHostsFile=${knownHosts}"`,
      '',
    ].join('\n'),
  )
  return {
    dir,
    port: basePort,
    clientKey,
    knownHosts,
    inventory,
    spec: () => ({
      name: 'it1',
      address: '127.0.0.1',
      port: basePort,
      user: 'root',
      identityFiles: [clientKey],
      jump: [],
      uris: [TEST_URI],
      become: false,
      knownHostsFiles: [knownHosts],
      vars: {},
      groups: ['all'],
    }),
    ssh,
    defineGuest(name, o = {}) {
      const xml = `<domain type='test'><name>${name.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</name>${o.uuid ? `<uuid>${o.uuid}</uuid>` : ''}<memory>1024</memory><os><type>hvm</type></os></domain>`
      ssh(`f=$(mktemp) && cat > "$f" && virsh -c ${TEST_URI} define "$f" >/dev/null; rc=$?; rm -f "$f"; exit $rc`, xml)
      const uuid = ssh(`virsh -c ${TEST_URI} list --all --uuid --name`)
        .split('\n')
        .map((l) => l.split(' '))
        .find((p) => p.slice(1).join(' ') === name)?.[0]
      if (!uuid) throw new Error(`could not define test guest ${name}`)
      if (o.running !== false) ssh(`virsh -c ${TEST_URI} start ${uuid} >/dev/null`)
      return uuid
    },
    down() {
      holder.kill()
      execFileSync('bash', [join(REPO, 'lab/lab.sh'), 'down', '--dir', dir, '--purge'], { env, stdio: 'ignore' })
    },
  }
}
