// The e2e project's global setup: every run starts from no lab at all (leftover e2e labs of an earlier run are
// purged), so a lab shared by several files (support/labs.ts) is booted fresh once per run; at the end every
// e2e lab is stopped and purged, whichever file used it last. Asynchronous: a synchronous purge would block the
// main process while vitest is closing its workers. VIRTFLEET_E2E_LABS (names, comma-separated) limits the purge
// to those labs: scripts/test runs groups of e2e files side by side, each group owning its labs.

import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { REPO } from './fleet.js'

const run = promisify(execFile)

async function purgeAll(): Promise<void> {
  const only = process.env.VIRTFLEET_E2E_LABS?.split(',').map((n) => `.lab-e2e-${n.trim()}`)
  for (const d of readdirSync(REPO).filter((n) => n.startsWith('.lab-e2e-') && (only === undefined || only.includes(n)))) {
    const dir = join(REPO, d)
    if (!existsSync(join(dir, 'lab.env'))) continue
    await run('bash', [join(REPO, 'lab/lab.sh'), 'down', '--purge', '--dir', dir]).catch(() => undefined) // already down
  }
}

export async function setup(): Promise<() => Promise<void>> {
  await purgeAll()
  return purgeAll
}
