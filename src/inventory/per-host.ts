// Settings parsed from a host's vars once per resolved host and kept with it (a WeakMap: they go with the host).

import type { HostSpec } from './types.js'

/** `parse(host name, host vars)` memoized per resolved host. */
export function perHost<T>(parse: (name: string, vars: HostSpec['vars']) => T): (host: HostSpec) => T {
  const parsed = new WeakMap<HostSpec, T>()
  return (host) => {
    if (!parsed.has(host)) parsed.set(host, parse(host.name, host.vars))
    return parsed.get(host) as T
  }
}
