// Check the guests' live state: `running` = every guest this run put back (saved list or started) runs;
// `off` = no guest of the host runs. `msg` leads the failure message, as Ansible's assert msg.

import { SavedListStore } from '../../state/saved-list.js'
import { VirshDriver } from '../../libvirt/driver.js'
import { isActive } from '../../libvirt/types.js'
import { failed, ok, type StepHandler } from './handler.js'
import { optionLine } from './options-line.js'

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
    if (step.guests === 'running') {
      const listed = [...ctx.state.guests.values()].filter((g) => g.inSavedList || g.outcome === 'started')
      checked = listed.length
      wrong = listed
        .filter((g) => {
          const l = live.find((x) => x.uuid === g.uuid && x.uri === g.uri)
          return !l || !isActive(l.state)
        })
        .map((g) => g.name)
    } else {
      checked = live.length
      wrong = live.filter((g) => isActive(g.state)).map((g) => g.name)
    }
    if (wrong.length > 0) return failed(`${step.msg ? `${step.msg}: ` : ''}not ${step.guests}: ${wrong.join(', ')}`)
    return ok(`${checked} guest(s) ${step.guests}; ${saved}`)
  },
}
