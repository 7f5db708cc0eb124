// `node bench/wave-overhead.mjs` (after `npm run build`): the control-machine CPU of VirshDriver.start per guest on an
// in-memory session that answers at once, 5000 waves of 4 guests started together (one streamed shell each) against
// the same 20,000 guests started one at a time (one exec each). Three rounds; the first ones include V8's warm-up.

import { VirshDriver } from '../dist/libvirt/driver.js'

const started = { code: 0, stdout: "Domain 'x' started\n\n", stderr: '' }
const session = {
  host: 'h',
  exec: async () => started,
  stream: (argv, onLine) => {
    const uuids = argv.slice(6)
    const done = (async () => {
      for (const u of uuids) {
        await null
        onLine(`Domain '${u}' started`)
        onLine(`@@${u} 0`)
      }
      onLine('@@end')
      return { code: 0, stdout: '', stderr: '' }
    })()
    return { done, close() {} }
  },
  onClose() {},
  close: async () => {},
}
const uuid = (n) => `0b8a6e4c-3f5e-4b9a-9d6a-${n.toString(16).padStart(12, '0')}`

async function perGuestMicros(together) {
  const driver = new VirshDriver(session)
  const t = process.cpuUsage()
  for (let i = 0; i < 5000; i++) {
    const signal = new AbortController().signal
    const guests = [0, 1, 2, 3].map((k) => uuid(i * 4 + k))
    if (together) await Promise.all(guests.map((u) => driver.start('qemu:///system', u, signal)))
    else for (const u of guests) await driver.start('qemu:///system', u, signal)
  }
  const c = process.cpuUsage(t)
  return ((c.user + c.system) / 20000).toFixed(1)
}

for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}: a wave of 4 ${await perGuestMicros(true)} µs per guest, one at a time ${await perGuestMicros(false)} µs per guest`)
}
