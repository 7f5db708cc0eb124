import { describe, expect, it } from 'vitest'

import { InputError } from '../../../src/core/errors.js'
import { PlaybookError, parsePlaybook, parsePlaybookText } from '../../../src/playbook/parse.js'
import { checkPatternSyntax } from '../../../src/playbook/pattern-syntax.js'

const FILE = 'pb.yml'

/** Parse and return the issues as "line:col: message" strings. */
function problems(text: string): string[] {
  try {
    parsePlaybookText(text, FILE)
  } catch (err) {
    expect(err).toBeInstanceOf(PlaybookError)
    return (err as PlaybookError).issues.map((i) => `${i.line}:${i.column}: ${i.message}`)
  }
  throw new Error('expected the playbook to be rejected')
}

const play = (steps: string, extra = '') => `- name: t\n  hosts: all\n${extra}  steps:\n${steps}`

describe('parsePlaybookText: valid playbooks', () => {
  it('produces typed plays and steps, durations in ms, aliases resolved', () => {
    const pb = parsePlaybookText(
      `- name: Rolling
  hosts: [compute, "!canary"]
  serial: [1, 25%]
  max_fail_percentage: 0
  order: sorted
  vars: { timeout: 90s, parallel: 4, custom: x }
  steps:
    - stop: { action: suspend, fallback: [shutdown, destroy], timeout: 2m }
    - reboot: { reboot_timeout: 10m }
    - wait_for_ssh
    - pause: 30
    - pause: { minutes: 1.5 }
    - command: uptime
    - name: list guests
      command: [virsh, list, --all]
      ignore_errors: true
    - confirm: "Patch done?"
    - assert: { guests: running }
`,
      FILE,
    )
    const p = pb.plays[0]
    expect(p).toMatchObject({
      name: 'Rolling',
      hosts: 'compute,!canary',
      serial: [
        { kind: 'count', count: 1 },
        { kind: 'percent', percent: 25 },
      ],
      maxFailPercentage: 0,
      order: 'sorted',
      vars: { timeout: '90s', parallel: 4, custom: 'x' },
      pos: { file: FILE, line: 1, column: 3 },
    })
    expect(p?.steps).toEqual([
      {
        kind: 'shutdown',
        name: 'shutdown',
        ignoreErrors: false,
        pos: { file: FILE, line: 8, column: 7 },
        action: 'suspend',
        fallback: ['shutdown', 'destroy'],
        timeoutMs: 120_000,
      },
      { kind: 'reboot', name: 'reboot', ignoreErrors: false, pos: { file: FILE, line: 9, column: 7 }, rebootTimeoutMs: 600_000 },
      { kind: 'wait_for_ssh', name: 'wait_for_ssh', ignoreErrors: false, pos: { file: FILE, line: 10, column: 7 } },
      { kind: 'pause', name: 'pause', ignoreErrors: false, pos: { file: FILE, line: 11, column: 7 }, durationMs: 30_000 },
      { kind: 'pause', name: 'pause', ignoreErrors: false, pos: { file: FILE, line: 12, column: 7 }, durationMs: 90_000 },
      { kind: 'command', name: 'command', ignoreErrors: false, pos: { file: FILE, line: 13, column: 7 }, run: 'uptime' },
      { kind: 'command', name: 'list guests', ignoreErrors: true, pos: { file: FILE, line: 15, column: 7 }, run: ['virsh', 'list', '--all'] },
      { kind: 'confirm', name: 'confirm', ignoreErrors: false, pos: { file: FILE, line: 17, column: 7 }, prompt: 'Patch done?' },
      { kind: 'assert', name: 'assert', ignoreErrors: false, pos: { file: FILE, line: 18, column: 7 }, guests: 'running' },
    ])
  })
})

