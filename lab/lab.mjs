#!/usr/bin/env node
// `npm run lab -- <command>`: thin wrapper over lab/lab.sh (the lab itself is bash: namespaces, daemons, virsh).
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// sim-up / sim-reset / sim-down: the scale lab of simulated hosts (lab/sim/sim.sh)
const here = dirname(fileURLToPath(import.meta.url))
const script = /^sim-/.test(process.argv[2] ?? '') ? join(here, 'sim', 'sim.sh') : join(here, 'lab.sh')
const r = spawnSync('bash', [script, ...process.argv.slice(2)], { stdio: 'inherit' })
if (r.error) {
  console.error(`lab: ${r.error.message}`)
  process.exit(1)
}
process.exit(r.status ?? (r.signal ? 128 : 1))
