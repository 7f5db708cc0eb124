// Pre-flight: the host answers, libvirt answers on every URI, and (when suspending) there is disk for the
// managed-save images. Reads only; a failure here leaves the host untouched.

import { VirshDriver } from '../../libvirt/driver.js'
import { guestMemoryKiB, saveDirFreeKiB } from '../../libvirt/host-probes.js'
import { isActive } from '../../libvirt/types.js'
import { failed, ok, type StepHandler } from './handler.js'

export const preflight: StepHandler<'preflight'> = {
  kind: 'preflight',
  resolve: (step) => ({ kind: 'preflight', suspend: step.suspend ?? false }),
  describe: (step) => (step.suspend ? 'libvirt answers; disk for managed-save images' : 'libvirt answers'),
  async run(ctx, step) {
    const session = await ctx.connection.get()
    const driver = new VirshDriver(session)
    let running = 0
    for (const uri of ctx.host.uris) running += (await driver.list(uri)).filter((g) => isActive(g.state)).length
    if (!step.suspend) return ok(`libvirt ok, ${running} guest(s) active`)
    const need = await guestMemoryKiB(session, ctx.host.uris)
    const avail = await saveDirFreeKiB(session)
    const mib = (kib: number) => Math.round(kib / 1024)
    if (need > avail) return failed(`not enough disk for managed-save images: guests use ${mib(need)} MiB, ${mib(avail)} MiB free`)
    return ok(`libvirt ok, ${running} guest(s) active, ${mib(need)} MiB of RAM to save, ${mib(avail)} MiB free`)
  },
}
