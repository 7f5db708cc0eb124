// Which live renderer a run gets: the listr2 tree on an interactive terminal, the plain log in CI or when piped,
// nothing live under --json (the JSON report is printed at the end instead). All three are bus subscribers.
// listr2 is imported only when the tree is chosen: a --json or plain run does not pay for loading it.

import type { EventBus } from '../core/events.js'
import { attachPlainLog } from './plain.js'
import type { AttachedRenderer } from './types.js'

export type RendererKind = 'tree' | 'plain' | 'silent'

export function chooseRenderer(env: { json: boolean; isTTY: boolean; ci: boolean }): RendererKind {
  if (env.json) return 'silent'
  if (env.isTTY && !env.ci) return 'tree'
  return 'plain'
}

/** CI as most CI services announce it (CI=true/1, or a few vendor variables). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.toLowerCase()
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return true
  return ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'JENKINS_URL', 'TF_BUILD'].some((k) => !!env[k])
}

export interface AttachOptions {
  /** Passed to the tree; default 30. */
  maxVisibleHosts?: number
}

/** Subscribe the chosen renderer (before the first event is emitted); `done` resolves after run-done has been rendered. */
export async function attachRenderer(kind: RendererKind, bus: EventBus, out: NodeJS.WriteStream, opts: AttachOptions = {}): Promise<AttachedRenderer> {
  switch (kind) {
    case 'tree': {
      const { attachListrTree } = await import('./listr-tree.js')
      return attachListrTree(bus, { stream: out, maxVisibleHosts: opts.maxVisibleHosts })
    }
    case 'plain':
      return attachPlainLog(bus, (line) => {
        out.write(line + '\n')
      })
    case 'silent': {
      let resolve!: () => void
      const done = new Promise<void>((r) => (resolve = r))
      const off = bus.on((e) => {
        if (e.type === 'run-done') stop()
      })
      function stop(): void {
        off()
        resolve()
      }
      return { done, stop }
    }
  }
}
