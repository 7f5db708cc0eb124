// Guest description tags (`virtfleet:order=N`, `virtfleet:tier=NAME`, `virtfleet:ready=PROBE` in a guest's libvirt description): the
// remote snippet that prints every guest's description, and its parser.

export interface GuestTags {
  order?: number
  tier?: string
  /** Readiness probe text (`virtfleet:ready=agent`, `tcp:22`, `console:login:`), parsed by libvirt/readiness.ts. */
  ready?: string
  /** Evacuation strategy (`virtfleet:evacuate=migrate|migrate-or-stop|stop|suspend`). */
  evacuate?: 'migrate' | 'migrate-or-stop' | 'stop' | 'suspend'
}

/** `virtfleet:order=10 virtfleet:tier=db` anywhere in a description. */
export function parseDescriptionTags(desc: string): GuestTags {
  const tags: GuestTags = {}
  const order = /virtfleet:order=(-?\d+)/.exec(desc)
  if (order) tags.order = Number(order[1])
  const tier = /virtfleet:tier=([A-Za-z0-9_.-]+)/.exec(desc)
  if (tier) tags.tier = tier[1] as string
  const ready = /virtfleet:ready=(\S+)/.exec(desc)
  if (ready) tags.ready = ready[1] as string
  const evacuate = /virtfleet:evacuate=(migrate-or-stop|migrate|stop|suspend)\b/.exec(desc)
  if (evacuate) tags.evacuate = evacuate[1] as NonNullable<GuestTags['evacuate']>
  return tags
}

/** $1 = URI. One exec per URI prints each guest's UUID and description. */
export const DESCRIBE_SCRIPT = 'for u in $(virsh -c "$1" list --all --uuid); do printf "@@%s\\n" "$u"; virsh -c "$1" desc "$u" 2>/dev/null; done'

export function parseDescribeOutput(stdout: string): Map<string, GuestTags> {
  const out = new Map<string, GuestTags>()
  let uuid: string | undefined
  let text = ''
  const flush = () => {
    if (uuid) out.set(uuid, parseDescriptionTags(text))
  }
  for (const line of stdout.split('\n')) {
    const m = /^@@([0-9a-f-]{36})$/.exec(line)
    if (m) {
      flush()
      uuid = m[1]
      text = ''
    } else text += line + '\n'
  }
  flush()
  return out
}
