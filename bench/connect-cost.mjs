// `node bench/connect-cost.mjs INVENTORY [K]`: the control machine's CPU for connecting to every host of an
// inventory at once and running K execs of `true` on each, per host (process.cpuUsage around it; one host is
// connected first so module loading and warm-up are not counted). VF_ROOT=OTHER_CHECKOUT measures another build.
// How docs/bench.md splits CPU per host into connecting and execs.

const root = process.env.VF_ROOT ?? new URL('..', import.meta.url).pathname
const { loadSelectedHosts } = await import(`${root}/dist/inventory/index.js`)
const { createSshTransport } = await import(`${root}/dist/ssh/ssh-transport.js`)

const [inv, k = '0'] = process.argv.slice(2)
if (!inv) {
  console.error('usage: node bench/connect-cost.mjs INVENTORY [EXECS_PER_HOST]')
  process.exit(64)
}
const execs = Number(k)
const { hosts } = await loadSelectedHosts({ inventory: [inv] })
const options = { agent: false, onWarning: () => {} }
const warm = createSshTransport(options)
await (await warm.connect(hosts[0])).exec(['true'])
await warm.closeAll()

const t = createSshTransport(options)
const c0 = process.cpuUsage()
const w0 = performance.now()
await Promise.all(
  hosts.map(async (h) => {
    const s = await t.connect(h)
    for (let i = 0; i < execs; i++) await s.exec(['true'])
  }),
)
const c = process.cpuUsage(c0)
const wallMs = performance.now() - w0
await t.closeAll()
const cpuMs = (c.user + c.system) / 1000
console.log(
  `hosts ${hosts.length} execs/host ${execs}: wall ${wallMs.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms = ${(cpuMs / hosts.length).toFixed(2)} ms/host`,
)
