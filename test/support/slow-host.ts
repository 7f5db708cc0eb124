// A loaded lab host for timing tests: one virsh verb answers only after a delay on the fake clock. An abort ends the
// wait with a killed command, as a closed SSH channel does, so tests see what a cut request looks like.

import type { FakeClock } from '../../src/core/clock.js'
import type { Transport } from '../../src/ssh/transport.js'
import type { FakeTransport } from './fake-fleet.js'

export function slowVerb(transport: FakeTransport, clock: FakeClock, verb: string, delayMs: number): Transport {
  return {
    closeAll: () => transport.closeAll(),
    connect: async (spec) => {
      const s = await transport.connect(spec)
      return {
        ...s,
        exec: async (argv, o) => {
          if (argv[0] === 'virsh' && argv[3] === verb) {
            try {
              await clock.sleep(delayMs, o?.signal)
            } catch {
              return { code: null, signal: 'TERM', stdout: '', stderr: '' }
            }
          }
          return s.exec(argv, o)
        },
      }
    },
  }
}
