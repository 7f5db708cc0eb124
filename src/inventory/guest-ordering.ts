// A host's guest-ordering vars (`guest_order: {GLOB: N}`, `guest_tiers: {GLOB: NAME}`, `use_guest_tags`) parsed once
// into typed settings, so the engine never reads raw vars. A bad value is an input error naming the host and the var
// (with its file:line when the caller knows it); a var that is not set means "no ordering from the inventory".

import { InputError } from '../core/errors.js'
import { compileGlob } from '../core/glob.js'
import { perHost } from './per-host.js'
import type { HostSpec } from './types.js'

/** One `GLOB: value` line of guest_order / guest_tiers; the first glob matching a guest's name wins. */
export interface GlobRule<T> {
  glob: string
  value: T
}

export interface GuestOrdering {
  order: ReadonlyArray<GlobRule<number>>
  tiers: ReadonlyArray<GlobRule<string>>
  /** Also read `virtfleet:order=N` / `virtfleet:tier=NAME` from guest descriptions (costs one exec per URI). */
  useGuestTags: boolean
}

type Where = { file?: string; line?: number; column?: number }

const BOOL: Record<string, boolean> = { yes: true, true: true, on: true, y: true, '1': true, no: false, false: false, off: false, n: false, '0': false }

export function parseGuestOrdering(
  host: string,
  vars: Readonly<Record<string, unknown>>,
  originOf: (key: string) => Where | undefined = () => undefined,
): GuestOrdering {
  const fail = (key: string, expected: string, value: unknown): never => {
    throw new InputError(`host ${host}: ${key}: expected ${expected}, got ${JSON.stringify(value)}`, originOf(key))
  }
  const rules = <T>(key: string, expected: string, parse: (v: unknown) => T | undefined): GlobRule<T>[] => {
    const map = vars[key]
    if (map === undefined || map === null) return []
    if (typeof map !== 'object' || Array.isArray(map)) return fail(key, `a mapping {GLOB: ${expected}}`, map)
    return Object.entries(map as Record<string, unknown>).map(([glob, raw]) => {
      const value = parse(raw)
      if (value === undefined) return fail(`${key}[${JSON.stringify(glob)}]`, expected, raw)
      try {
        compileGlob(glob)
      } catch (err) {
        throw new InputError(`host ${host}: ${key}: bad guest name pattern ${JSON.stringify(glob)}: ${(err as Error).message}`, originOf(key))
      }
      return { glob, value }
    })
  }
  const order = rules('guest_order', 'a number', (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN
    return Number.isFinite(n) ? n : undefined
  })
  const tiers = rules('guest_tiers', 'a tier name', (v) =>
    typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined,
  )
  const tags = vars.use_guest_tags
  let useGuestTags = false
  if (tags !== undefined && tags !== null) {
    const b = typeof tags === 'boolean' ? tags : typeof tags === 'number' || typeof tags === 'string' ? BOOL[String(tags).trim().toLowerCase()] : undefined
    useGuestTags = b ?? fail('use_guest_tags', 'a boolean (true/false, yes/no)', tags)
  }
  return { order, tiers, useGuestTags }
}

/** The value of the first rule whose glob matches `name`. */
export function ruleFor<T>(rules: ReadonlyArray<GlobRule<T>>, name: string): T | undefined {
  return rules.find((r) => compileGlob(r.glob).test(name))?.value
}

/** A resolved host's ordering settings, parsed on first use and kept with the host. */
export const guestOrdering: (host: HostSpec) => GuestOrdering = perHost(parseGuestOrdering)
