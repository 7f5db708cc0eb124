// `npm run bench -- --fleet N [--guests M] [--delays 1,2,3,5] [--base-port P] [--only a,b]`: virtfleet (`virtfleet`:
// shutdown, start, status with plain output; `tree`: shutdown drawing the live tree on a pty), Ansible (`ansible50`,
// `ansibleN`) and a plain xargs-over-ssh fan-out (`fanout`) stopping the same simulated fleet (lab/sim/sim.sh: real
// sshd, simulated virsh), one run each, fleet state reset between runs. Wall time, control-machine CPU and peak RSS
// come from /usr/bin/time -v.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { labSshArgs, labSshOptions, opt, REPO } from './lib.mjs'

const SIM = join(REPO, 'lab', 'sim', 'sim.sh')

/** Run argv under /usr/bin/time -v; wall, user+sys CPU of the whole waited-for tree, largest single process's RSS. */
function timed(argv, env = {}) {
  const r = spawnSync('/usr/bin/time', ['-v', ...argv], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...env },
    maxBuffer: 512 * 1024 * 1024,
  })
  const field = (re) => Number(re.exec(r.stderr)?.[1] ?? NaN)
  const el = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)
  const wallS = el ? Number(el[1] ?? 0) * 3600 + Number(el[2]) * 60 + Number(el[3]) : NaN
  const cpuS = field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/)
  const rssMiB = field(/Maximum resident set size \(kbytes\): (\d+)/) / 1024
  const code = field(/Exit status: (\d+)/)
  return { wallS, cpuS, rssMiB, code, stdout: r.stdout, stderr: r.stderr }
}

