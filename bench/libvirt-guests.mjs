// `npm run bench -- --vs-libvirt-guests --qemu-lab D [--runs 3]`: virtfleet's fleet-wide stop side by side with
// libvirt's own `libvirt-guests.sh` in parallel mode run on every host at once, on a QEMU lab the caller brought up
// (`npm run lab -- up --hosts 2 --guests 4 --delays 1,3,6,2 --transient 0 --dir D`). The rounds alternate which
// contender goes first, as the machine's load drifts.
//
// The ideal of a round: every request issued at once on each host, then waiting for the last guest, so the time the
// slowest guest of that round needed from its shutdown request to libvirt's Stopped event. It comes from virtfleet's
// own run: each attempt's start (the request, control-machine clock) and the Stopped line `virsh event --timestamp`
// printed on its host (same machine, same clock). virtfleet's wall is the whole process, start-up included.

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { labSshArgs, median, opt, REPO } from './lib.mjs'

/** Run argv, resolve with the wall time from just before the spawn to its exit. */
function timedRun(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ t0, t1: Date.now(), ms: Date.now() - t0, code, out, err }))
  })
}

// libvirt-guests.sh as Debian ships it, with its settings given the way /etc/default/libvirt-guests would (that file is
// machine-wide here, shared by every lab host, so the script's copy reads none) and its lock file in the host's own
// /run/libvirt. ON_SHUTDOWN=shutdown, PARALLEL_SHUTDOWN=4 (every guest of a lab host at once), SHUTDOWN_TIMEOUT=300.
const LIBVIRT_GUESTS = [
  "sed -e 's/^PARALLEL_SHUTDOWN=0$/PARALLEL_SHUTDOWN=4/' -e 's/^ON_SHUTDOWN=.*/ON_SHUTDOWN=shutdown/'",
  '-e \'s#"$sysconfdir"/default/libvirt-guests#/nonexistent#g\'',
  "-e 's#^VAR_SUBSYS_LIBVIRT_GUESTS=.*#VAR_SUBSYS_LIBVIRT_GUESTS=/run/libvirt/libvirt-guests.lock#'",
  '/usr/lib/libvirt/libvirt-guests.sh > /run/libvirt/libvirt-guests.sh',
  '&& rm -f /var/lib/libvirt/libvirt-guests && sh /run/libvirt/libvirt-guests.sh stop',
].join(' ')

