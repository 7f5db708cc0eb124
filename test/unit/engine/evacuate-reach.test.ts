// The evacuation pre-flight on its own: the reach check (its timeout, its reason) and the place/check loop that
// checks only the destinations a plan uses, each once, and re-places without the ones the source cannot reach.
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/core/clock.js'
import { placeReachable, reachFailure } from '../../../src/engine/evacuate/reach.js'
import { DEFAULT_PLACEMENT, type DestinationFacts, type GuestFacts } from '../../../src/engine/placement.js'
import type { ExecOptions, HostSession } from '../../../src/ssh/transport.js'

const GiB = 1024 * 1024
const dest = (host: string, availableGiB: number): DestinationFacts => ({
  host,
  cpus: 8,
  memoryKiB: 32 * GiB,
  availableKiB: availableGiB * GiB,
  runningVcpus: 0,
})
const guest = (name: string, memGiB: number): GuestFacts => ({
  host: 'hv1',
  name,
  uuid: `u-${name}`,
  memoryKiB: memGiB * GiB,
  vcpus: 1,
  strategy: 'migrate-or-stop',
  localDisks: [],
  pinnedDevices: [],
  cpuIncompatible: [],
})

function session(exec: (argv: readonly string[], o: ExecOptions) => Promise<{ code: number | null; stdout: string; stderr: string }>): HostSession {
  return {
    host: 'hv1',
    exec: (argv, o = {}) => exec(argv, o),
    stream: () => ({ done: new Promise(() => undefined), close: () => undefined }),
    onClose: () => undefined,
    close: async () => undefined,
  } as HostSession
}

describe('reachFailure', () => {
  it('runs virsh -c DEST_URI uri on the source and returns virsh’s last error line when it fails', async () => {
    const seen: string[][] = []
    const s = session(async (argv) => {
      seen.push([...argv])
      return { code: 1, stdout: '', stderr: 'error: failed to connect to the hypervisor\nerror: Cannot recv data: Host key verification failed.\n' }
    })
    expect(await reachFailure(s, 'qemu+ssh://root@hv2/system', new FakeClock())).toBe('error: Cannot recv data: Host key verification failed.')
    expect(seen).toEqual([['virsh', '-c', 'qemu+ssh://root@hv2/system', 'uri']])
    expect(
      await reachFailure(
        session(async () => ({ code: 0, stdout: 'qemu+ssh://root@hv2/system\n', stderr: '' })),
        'x',
        new FakeClock(),
      ),
    ).toBeUndefined()
  })

  it('gives up after its timeout, cancelling the call: a hanging SSH cannot hold the evacuation', async () => {
    const clock = new FakeClock()
    let cancelled = false
    const s = session(
      (_argv, o) =>
        new Promise((resolve) =>
          o.signal?.addEventListener('abort', () => {
            cancelled = true
            resolve({ code: null, stdout: '', stderr: '' })
          }),
        ),
    )
    expect(await clock.runUntil(reachFailure(s, 'qemu+ssh://hv2/system', clock, undefined, 5000), 60_000, 100)).toBe('no answer within 5s')
    expect(cancelled).toBe(true)
  })
})

describe('placeReachable', () => {
  it('checks only the destinations the plan uses, each once, and places again without the unreachable ones', async () => {
    const asked: string[] = []
    const plan = await placeReachable(
      'hv1',
      [guest('a', 4), guest('b', 2)],
      [dest('hv2', 20), dest('hv3', 16), dest('hv4', 14)],
      DEFAULT_PLACEMENT,
      async (h) => {
        asked.push(h)
        return h === 'hv2' ? 'Connection refused' : undefined
      },
    )
    // First plan: both on hv2 (only hv2 asked); it fails; second plan: a → hv3, b → hv4, each asked once.
    expect(asked).toEqual(['hv2', 'hv3', 'hv4'])
    expect(plan.placements.map((p) => (p.kind === 'migrate' ? `${p.guest.name} → ${p.destination}` : p.kind))).toEqual(['a → hv3', 'b → hv4'])
    expect(plan.destinations.find((d) => d.host === 'hv2')?.refusal).toBe('not reachable from hv1: Connection refused')
  })

  it('when no destination is reachable the guests get the reason and nothing more is asked', async () => {
    const asked: string[] = []
    const plan = await placeReachable('hv1', [guest('a', 1)], [dest('hv2', 20)], DEFAULT_PLACEMENT, async (h) => (asked.push(h), 'timeout'))
    expect(asked).toEqual(['hv2'])
    expect(plan.placements[0]).toMatchObject({ kind: 'stop', reason: 'no destination fits 1024 MiB, 1 vCPU (hv2: not reachable from hv1: timeout)' })
  })
})