export async function benchFleet(argv, log) {
  const hosts = Number(opt(argv, '--fleet', '50'))
  const guests = Number(opt(argv, '--guests', '10'))
  const delays = opt(argv, '--delays', '1,2,3,5')
  const basePort = opt(argv, '--base-port', '24000')
  const dir = opt(argv, '--dir', process.env.VIRTFLEET_SIM_DIR ?? join(REPO, '.lab-sim'))
  const only = opt(argv, '--only', 'virtfleet,tree,ansible50,ansibleN,fanout').split(',')
  const sim = (...a) => execFileSync('bash', [SIM, ...a, '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  log(`fleet: sim-up ${hosts} hosts x ${guests} guests, delays ${delays}, ports from ${basePort}, in ${dir}`)
  sim('sim-up', '--hosts', String(hosts), '--guests', String(guests), '--delays', delays, '--base-port', basePort)
  const inv = join(dir, 'inventory.yml')
  const ini = join(dir, 'inventory.ini')
  const sshOpts = labSshOptions(dir)
  const ports = readFileSync(join(dir, 'hosts.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[1])
  const conn = timed(['ssh', ...labSshArgs(dir, ports[0]), 'true'])
  const slowest = Math.max(
    ...delays
      .split(',')
      .filter((d) => d !== 'x')
      .map(Number),
  )
  const stateDir = mkdtempSync(join(tmpdir(), 'vf-bench-fleet-'))
  const rows = []
  const load = () => loadavg()[0].toFixed(1)
  const record = (name, r, ok) => {
    rows.push({ name, ...r, ok, load: load() })
    log(`fleet: ${name}: exit ${r.code}, ${r.wallS.toFixed(2)} s wall, ${r.cpuS.toFixed(2)} s CPU, ${r.rssMiB.toFixed(0)} MiB`)
    if (ok) return
    // The whole output, for the reasons of what failed (a run's report is too long for the log).
    const file = join(dir, `bench-${rows.length}.log`)
    writeFileSync(file, r.stdout + r.stderr)
    log(
      `fleet: ${name} output tail (all of it in ${file}): ${(r.stdout + r.stderr.replace(/\tCommand being timed[^]*/, '')).trim().split('\n').slice(-6).join(' | ')}`,
    )
  }
  // --connect-timeout: the simulated sshds share the control machine's 2 cores (load 80-120 at N = 200), so one
  // handshake can take longer than the 10 s default allows for a real host; OpenSSH in the fan-out has no such bound.
  const vf = (cmd, ...extra) =>
    timed([
      process.execPath,
      join(REPO, 'bin', 'run.js'),
      cmd,
      '-i',
      inv,
      '--output',
      'plain',
      '--forks',
      String(hosts),
      '--connect-timeout',
      opt(argv, '--connect-timeout', '2m'),
      '--state-dir',
      stateDir,
      ...extra,
    ])
  const commands = {}
  try {
    if (only.includes('virtfleet')) {
      sim('sim-reset')
      const stop = vf('shutdown', '--parallel', String(guests), '--timeout', '2m')
      record(`virtfleet shutdown (--forks ${hosts} --parallel ${guests})`, stop, stop.code === 0)
      const start = vf('start', '--parallel', String(guests))
      record(`virtfleet start (--forks ${hosts} --parallel ${guests})`, start, start.code === 0)
      const status = vf('status')
      record(`virtfleet status (--forks ${hosts})`, status, status.code === 0)
      commands.virtfleet = `./bin/run.js shutdown|start|status -i ${inv} --output plain --forks ${hosts} --connect-timeout ${opt(argv, '--connect-timeout', '2m')} [--parallel ${guests}] --state-dir TMP`
    }
    if (only.includes('tree')) {
      // The live tree as an operator sees it: listr2's default renderer needs a terminal, so the run gets a pty
      // (`script`), whose output is dropped. Its CPU against the plain run's is what drawing the tree costs.
      sim('sim-reset')
      const quote = (a) => `'${a.replaceAll("'", `'\\''`)}'`
      const argvT = [process.execPath, join(REPO, 'bin', 'run.js'), 'shutdown', '-i', inv, '--output', 'tree', '--forks', String(hosts)]
      argvT.push('--connect-timeout', opt(argv, '--connect-timeout', '2m'), '--state-dir', stateDir, '--parallel', String(guests), '--timeout', '2m')
      const r = timed(['script', '-q', '-e', '-c', `COLUMNS=160 LINES=50 ${argvT.map(quote).join(' ')}`, '/dev/null'], { CI: '' })
      record(`virtfleet shutdown, live tree on a pty (--forks ${hosts} --parallel ${guests})`, r, r.code === 0)
      commands.tree = `script -q -e -c './bin/run.js shutdown ... --output tree' /dev/null`
    }
    for (const forks of [only.includes('ansible50') ? 50 : 0, only.includes('ansibleN') && hosts !== 50 ? hosts : 0].filter(Boolean)) {
      sim('sim-reset')
      const argvA = ['ansible-playbook', '-i', ini, '-f', String(forks), join(REPO, 'bench', 'ansible', 'shutdown.yml')]
      const r = timed(argvA, { ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False' })
      record(`ansible-playbook shutdown.yml (forks ${forks})`, r, r.code === 0)
      commands[`ansible${forks}`] = argvA.join(' ').replaceAll(REPO + '/', '')
    }
    if (only.includes('fanout')) {
      sim('sim-reset')
      const script = readFileSync(join(REPO, 'bench', 'fanout-guests.sh'), 'utf8')
      const sshLine = ['ssh', ...sshOpts, '-p', '{}', 'root@127.0.0.1', script].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')
      const r = timed(['sh', '-c', `xargs -P ${hosts} -I{} ${sshLine} < ${join(dir, 'ports.txt')}`], {})
      record(`xargs -P ${hosts} ssh (libvirt-guests-style script)`, r, r.code === 0)
      commands.fanout = `cut -d' ' -f2 hosts.txt | xargs -P ${hosts} -I{} ssh ... -p {} root@127.0.0.1 "$(cat bench/fanout-guests.sh)"`
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true })
  }
  return { hosts, guests, delays, slowest, connS: conn.wallS, rows, commands }
}

export function printFleet(f) {
  const ideal = f.slowest + f.connS
  console.log(`fleet: ${f.hosts} hosts x ${f.guests} guests (real sshd, simulated virsh), shutdown delays ${f.delays} s`)
  console.log(`one ssh connection ${f.connS.toFixed(2)} s; ideal stop wall = slowest guest + one connection = ${ideal.toFixed(2)} s`)
  const head = ['run', 'exit', 'wall s', 'CPU s', 'CPU ms/host', 'peak RSS MiB', 'load']
  const cells = [
    head,
    ...f.rows.map((r) => [r.name, String(r.code), r.wallS.toFixed(2), r.cpuS.toFixed(2), ((r.cpuS * 1000) / f.hosts).toFixed(1), r.rssMiB.toFixed(0), r.load]),
  ]
  const w = head.map((_, i) => Math.max(...cells.map((c) => c[i].length)))
  for (const [k, c] of cells.entries()) {
    console.log(c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  '))
    if (k === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '))
  }
  const stop = f.rows.find((r) => r.name.startsWith('virtfleet shutdown'))
  const ans = f.rows.filter((r) => r.name.startsWith('ansible')).map((r) => r.wallS)
  if (stop) {
    console.log('')
    console.log(
      `targets (issue 11, meant for 500 x 10): virtfleet shutdown vs Ansible (fastest): ${ans.length ? `${(Math.min(...ans) / stop.wallS).toFixed(1)}x (target >= 10x)` : 'n/a'}`,
    )
    console.log(`  wall ${stop.wallS.toFixed(2)} s vs 1.1 x ideal ${(1.1 * ideal).toFixed(2)} s: ${stop.wallS <= 1.1 * ideal ? 'ok' : 'MISSED'}`)
    console.log(`  CPU ${((stop.cpuS * 1000) / f.hosts).toFixed(1)} ms/host (target <= 20): ${(stop.cpuS * 1000) / f.hosts <= 20 ? 'ok' : 'MISSED'}`)
    console.log(`  peak RSS ${stop.rssMiB.toFixed(0)} MiB (target <= 300): ${stop.rssMiB <= 300 ? 'ok' : 'MISSED'}`)
  }
  const tree = f.rows.find((r) => r.name.includes('live tree'))
  if (tree)
    console.log(
      `  live tree: the whole process used ${((100 * tree.cpuS) / tree.wallS).toFixed(1)} % of one core (${tree.cpuS.toFixed(2)} s CPU over ${tree.wallS.toFixed(1)} s)` +
        (stop
          ? `; plain output ${((100 * stop.cpuS) / stop.wallS).toFixed(1)} %, so the tree added ${(tree.cpuS - stop.cpuS).toFixed(2)} s CPU (target: tree <= 10 % of one core)`
          : ''),
    )
  for (const [k, v] of Object.entries(f.commands)) console.log(`command ${k}: ${v}`)
}