describe('parsePlaybookText: errors carry file:line:column', () => {
  it('unknown step kind, at the key, with the closest valid one', () => {
    expect(problems(play('    - shutdwn: { timeout: 2m }\n'))).toEqual([
      '4:7: unknown step "shutdwn" (did you mean "shutdown"?); steps are shutdown, suspend, start, reboot, wait_for_ssh, command, pause, confirm, assert, evacuate, return',
    ])
  })

  it('Ansible module names get the virtfleet equivalent', () => {
    expect(problems(play('    - shell: uptime\n'))[0]).toMatch(/^4:7: unknown step "shell" \(did you mean "command"\?\)/)
  })

  it('wrong type: serial: yes (a string in YAML 1.2) at the value', () => {
    expect(problems(play('    - reboot\n', '  serial: yes\n'))).toEqual(['3:11: serial: expected a whole number of hosts or a percentage like 25%; got "yes"'])
  })

  it('wrong type: a boolean where a number is expected', () => {
    expect(problems(play('    - reboot\n', '  max_fail_percentage: true\n'))).toEqual([
      '3:24: max_fail_percentage: expected a number >= 0 and <= 100, got a boolean (true)',
    ])
  })

  it('bad duration, at the value', () => {
    expect(problems(play('    - reboot: { reboot_timeout: 10 minutes }\n'))).toEqual([
      '4:33: reboot.reboot_timeout: expected seconds or a duration like 90s, 5m, 1h30m; got "10 minutes"',
    ])
  })

  it('bad pattern: unbalanced bracket, pointing at the bracket inside the value', () => {
    expect(problems('- hosts: compute:web[0\n  steps: [reboot]\n')).toEqual(['1:21: hosts: bad pattern "compute:web[0": unbalanced "[" / "]" in "web[0"'])
  })

  it('bad pattern: invalid ~regex, pointing at the term in a quoted value', () => {
    expect(problems('- hosts: "all,~hv(0"\n  steps: [reboot]\n')).toEqual([
      '1:15: hosts: bad pattern "all,~hv(0": invalid regular expression "hv(0": /hv(0/: Unterminated group',
    ])
  })

  it('missing hosts, at the play', () => {
    expect(problems('- name: x\n  steps: [reboot]\n')).toEqual(['1:3: play 1 ("x"): "hosts" is required (e.g. hosts: all)'])
  })

  it('unknown keys in a play and in step options, with suggestions', () => {
    expect(problems(play('    - reboot: { reboot_timout: 5m }\n', '  seriall: 2\n  tasks: []\n'))).toEqual([
      '3:3: unknown key "seriall" in play (did you mean "serial"?)',
      '4:3: unknown key "tasks" in play (virtfleet calls them "steps")',
      '6:17: unknown key "reboot_timout" in reboot options (did you mean "reboot_timeout"?)',
    ])
  })

  it('an option written beside the kind instead of under it', () => {
    expect(problems(play('    - reboot:\n      reboot_timeout: 5m\n'))).toEqual([
      '5:7: unknown key "reboot_timeout" in step ("reboot_timeout" is an option of reboot: indent it under "reboot:")',
    ])
  })

  it('two kinds in one step', () => {
    expect(problems(play('    - reboot:\n      wait_for_ssh:\n'))).toEqual([
      '5:7: a step has exactly one kind; found "reboot" and "wait_for_ssh" (start a new "- " item)',
    ])
  })

  it('bad enum value and required option', () => {
    expect(problems(play('    - shutdown: { action: suspnd }\n    - command: {}\n'))).toEqual([
      '4:27: shutdown.action: expected one of shutdown, suspend, destroy (did you mean "suspend"?), got a string ("suspnd")',
      '5:7: command: "run" is required',
    ])
  })

  it('mutually exclusive options', () => {
    expect(problems(play('    - pause: { seconds: 5, minutes: 1 }\n'))).toEqual(['4:28: pause: use either "seconds" or "minutes", not both'])
  })

  it('collects every error, in file order, and the InputError points at the first', () => {
    const text = `- hosts: "web["
  serial: yes
  steps:
    - reboot: { reboot_timeout: soon }
    - restart
`
    let err: unknown
    try {
      parsePlaybookText(text, FILE)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputError)
    const e = err as PlaybookError
    expect(e.issues.map((i) => [i.line, i.column])).toEqual([
      [1, 14],
      [2, 11],
      [4, 33],
      [5, 7],
    ])
    expect([e.file, e.line, e.column]).toEqual([FILE, 1, 14])
    const lines = e.message.split('\n')
    expect(lines[0]).toBe('pb.yml:1:14: 4 problems in the playbook:')
    expect(lines.slice(1).map((l) => l.trim().split(': ')[0])).toEqual(['pb.yml:1:14', 'pb.yml:2:11', 'pb.yml:4:33', 'pb.yml:5:7'])
  })

  it('YAML syntax errors and duplicate keys are reported with positions', () => {
    expect(problems('- hosts: a\n  hosts: b\n  steps: [reboot]\n')).toEqual(['2:3: duplicate key (Map keys must be unique)'])
  })

  it('a top-level mapping is explained as a missing list', () => {
    expect(problems('hosts: all\nsteps: [reboot]\n')).toEqual(['1:1: a playbook is a list of plays: start the play with "- " (e.g. "- hosts: all")'])
  })

  it('parsePlaybook reports an unreadable file as an InputError naming it', async () => {
    await expect(parsePlaybook('/nonexistent/pb.yml')).rejects.toThrow(/^\/nonexistent\/pb.yml: cannot read playbook/)
  })
})

describe('checkPatternSyntax', () => {
  it.each(['all', '*', 'compute:!canary', 'web:&prod', 'g[0]', 'g[0:2]', 'g[-1]', 'hv[1:]', '~^hv0[1-4]$', 'a,b,!c', '@failed', 'hv01.example.com'])(
    'accepts %s',
    (p) => expect(checkPatternSyntax(p)).toEqual([]),
  )
  it.each([
    ['', 0],
    ['a::b', 2],
    ['a:', 2],
    ['web[0', 3],
    ['web]0[', 3],
    ['web[x]', 3],
    ['a:!', 2],
    ['a,~(', 2],
  ])('rejects %j at index %i', (p, index) => {
    expect(checkPatternSyntax(p)[0]?.index).toBe(index)
  })
})
