#!/usr/bin/env node
// Long fuzzing runs: `npm run fuzz -- --seconds N [--seed S]` gives every property N seconds with one seed
// (random unless given, always printed) and prints how many inputs each property tried.
import { spawnSync } from 'node:child_process'

const args = process.argv.slice(2)
const value = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const seconds = Number(value('--seconds', '60'))
const seed = value('--seed', String(Math.floor(Math.random() * 2 ** 31)))
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error('usage: npm run fuzz -- --seconds N [--seed S]')
  process.exit(64)
}
console.error(`fuzz: ${seconds}s per property, seed ${seed} (reproduce with --seed ${seed})`)
const r = spawnSync('npx', ['vitest', 'run', '--project', 'fuzz', '--testTimeout', String((seconds + 60) * 1000)], {
  stdio: 'inherit',
  env: { ...process.env, VIRTFLEET_FUZZ_SECONDS: String(seconds), VIRTFLEET_FUZZ_SEED: seed },
})
process.exit(r.status ?? 1)
