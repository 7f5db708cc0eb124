import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

import { InputError } from '../../../src/core/errors.js'
import { PlaybookError, parsePlaybook, parsePlaybookText } from '../../../src/playbook/parse.js'
import { MAX_PLAYBOOK_BYTES } from '../../../src/playbook/yaml-source.js'

const FILE = 'pb.yml'

/** CPU milliseconds spent by `f` (wall time is meaningless on a loaded test machine). */
function cpuMs(f: () => void): number {
  const t0 = process.cpuUsage()
  f()
  const d = process.cpuUsage(t0)
  return (d.user + d.system) / 1000
}

/**
 * The typed error `text` is refused with: always a PlaybookError with a position, within 1 s of CPU. With `tries`,
 * the best of several runs counts (the first one also pays for compiling yaml's error paths, on a loaded machine).
 */
function refusal(text: string, tries = 1): PlaybookError {
  let caught: unknown
  let best = Infinity
  for (let i = 0; i < tries; i++) {
    const ms = cpuMs(() => {
      try {
        parsePlaybookText(text, FILE)
      } catch (err) {
        caught = err
      }
    })
    best = Math.min(best, ms)
  }
  expect(best).toBeLessThan(1000)
  expect(caught).toBeInstanceOf(PlaybookError)
  const e = caught as PlaybookError
  expect([e.file, typeof e.line, typeof e.column]).toEqual([FILE, 'number', 'number'])
  return e
}

const problems = (text: string): string[] => refusal(text).issues.map((i) => `${i.line}:${i.column}: ${i.message}`)
const play = (steps: string, extra = '') => `- hosts: all\n${extra}  steps:\n${steps}`

