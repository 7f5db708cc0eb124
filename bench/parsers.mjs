// Parser throughput: parseGuestList on one synthetic 5000-guest LIST_SCRIPT output, parseEventLine over 100k lines.

import { load, rng, throughput } from './lib.mjs'

export const PARSE = { listGuests: 5000, eventLines: 100_000 }

const uuid = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`

/** The exact section format LIST_SCRIPT produces (see FakeHost.listOutput), with a realistic mix of states. */
export function syntheticList(n, random = rng(1)) {
  const all = []
  const by = { running: [], paused: [], shutoff: [], transient: [], 'managed-save': [], autostart: [] }
  for (let i = 0; i < n; i++) {
    const u = uuid(i + 1)
    all.push(`${u} guest-${i}${i % 50 === 0 ? ' it\'s "odd" name' : ''}`)
    const r = random()
    if (r < 0.7) by.running.push(u)
    else if (r < 0.75) by.paused.push(u)
    else if (r < 0.99) by.shutoff.push(u)
    // else: neither (in shutdown / crashed): ends up in needState
    if (random() < 0.05) by.transient.push(u)
    else if (random() < 0.1) by['managed-save'].push(u)
    if (random() < 0.3) by.autostart.push(u)
  }
  const sec = (name, lines) => `@@${name}\n${lines.join('\n')}${lines.length ? '\n' : ''}\n`
  return (
    sec('all', all) +
    Object.entries(by)
      .map(([k, v]) => sec(k, v))
      .join('') +
    '@@end\n'
  )
}

export function syntheticEventLines(n, random = rng(2)) {
  const events = [
    'Stopped Shutdown',
    'Stopped Destroyed',
    'Started Booted',
    'Suspended Paused',
    'Resumed Unpaused',
    'Shutdown Finished after guest request',
    'Stopped Saved',
  ]
  const lines = []
  for (let i = 0; i < n; i++) {
    const ts = `2026-01-01 00:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:${String(Math.floor(i / 100) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}+0000`
    const name = i % 97 === 0 ? `we'ird': name ${i}` : `hv${i % 1000}-g${i % 20}`
    const r = random()
    // ~5% non-lifecycle lines (other event types the loop prints): parsed to null.
    lines.push(
      r < 0.05
        ? `${ts}: event 'reboot' for domain '${name}'`
        : `${ts}: event 'lifecycle' for domain '${name}': ${events[Math.floor(random() * events.length)]}`,
    )
  }
  return lines
}

export async function benchParsers(minMs = 1000) {
  const { parseGuestList, parseEventLine } = await load('src/libvirt/virsh.js')
  const listText = syntheticList(PARSE.listGuests)
  const check = parseGuestList('qemu:///system', listText)
  if (check.guests.length !== PARSE.listGuests) throw new Error(`parseGuestList returned ${check.guests.length} guests, want ${PARSE.listGuests}`)
  const list = throughput(() => parseGuestList('qemu:///system', listText).guests.length, { minMs })

  const lines = syntheticEventLines(PARSE.eventLines)
  let parsedOk = 0
  for (const l of lines) if (parseEventLine(l)) parsedOk++
  const ev = throughput(
    () => {
      let n = 0
      for (let i = 0; i < lines.length; i++) if (parseEventLine(lines[i])) n++
      return n
    },
    { minMs, warmup: 2 },
  )
  return {
    list: {
      guests: PARSE.listGuests,
      bytes: listText.length,
      needState: check.needState.length,
      opsPerSec: list.opsPerSec,
      opsPerWallSec: list.opsPerWallSec,
      guestsPerSec: list.opsPerSec * PARSE.listGuests,
      runs: list.runs,
    },
    events: {
      lines: PARSE.eventLines,
      lifecycle: parsedOk,
      passesPerSec: ev.opsPerSec,
      linesPerSec: ev.opsPerSec * PARSE.eventLines,
      linesPerWallSec: ev.opsPerWallSec * PARSE.eventLines,
      runs: ev.runs,
    },
  }
}
