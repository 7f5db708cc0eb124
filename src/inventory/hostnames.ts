// Host name patterns as Ansible writes them in inventories: `name:port`, `[v6::addr]:port`, and ranges
// `hv[01:20]`, `hv[01:20:2]`, `db-[a:f]` (several ranges in one name multiply out).

import { InputError } from '../core/errors.js'
import type { Origin } from './model.js'

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** Split an optional `:port` off a host pattern; colons inside [ranges] and bare IPv6 addresses are kept. */
export function splitHostPort(text: string, origin: Origin): { host: string; port?: number } {
  const v6 = /^\[([^\]]*:[^\]]*:[^\]]*)\](?::(\d+))?$/.exec(text)
  if (v6) return { host: v6[1] as string, port: v6[2] !== undefined ? Number(v6[2]) : undefined }
  let depth = 0
  const colons: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '[') depth++
    else if (c === ']') depth--
    else if (c === ':' && depth === 0) colons.push(i)
  }
  if (colons.length === 0) return { host: text }
  if (colons.length > 1) return { host: text } // a bare IPv6 address: no port possible
  const at = colons[0] as number
  const port = text.slice(at + 1)
  if (!/^\d+$/.test(port)) throw new InputError(`bad port in host "${text}": expected name:port with a numeric port`, origin)
  return { host: text.slice(0, at), port: Number(port) }
}

/** Hosts one inventory may hold (ranges included): a typo like hv[0:99999999] must not exhaust memory. */
export const MAX_INVENTORY_HOSTS = 100_000

/** Refuse a name whose ranges multiply out to more than MAX_INVENTORY_HOSTS, before expanding anything. */
function checkRangeSize(name: string, origin: Origin): void {
  let product = 1
  for (const m of name.matchAll(/\[([^\]]*)\]/g)) {
    const [beg = '', end = '', stepText = '1'] = (m[1] as string).split(':')
    const step = /^\d+$/.test(stepText) && Number(stepText) >= 1 ? Number(stepText) : 1
    let span = 0
    if (/^\d*$/.test(beg) && /^\d+$/.test(end)) span = Number(end) - Number(beg || '0')
    else if (LETTERS.includes(beg) && LETTERS.includes(end) && beg.length === 1 && end.length === 1) span = LETTERS.indexOf(end) - LETTERS.indexOf(beg)
    product *= span >= 0 ? Math.floor(span / step) + 1 : 1
    if (product > MAX_INVENTORY_HOSTS) {
      throw new InputError(`host range "${name}" expands to more than ${MAX_INVENTORY_HOSTS} hosts (the most one inventory may hold)`, origin)
    }
  }
}

/** Expand every [a:b] / [a:b:step] range of a host name; a name without brackets is returned as is. */
export function expandHostRange(name: string, origin: Origin): string[] {
  checkRangeSize(name, origin)
  return expandRange(name, origin)
}

function expandRange(name: string, origin: Origin): string[] {
  const open = name.indexOf('[')
  if (open < 0) {
    if (name.includes(']')) throw new InputError(`bad host range in "${name}": "]" without "["`, origin)
    return [name]
  }
  const close = name.indexOf(']', open)
  if (close < 0) throw new InputError(`bad host range in "${name}": "[" without "]"`, origin)
  const head = name.slice(0, open)
  const tail = name.slice(close + 1)
  const bounds = name.slice(open + 1, close).split(':')
  const bad = (why: string): InputError =>
    new InputError(`bad host range in "${name}": ${why} (expected [begin:end] or [begin:end:step], e.g. hv[01:20], db-[a:f])`, origin)
  if (bounds.length !== 2 && bounds.length !== 3) throw bad('wrong number of ":"')
  const beg = bounds[0] === '' ? '0' : (bounds[0] as string)
  const end = bounds[1] as string
  const stepText = bounds[2] ?? '1'
  if (end === '') throw bad('no end value')
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw bad(`step must be a positive integer, got "${stepText}"`)
  const step = Number(stepText)
  let values: string[]
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0
    if (width && end.length !== width) throw bad('begin and end must have the same number of digits when zero-padded')
    const b = Number(beg)
    const e = Number(end)
    if (b > e) throw bad('begin must be <= end')
    values = []
    for (let i = b; i <= e; i += step) values.push(width ? String(i).padStart(width, '0') : String(i))
  } else if (beg.length === 1 && end.length === 1 && LETTERS.includes(beg) && LETTERS.includes(end)) {
    const b = LETTERS.indexOf(beg)
    const e = LETTERS.indexOf(end)
    if (b > e) throw bad('begin must be <= end')
    values = []
    for (let i = b; i <= e; i += step) values.push(LETTERS[i] as string)
  } else {
    throw bad('bounds must be two numbers or two single letters')
  }
  return values.flatMap((v) => expandRange(head + v + tail, origin))
}

/** `hv[01:03]:2222` → hosts hv01..hv03 with port 2222. */
export function expandHostPattern(pattern: string, origin: Origin): { hosts: string[]; port?: number } {
  const { host, port } = splitHostPort(pattern.trim(), origin)
  return { hosts: expandHostRange(host, origin), port }
}
