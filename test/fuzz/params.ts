// One budget for every property-based test: a fixed seed and a small run count in the test command, a time budget
// and a printed seed under `npm run fuzz -- --seconds N`. Reproduce a failure with VIRTFLEET_FUZZ_SEED=<seed>.

import fc from 'fast-check'

const seedText = process.env.VIRTFLEET_FUZZ_SEED
const seconds = Number(process.env.VIRTFLEET_FUZZ_SECONDS ?? '0')

/** The seed of this run (fixed in the test command so CI is repeatable). */
export const FUZZ_SEED = seedText !== undefined && seedText !== '' ? Number(seedText) : 20261126

/**
 * Check a property: `runs` inputs in the test command, or as many as fit in VIRTFLEET_FUZZ_SECONDS (per property)
 * in a long run, which prints how many inputs it tried. Throws fast-check's report (seed, path, minimal input).
 */
export async function fuzz<Ts extends [unknown, ...unknown[]]>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  runs: number,
): Promise<void> {
  const params: fc.Parameters<Ts> =
    seconds > 0
      ? { seed: FUZZ_SEED, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false }
      : { seed: FUZZ_SEED, numRuns: runs }
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, params)
  if (seconds > 0) process.stderr.write(`fuzz: ${name}: ${details.numRuns} inputs, seed ${FUZZ_SEED}${details.failed ? ', FAILED' : ''}\n`)
  if (details.failed) throw new Error(`${name}: ${fc.defaultReportMessage(details) ?? 'property failed'}`)
}
