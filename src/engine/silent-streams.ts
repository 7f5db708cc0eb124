// A host whose libvirt event stream stayed silent while its guests' waits ended only at the poll: the run's result is
// right, but each of those waits took up to a poll interval longer, and the operator is told why (a libvirtd that
// stopped delivering events, or a stream that never registered).

import type { StateWatcher } from '../libvirt/watcher.js'
import type { HostJobContext } from './fleet.js'

export function warnSilentStreams(ctx: Pick<HostJobContext, 'bus' | 'host' | 'at'>, watcher: Pick<StateWatcher, 'silentStreams'>): void {
  for (const s of watcher.silentStreams()) {
    const waits = s.endedByPoll === 1 ? '1 wait' : `${s.endedByPoll} waits`
    ctx.bus.emit({
      type: 'log',
      level: 'warn',
      host: ctx.host.name,
      message:
        `libvirt's event stream (${s.uri}) delivered no event; ${waits} for a guest's state ended only at the ${s.pollMs / 1000} s poll. ` +
        `If \`virsh -c ${s.uri} event --all --loop\` on the host stays silent while guests change state, its libvirtd no longer delivers events.`,
      at: ctx.at(),
    })
  }
}
