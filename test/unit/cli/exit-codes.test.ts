// The built CLI (./bin/run.js, as operators run it): exit codes of bad input and usage errors, in both output
// modes, an unknown command, and `retry` with a hostile recorded host name. Builds dist/ first if it is missing.
// Kept to a few spawns (each loads oclif); the other usage errors are driven in-process in usage-errors.test.ts.

import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Journal } from '../../../src/state/journal.js'

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('node', ['bin/run.js', ...args], { env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

const dir = mkdtempSync(join(tmpdir(), 'vf-exit-'))
const badIni = join(dir, 'bad.ini')
writeFileSync(badIni, '[ok]\nhv1\n[broken\n')
// Port 1 on loopback refuses at once: a host that would be contacted fails fast instead of hanging.
const inventory = join(dir, 'hosts.ini')
writeFileSync(inventory, '[all]\nhv1 ansible_host=127.0.0.1 ansible_port=1\nhv2 ansible_host=127.0.0.1 ansible_port=1\n')
const sshConfig = join(dir, 'ssh_config')
writeFileSync(sshConfig, '')

function journalWithFailed(stateDir: string, failed: string[]): string {
  const runId = '20261101T000000Z-abcdef'
  const j = Journal.create({
    stateDir,
    runId,
    command: 'status',
    argv: ['-i', inventory, '--ssh-config', sshConfig, '--limit', 'all'],
    hosts: ['hv1', 'hv2', ...failed],
  })
  for (const h of failed) j.append({ type: 'host-status', host: h, status: 'unreachable', at: 'x' })
  j.close()
  return runId
}

beforeAll(() => {
  if (!existsSync('dist/cli/base.js')) execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' })
}, 180_000)

describe('exit codes do not depend on the output mode', { timeout: 60_000 }, () => {
  it.concurrent('an inventory parse error under --json exits 4 (as without) and stdout is one JSON object carrying it', async () => {
    const r = await cli(['inventory', '-i', badIni, '--json'])
    expect(r.code).toBe(4)
    const json = JSON.parse(r.stdout) as { error: Record<string, unknown> }
    expect(json.error).toMatchObject({ kind: 'input', exitCode: 4, file: badIni, line: 3, column: 1 })
    expect(json.error.message).toMatch(/invalid section header/)
  })
})

describe("an unknown command (oclif's own path, before any command runs) exits 64", { timeout: 60_000 }, () => {
  it.concurrent('an unknown command', async () => {
    const r = await cli(['nosuch'])
    expect(r.code).toBe(64)
    expect(r.stderr).toMatch(/usage: unknown command: nosuch/)
  })
})

describe('retry passes host names as data', { timeout: 60_000 }, () => {
  it.concurrent('a recorded host name "nosuch,all" selects no host (64) instead of the whole inventory', async () => {
    const stateDir = join(dir, 'hostile')
    const id = journalWithFailed(stateDir, ['nosuch,all'])
    const r = await cli(['retry', id, '--state-dir', stateDir])
    expect(r.code).toBe(64)
    expect(r.stderr).toMatch(/no hosts matched hosts "nosuch,all"/)
    expect(r.stdout).not.toMatch(/hv1|hv2/)
  })
})