describe('names of Object.prototype members are ordinary unknown names', () => {
  it('- vars: {toString} (no hosts, no steps) is refused for what it lacks, not a TypeError', () => {
    expect(problems('- vars: {toString}\n')).toEqual(['1:3: play 1: "hosts" is required (e.g. hosts: all)', '1:3: play 1: "steps" is required'])
  })

  it.each(['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf'])('%s as a var is kept as a var, in a prototype-less object', (name) => {
    const pb = parsePlaybookText(play('    - reboot\n', `  vars: { ${name}: 1, timeout: 5s }\n`), FILE)
    const vars = pb.plays[0]?.vars as Record<string, unknown>
    expect(Object.getPrototypeOf(vars)).toBe(null)
    expect(Object.keys(vars)).toEqual([name, 'timeout'])
    expect(vars[name]).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a nested __proto__ in a var value stays data', () => {
    const pb = parsePlaybookText(play('    - reboot\n', '  vars: { guest_order: { __proto__: { polluted: 1 } } }\n'), FILE)
    const order = pb.plays[0]?.vars.guest_order as Record<string, unknown>
    expect(Object.keys(order)).toEqual(['__proto__'])
    expect((order as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])(
    '%s as a play key, step kind, step key and option is refused at its position',
    (name) => {
      expect(
        problems(`- hosts: all\n  ${name}: 1\n  steps:\n    - ${name}\n    - ${name}: 1\n    - reboot: { ${name}: 1 }\n    - reboot:\n      ${name}: 1\n`),
      ).toEqual([
        `2:3: unknown key "${name}" in play (allowed: name, hosts, serial, max_fail_percentage, order, vars, steps)`,
        `4:7: unknown step "${name}"; steps are shutdown, suspend, start, reboot, wait_for_ssh, command, pause, confirm, assert, evacuate, return`,
        `5:7: unknown step "${name}"; steps are shutdown, suspend, start, reboot, wait_for_ssh, command, pause, confirm, assert, evacuate, return`,
        `6:17: unknown key "${name}" in reboot options (allowed: command, reboot_timeout, connect_timeout, post_reboot_delay, test_command)`,
        `8:7: unknown key "${name}" in step (allowed: name, ignore_errors)`,
      ])
    },
  )
})

describe('minimal inputs found by the fuzzer (test/fuzz/playbook.fuzz.test.ts)', () => {
  it('__proto__ under a step kind (a TypeError before)', () => {
    expect(problems('- hosts: []\n  steps:\n    - shutdown:\n        __proto__: {}\n')).toEqual([
      '1:10: hosts: expected a host pattern, got an empty list',
      '4:9: unknown key "__proto__" in shutdown options (allowed: action, fallback, timeout, host_timeout, parallel)',
    ])
  })
})

describe('numbers: NaN, Infinity, huge values and waits past the timer limit', () => {
  it('max_fail_percentage: .nan', () => {
    expect(problems(play('    - reboot\n', '  max_fail_percentage: .nan\n'))).toEqual([
      '2:24: max_fail_percentage: expected a number >= 0 and <= 100, got a number (NaN)',
    ])
  })
  it('pause minutes: .inf and timeout: .inf', () => {
    expect(problems(play('    - pause: { minutes: .inf }\n    - command: { run: x, timeout: -.inf }\n'))).toEqual([
      '3:25: pause.minutes: expected a number >= 0, got a number (Infinity)',
      '4:35: command.timeout: expected a non-negative number of seconds, got -Infinity',
    ])
  })
  it('pause: 25d and other waits past the maximum duration are refused at the value', () => {
    const found = problems(play('    - pause: 25d\n    - pause: { minutes: 36000 }\n    - wait_for_ssh: { timeout: 30d }\n'))
    expect(found.map((p) => p.split(': ')[0])).toEqual(['3:14', '4:25', '5:32'])
    // The wording is the duration parser's (its stated maximum) or this parser's backstop at Node's timer limit.
    expect(found[0]).toMatch(/^3:14: pause\.seconds: .*(maximum|at most)/)
    expect(found[1]).toMatch(/^4:25: pause\.minutes: .*(maximum|at most)/)
    expect(found[2]).toMatch(/^5:32: wait_for_ssh\.timeout: .*(maximum|at most)/)
  })
  it('parallel: past one million (as in the inventory) or 1e400', () => {
    expect(problems(play('    - start: { parallel: 2000000 }\n    - stop: { parallel: 1e400 }\n'))).toEqual([
      '3:26: start.parallel: expected a whole number >= 1 and <= 1000000, got a number (2000000)',
      '4:25: stop.parallel: expected a whole number >= 1 and <= 1000000, got a number (Infinity)',
    ])
  })
})

describe('YAML aliases and anchors', () => {
  it('an anchored step can be reused', () => {
    const pb = parsePlaybookText(play('    - &r { reboot: { reboot_timeout: 5m } }\n    - wait_for_ssh\n    - *r\n'), FILE)
    expect(pb.plays[0]?.steps.map((s) => [s.kind, (s as { rebootTimeoutMs?: number }).rebootTimeoutMs])).toEqual([
      ['reboot', 300_000],
      ['wait_for_ssh', undefined],
      ['reboot', 300_000],
    ])
  })
  it('an unknown alias is refused at the alias', () => {
    expect(problems(play('    - *nope\n'))).toEqual(['3:7: unknown alias *nope (an anchor &nope must come before it)'])
  })
  it('a self-referencing anchor in vars is refused, not a cycle in the data', () => {
    expect(problems(play('    - reboot\n', '  vars: &v { a: *v }\n'))).toEqual(['2:17: vars.a: the alias refers to a value that contains it'])
    expect(problems(play('    - reboot\n', '  vars: { a: &l [1, *l] }\n'))).toEqual(['2:21: vars.a[1]: the alias refers to a value that contains it'])
  })
  it('an alias bomb in vars is refused once its expansion passes the budget', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (const l of 'bcdef') {
      const prev = String.fromCharCode(l.charCodeAt(0) - 1)
      levels.push(`${l}: &${l} [${Array(10).fill(`*${prev}`).join(', ')}]`)
    }
    const e = refusal(play('    - reboot\n', `  vars:\n${levels.map((l) => `    ${l}\n`).join('')}`))
    expect(e.issues[0]?.message).toMatch(/^vars\.d(\[\d+\])+: more than 10000 values once aliases are expanded$/)
  })
  it('an alias in a step list where a mapping belongs is described, not expanded', () => {
    expect(problems(play('    - &l [reboot, reboot]\n    - *l\n'))).toEqual([
      '3:10: a step must be a mapping such as "- reboot: { reboot_timeout: 10m }", got a list',
      '4:7: a step must be a mapping such as "- reboot: { reboot_timeout: 10m }", got a list',
    ])
  })
})

describe('size and nesting limits', () => {
  it('a 1 MB playbook is refused quickly, at the first byte past the limit', () => {
    const text = play('    - pause: 1\n'.repeat(80_000))
    expect(text.length).toBeGreaterThan(1_000_000)
    const e = refusal(text)
    expect(e.message).toMatch(/^pb\.yml:\d+:\d+: the playbook is larger than 32 KiB, the limit for a playbook$/)
    expect(e.line).toBe(Math.floor((MAX_PLAYBOOK_BYTES - '- hosts: all\n  steps:\n'.length) / '    - pause: 1\n'.length) + 3)
  })
  it('deep flow nesting is refused at the 65th level', () => {
    expect(problems('['.repeat(1000) + ']'.repeat(1000))).toEqual(['1:65: YAML nested more than 64 levels deep'])
    expect(problems(`- hosts: all\n  steps: ${'{a: '.repeat(500)}${'}'.repeat(500)}\n`)).toEqual(['2:266: YAML nested more than 64 levels deep'])
  })
  it('deep block nesting on one line is refused', () => {
    expect(problems('- '.repeat(5000))).toEqual(['1:129: YAML nested more than 64 levels deep'])
  })
  it('a file made of thousands of YAML errors is refused within the time bound, the message listing the first 20', () => {
    const e = refusal(': : : :\n'.repeat(MAX_PLAYBOOK_BYTES / 8), 2)
    expect(e.total).toBeGreaterThan(1000)
    expect(e.issues.length).toBe(100)
    const lines = e.message.split('\n')
    expect(lines.length).toBe(22)
    expect(lines[21]).toBe(`  ... and ${e.total - 20} more`)
  })
})

describe('values as written and as the engine can use them', () => {
  it('argv items and host patterns keep their written form (0755 is not 755)', () => {
    const pb = parsePlaybookText('- hosts: 1.10\n  steps:\n    - command: [chmod, 0755, /x]\n    - command: [sleep, 1.50]\n', FILE)
    expect(pb.plays[0]?.hosts).toBe('1.10')
    expect(pb.plays[0]?.steps.map((s) => (s as { run?: unknown }).run)).toEqual([
      ['chmod', '0755', '/x'],
      ['sleep', '1.50'],
    ])
  })
  it('NUL characters are refused in commands', () => {
    expect(problems(play('    - command: "a\\0b"\n    - command: [a, "b\\0"]\n    - reboot: { command: "x\\0" }\n'))).toEqual([
      '3:16: command.run: expected a command line without NUL characters, got a string ("a\\u0000b")',
      '4:20: command.run: argv items cannot contain NUL characters',
      '5:26: reboot.command: expected text without NUL characters, got a string ("x\\u0000")',
    ])
  })
  it('pause takes seconds or minutes, not both; a prompt may come with either (shown for that time, as Ansible)', () => {
    expect(problems(play('    - pause: { seconds: 30, minutes: 1 }\n'))).toEqual(['3:29: pause: use either "seconds" or "minutes", not both'])
    const pb = parsePlaybookText(play('    - pause: { prompt: "Go?", seconds: 30 }\n'), FILE)
    expect(pb.plays[0]?.steps[0]).toMatchObject({ kind: 'pause', prompt: 'Go?', durationMs: 30_000 })
    expect(problems(play('    - pause: {}\n'))).toEqual(['3:7: pause: give at least one of seconds, minutes, prompt'])
  })
  it("a play's vars cannot set connection settings, which come from the inventory", () => {
    expect(problems(play('    - reboot\n', '  vars: { ansible_user: root, become: true, parallel: 2 }\n'))).toEqual([
      "2:11: vars.ansible_user: a connection setting; hosts are resolved from the inventory before a play's vars apply, so set it there",
      "2:31: vars.become: a connection setting; hosts are resolved from the inventory before a play's vars apply, so set it there",
    ])
    // the connect timeout too: a play's value would be silently ignored
    expect(problems(play('    - reboot\n', '  vars: { ansible_ssh_timeout: 30, connect_timeout: 1m }\n'))).toEqual([
      "2:11: vars.ansible_ssh_timeout: a connection setting; hosts are resolved from the inventory before a play's vars apply, so set it there",
      "2:36: vars.connect_timeout: a connection setting; hosts are resolved from the inventory before a play's vars apply, so set it there",
    ])
  })
})

describe('parsePlaybook: only regular files, read within the limit', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtfleet-pb-'))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('a FIFO is refused at once (no wait for a writer)', async () => {
    const fifo = path.join(dir, 'fifo.yml')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    await expect(parsePlaybook(fifo)).rejects.toThrow(`${fifo}: cannot read playbook: not a regular file`)
  })
  it('/dev/zero and a directory are refused', async () => {
    await expect(parsePlaybook('/dev/zero')).rejects.toBeInstanceOf(InputError)
    await expect(parsePlaybook(dir)).rejects.toThrow(/cannot read playbook/)
  })
  it('a large file is refused with its position, without reading it all', async () => {
    const big = path.join(dir, 'big.yml')
    fs.writeFileSync(big, '# comment line\n'.repeat(200_000))
    const line = '# comment line\n'
    const where = `${Math.floor(MAX_PLAYBOOK_BYTES / line.length) + 1}:${(MAX_PLAYBOOK_BYTES % line.length) + 1}`
    await expect(parsePlaybook(big)).rejects.toThrow(`${big}:${where}: the playbook is larger than 32 KiB, the limit for a playbook`)
  })
})