export async function benchVsLibvirtGuests(argv, log) {
  const dir = opt(argv, '--qemu-lab')
  if (!dir) throw new Error('--vs-libvirt-guests needs --qemu-lab DIR (a lab brought up with --transient 0)')
  const runs = Number(opt(argv, '--runs', '3'))
  const inventory = join(dir, 'inventory.yml')
  const ports = [...readFileSync(inventory, 'utf8').matchAll(/^ {4}port: (\d+)$/gm)].map((m) => Number(m[1]))
  const ssh = (port, cmd) => execFileSync('ssh', [...labSshArgs(dir, port), cmd], { encoding: 'utf8' })
  const relaunch = () => {
    for (const p of ports) ssh(p, 'rm -f /var/lib/virtfleet/saved-guests.json /var/lib/libvirt/libvirt-guests')
    // The lab's `up` starts every guest again and waits until each answers ACPI.
    execFileSync('bash', [join(REPO, 'lab', 'lab.sh'), 'up', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  }
  const rows = []
  log(`vs-libvirt-guests: ${ports.length} lab hosts in ${dir}, ${runs} rounds`)
  relaunch()
  for (let i = 1; i <= runs; i++) {
    const row = {}
    const order = i % 2 === 1 ? ['virtfleet', 'libvirt-guests'] : ['libvirt-guests', 'virtfleet']
    for (const who of order) {
      if (who === 'virtfleet') Object.assign(row, await virtfleetOnce(dir, inventory, ports))
      else {
        const all = await Promise.all(ports.map((p) => timedRun('ssh', [...labSshArgs(dir, p), LIBVIRT_GUESTS])))
        const bad = all.find((r) => r.code !== 0)
        if (bad) throw new Error(`libvirt-guests.sh exited ${bad.code}: ${bad.err.trim().slice(-400)}`)
        const left = ports.map((p) => ssh(p, 'virsh list --name --state-running').trim()).filter(Boolean)
        if (left.length > 0) throw new Error(`libvirt-guests.sh left guests running: ${left.join(' ')}`)
        row.libvirtGuests = Math.max(...all.map((r) => r.t1)) - Math.min(...all.map((r) => r.t0))
      }
      relaunch()
    }
    log(`  round ${i}: ${JSON.stringify(row)}`)
    rows.push(row)
  }
  return rows
}

async function virtfleetOnce(dir, inventory, ports) {
  const seen = ports.map(() => '')
  const watchers = ports.map((p, i) => {
    const w = spawn('ssh', [...labSshArgs(dir, p), 'virsh -c qemu:///system event --all --loop --timestamp'], { stdio: ['ignore', 'pipe', 'ignore'] })
    w.stdout.on('data', (d) => (seen[i] += d))
    return w
  })
  await watchersListening(dir, ports, seen)
  const stateDir = mkdtempSync(join(tmpdir(), 'vf-lg-'))
  let r
  try {
    r = await timedRun(process.execPath, [join(REPO, 'bin', 'run.js'), 'shutdown', '-i', inventory, '--json', '--parallel', '4', '--state-dir', stateDir])
    execFileSync('sleep', ['0.5'])
  } finally {
    for (const w of watchers) w.kill()
    rmSync(stateDir, { recursive: true, force: true })
  }
  if (r.code !== 0) throw new Error(`virtfleet shutdown exited ${r.code}: ${r.err.trim().slice(-400)}`)
  const stopped = new Map()
  for (const m of seen.join('').matchAll(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\+0000: event 'lifecycle' for domain '(.*)': Stopped/gm))
    stopped.set(m[2], Date.parse(`${m[1].replace(' ', 'T')}Z`))
  const report = JSON.parse(r.out)
  let ideal = 0
  let firstRequest = Infinity
  for (const h of report.hosts)
    for (const g of h.guests) {
      const a = g.attempts.find((x) => x.action === 'shutdown')
      if (!a) continue
      const requested = Date.parse(a.startedAt)
      firstRequest = Math.min(firstRequest, requested)
      const off = stopped.get(g.name)
      if (off === undefined) throw new Error(`no Stopped event seen for ${g.name}`)
      ideal = Math.max(ideal, off - requested)
    }
  return { virtfleet: r.ms, ideal, toFirstRequest: firstRequest - r.t0 }
}

/**
 * Wait until every host's `virsh event` stream is registered with libvirtd: a stream that is not yet would miss the
 * Stopped events of a fast run. The proof is an event it printed: a metadata-change from setting a guest's persistent
 * title and clearing it again (repeated until seen; the lab's guests carry no title, so none is lost).
 */
async function watchersListening(dir, ports, seen) {
  const probe =
    'g=$(virsh -c qemu:///system list --all --name | head -n 1) && virsh -q -c qemu:///system desc "$g" --config --title vf-probe >/dev/null && virsh -q -c qemu:///system desc "$g" --config --title "" >/dev/null'
  for (const [i, p] of ports.entries()) {
    for (let tries = 0; !seen[i].includes("event 'metadata-change'"); tries++) {
      if (tries === 50) throw new Error(`the virsh event stream on port ${p} printed nothing in 10 s`)
      execFileSync('ssh', [...labSshArgs(dir, p), probe], { stdio: 'ignore' })
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

export function printVsLibvirtGuests(rows) {
  const s = (k) => {
    const xs = rows.map((r) => r[k])
    return `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)} - ${(Math.max(...xs) / 1000).toFixed(2)})`
  }
  const ratio = (k) => median(rows.map((r) => r[k] / r.ideal))
  console.log(`stop of every running guest of the lab, median (min - max) of ${rows.length} rounds:`)
  console.log(`  ideal (slowest guest, request -> Stopped)      ${s('ideal')}`)
  console.log(`  virtfleet shutdown --parallel 4, whole process ${s('virtfleet')}   ${ratio('virtfleet').toFixed(3)} x ideal`)
  console.log(`    of which process start -> first request     ${s('toFirstRequest')}`)
  console.log(`  libvirt-guests.sh PARALLEL_SHUTDOWN=4, all hosts at once ${s('libvirtGuests')}   ${ratio('libvirtGuests').toFixed(3)} x ideal`)
  // The target: virtfleet within 1.05 x the ideal.
  return ratio('virtfleet') <= 1.05
}
