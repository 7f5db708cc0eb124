// The e2e project's global setup: every run starts from no lab at all (leftover e2e labs of an earlier run are
// purged), so a lab shared by several files (support/labs.ts) is booted fresh once per run; at the end every
// e2e lab is stopped and purged, whichever file used it last.

import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from './fleet.js'

function purgeAll(): void {
  for (const d of readdirSync(REPO).filter((n) => n.startsWith('.lab-e2e-'))) {
    const dir = join(REPO, d)
    if (!existsSync(join(dir, 'lab.env'))) continue
    try {
      execFileSync('bash', [join(REPO, 'lab/lab.sh'), 'down', '--purge', '--dir', dir], { stdio: 'ignore' })
    } catch {
      // already down
    }
  }
}

export function setup(): () => void {
  purgeAll()
  return purgeAll
}
