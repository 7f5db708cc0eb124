// Rolling batches with Ansible's `serial` semantics: a number, a percentage of the *total* host count
// (rounded down, at least one host), or a list whose last value repeats. Pure functions, no I/O.
// `maxFailExceeded` mirrors `max_fail_percentage`: the limit must be exceeded, not reached, per batch.

import { InputError } from '../core/errors.js'

export type SerialValue = { kind: 'count'; count: number } | { kind: 'percent'; percent: number }

/** Parsed `serial`: one or more values; the last one repeats until every host is planned. */
export type SerialSpec = readonly SerialValue[]

/** Parse one `serial` value: `3`, `'3'`, `'25%'`. Throws InputError (without a position) on bad input. */
export function parseSerialValue(value: string | number): SerialValue {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1) {
      throw new InputError(`serial: expected a whole number of hosts >= 1 or a percentage like 25%; got ${value}`)
    }
    return { kind: 'count', count: value }
  }
  const text = value.trim()
  let m = /^(\d+)$/.exec(text)
  if (m) return parseSerialValue(Number(m[1]))
  m = /^(\d+)\s*%$/.exec(text)
  if (m) {
    const percent = Number(m[1])
    if (percent < 1 || percent > 100) throw new InputError(`serial: a percentage must be between 1% and 100%; got "${value}"`)
    return { kind: 'percent', percent }
  }
  throw new InputError(`serial: expected a whole number of hosts or a percentage like 25%; got "${value}"`)
}

/**
 * Parse `serial` as written on the command line (`'1,5,20%'`) or in a playbook (`3`, `'25%'`, `[1, '25%']`).
 * Zero is rejected (Ansible reads it as "all hosts"; write `100%` for that, it says what it means).
 */
export function parseSerial(spec: string | number | ReadonlyArray<string | number>): SerialSpec {
  const parts: Array<string | number> = typeof spec === 'number' ? [spec] : typeof spec === 'string' ? spec.split(',') : [...spec]
  if (parts.length === 0 || (typeof spec === 'string' && spec.trim() === '')) {
    throw new InputError('serial: expected at least one value, e.g. 1, 25% or 1,5,20%')
  }
  return parts.map(parseSerialValue)
}

/** Batch size for one serial value, against the total number of hosts in the play. */
export function batchSize(value: SerialValue, totalHosts: number): number {
  if (value.kind === 'count') return value.count
  return Math.max(1, Math.floor((value.percent * totalHosts) / 100))
}

/** Split hosts (already in play order) into batches. No serial = one batch with every host. */
export function planBatches(hosts: readonly string[], serial?: SerialSpec): string[][] {
  if (hosts.length === 0) return []
  if (!serial || serial.length === 0) return [[...hosts]]
  const batches: string[][] = []
  let next = 0
  let i = 0
  while (next < hosts.length) {
    const value = serial[Math.min(i, serial.length - 1)] as SerialValue
    const size = batchSize(value, hosts.length)
    batches.push(hosts.slice(next, next + size))
    next += size
    i++
  }
  return batches
}

/**
 * True when a batch's failures exceed `maxFailPercentage` (strictly more than the percentage of the batch):
 * 0 aborts on any failure, 100 never aborts. Without a percentage, Ansible's default applies: stop only
 * when every host of the batch failed.
 */
export function maxFailExceeded(batchSize: number, failed: number, maxFailPercentage?: number): boolean {
  if (batchSize <= 0 || failed <= 0) return false
  if (maxFailPercentage === undefined) return failed >= batchSize
  // failed / batchSize > pct / 100, in integers to avoid float surprises at the boundary
  return failed * 100 > maxFailPercentage * batchSize
}
