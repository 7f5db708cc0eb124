// Check the guests' live state: `running` = every guest this run put back (saved list or started) runs;
// `ready` = that, and each such guest with a readiness probe passes it once more; `off` = no guest of the host runs. `msg` leads the failure message, as Ansible's assert msg.

import { SavedListStore } from '../../state/saved-list.js'
import { VirshDriver } from '../../libvirt/driver.js'
import { isActive } from '../../libvirt/types.js'
import { failed, ok, type StepHandler } from './handler.js'
import { optionLine } from './options-line.js'
import { parseReadyProbe } from '../../libvirt/readiness.js'
import { waitUntilReady } from '../readiness.js'

export const assert: StepHandler<'assert'> = {
  kind: 'assert',
  resolve: (step) => step,
  describe: (s) => optionLine({ guests: s.guests, msg: s.msg }),
  async run(ctx, step) {
    const s = await ctx.connection.get()
    const live = (await Promise.all(ctx.host.uris.map((u) => new VirshDriver(s).list(u)))).flat()
    const remaining = (await new SavedListStore(s, ctx.host.stateDir, false).read()).entries.length
    const saved = `saved list has ${remaining} entr${remaining === 1 ? 'y' : 'ies'}`
    let checked: number
    let wrong: string[]
    if (step.guests === 'running' || step.guests === 'ready') {
      const listed = [...ctx.state.guests.values()].filter((g) => g.inSavedList || g.outcome === 'started' || g.outcome === 'not-ready')
      checked = listed.length
      wrong = []
      for (const g of listed) {
        const l = live.find((x) => x.uuid === g.uuid && x.uri === g.uri)
        if (!l || !isActive(l.state)) wrong.push(g.name)
        else if (step.guests === 'ready' && g.ready) {
          // one probe, no waiting: the start step already gave the guest its readiness budget
          const probe = parseReadyProbe(g.ready, `guest ${g.name}: ready`)
          if (!(await waitUntilReady(s, l, { probe, timeoutMs: 0 }, ctx.run.clock)).ready) wrong.push(g.name)
        }
      }
    } else {
      checked = live.length
      wrong = live.filter((g) => isActive(g.state)).map((g) => g.name)
    }
    if (wrong.length > 0) return failed(`${step.msg ? `${step.msg}: ` : ''}not ${step.guests}: ${wrong.join(', ')}`)
    return ok(`${checked} guest(s) ${step.guests}; ${saved}`)
  },
}
