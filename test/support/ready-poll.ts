// The in-memory side of READY_POLL_SCRIPT: fakes that answer `exec` decode the poll's probes (quoted by
// quoteCommand) and run each one through their own exec, pass after pass on the fake clock, as the host's shell
// would. The real script is proven by a real shell in test/unit/libvirt/readiness.test.ts and on the lab.
import type { Clock } from '../../src/core/clock.js'
import { READY_POLL_SCRIPT } from '../../src/libvirt/readiness.js'
import type { ExecResult } from '../../src/ssh/transport.js'

export const isReadyPoll = (argv: readonly string[]): boolean => argv[0] === 'sh' && argv[1] === '-c' && argv[2] === READY_POLL_SCRIPT

/** Split a command line made by quoteCommand back into its words. */
export function unquote(line: string): string[] {
  const words: string[] = []
  let cur: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      cur = (cur ?? '') + line.slice(i + 1, end)
      i = end
    } else if (c === '\\') cur = (cur ?? '') + line[++i]
    else if (c === ' ') {
      if (cur !== undefined) words.push(cur)
      cur = undefined
    } else cur = (cur ?? '') + c
  }
  if (cur !== undefined) words.push(cur)
  return words
}

/** Run one poll round: `runProbe` answers each probe's argv; the clock moves by the interval between passes; `signal` cuts it. */
export async function runReadyPoll(
  argv: readonly string[],
  runProbe: (argv: string[]) => Promise<ExecResult>,
  clock: Clock,
  signal?: AbortSignal,
): Promise<ExecResult> {
  const passes = Number(argv[4])
  const intervalMs = Number(argv[5]) * 1000
  const probes: Array<{ id: string; argv: string[] }> = []
  for (let i = 6; i + 1 < argv.length; i += 2) probes.push({ id: argv[i]!, argv: unquote(argv[i + 1]!) })
  const errors = new Map<string, string>()
  const out: string[] = []
  for (let k = 1; ; k++) {
    const ready: string[] = []
    for (const p of probes) {
      const r = await runProbe(p.argv)
      if (r.code === 0) ready.push(p.id)
      else errors.set(p.id, r.stderr.trim().split('\n').pop() ?? '')
    }
    out.push(`pass ${k}`)
    if (ready.length > 0 || k >= passes) {
      const lines = [...out, ...probes.map((p) => (ready.includes(p.id) ? `ready ${p.id}` : `error ${p.id} ${errors.get(p.id) ?? ''}`))]
      return { code: ready.length > 0 ? 0 : 1, stdout: `${lines.join('\n')}\n`, stderr: '' }
    }
    // a closed channel ends the round (the real script dies of SIGPIPE at its next pass)
    await clock.sleep(intervalMs, signal)
  }
}
