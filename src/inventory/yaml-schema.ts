// The YAML scalar resolution Ansible's loader (PyYAML's YAML 1.1 resolver) applies to plain scalars, as tags
// for the `yaml` package: which bare words are booleans (yes/no/on/off, not y/n), integers (0755 is octal,
// 1:30 is base 60, 0o10 is a string), floats (a dot is required: 1e3 is a string), null, and dates.

import type { ScalarTag, Tags } from 'yaml'

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/
const NULL = /^(?:~|null|Null|NULL|)$/
const DATE = /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/

/** PyYAML's construct_yaml_int / construct_yaml_float: sign, base prefixes, base-60 parts. */
function sexagesimal(body: string, parse: (s: string) => number): number {
  return body
    .split(':')
    .map(parse)
    .reduce((acc, d) => acc * 60 + d, 0)
}

function resolveInt(text: string): number {
  let v = text.replace(/_/g, '')
  const sign = v.startsWith('-') ? -1 : 1
  if (v[0] === '-' || v[0] === '+') v = v.slice(1)
  if (v === '0') return 0
  if (v.startsWith('0b')) return sign * parseInt(v.slice(2), 2)
  if (v.startsWith('0x')) return sign * parseInt(v.slice(2), 16)
  if (v.startsWith('0')) return sign * parseInt(v, 8)
  if (v.includes(':')) return sign * sexagesimal(v, Number)
  return sign * Number(v)
}

function resolveFloat(text: string): number {
  let v = text.replace(/_/g, '').toLowerCase()
  const sign = v.startsWith('-') ? -1 : 1
  if (v[0] === '-' || v[0] === '+') v = v.slice(1)
  if (v === '.inf') return sign * Infinity
  if (v === '.nan') return NaN
  if (v.includes(':')) return sign * sexagesimal(v, Number)
  return sign * Number(v)
}

const scalar = (tag: string, test: RegExp, resolve: (s: string) => unknown): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  default: true,
  test,
  resolve: (s: string) => resolve(s) as never,
  identify: () => false,
})

/** Ansible's implicit scalar types; explicit tags (!!str, !!binary, …) keep the package's YAML 1.1 meaning. */
export const ANSIBLE_SCALARS: ScalarTag[] = [
  scalar('null', NULL, () => null),
  scalar('bool', BOOL, (s) => /^(?:yes|true|on)$/i.test(s)),
  scalar('int', INT, resolveInt),
  scalar('float', FLOAT, resolveFloat),
  // Ansible prints a date as its ISO text; virtfleet keeps that text (a time-of-day timestamp stays a string).
  scalar('timestamp', DATE, (s) => s),
]

const IMPLICIT = new Set([
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:timestamp',
])

/** customTags for parseDocument: the YAML 1.1 schema with its implicit scalars replaced by Ansible's. */
export function ansibleTags(tags: Tags): Tags {
  return [...tags.filter((t) => typeof t === 'string' || !(IMPLICIT.has(t.tag) && 'test' in t && t.test !== undefined)), ...ANSIBLE_SCALARS]
}
