// The property every fuzzed input must satisfy: a value or a typed input error (InputError/UsageError), within a
// time bound; anything else (TypeError, RangeError, a hang) fails the property with the input that caused it.

import { InputError, UsageError } from '../../src/core/errors.js'

/** Per-input time bound. The issue asks for 1 s per input up to 1 MB; the slack absorbs shared, loaded CI machines. */
export const INPUT_BOUND_MS = 1000 * Number(process.env.VIRTFLEET_FUZZ_SLACK ?? '3')

function check(started: number, err?: unknown): void {
  if (err !== undefined && !(err instanceof InputError || err instanceof UsageError)) throw err
  const ms = performance.now() - started
  if (ms > INPUT_BOUND_MS) throw new Error(`took ${Math.round(ms)} ms (bound ${INPUT_BOUND_MS} ms)`)
}

export function typedOutcome(fn: () => unknown): void {
  const started = performance.now()
  try {
    fn()
  } catch (err) {
    return check(started, err)
  }
  check(started)
}

export async function typedOutcomeAsync(fn: () => Promise<unknown>): Promise<void> {
  const started = performance.now()
  try {
    await fn()
  } catch (err) {
    return check(started, err)
  }
  check(started)
}
