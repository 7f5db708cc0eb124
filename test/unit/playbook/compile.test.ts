import { describe, expect, it } from 'vitest'
import { compilePlay } from '../../../src/playbook/compile.js'
import { parsePlaybookText } from '../../../src/playbook/parse.js'
import { planRolling } from '../../../src/engine/rolling.js'
import { hostSpec } from '../../support/fake-fleet.js'

const compile = (text: string, i = 0) => compilePlay(parsePlaybookText(text, 'pb.yml').plays[i]!)

describe('compilePlay: a play compiles to these steps per host', () => {
  it('a play that changes guests runs inside preflight + lock ... unlock, each step with what the play says', () => {
    const c = compile(`- name: Roll
  hosts: compute
  serial: 2
  max_fail_percentage: 10
  steps:
    - stop: { action: suspend, fallback: [shutdown], timeout: 2m }
    - reboot: { post_reboot_delay: 30s, test_command: "systemctl is-system-running", connect_timeout: 5s, reboot_timeout: 15m }
    - wait_for_ssh: { timeout: 10m, delay: 5s, interval: 3s }
    - start: { start_delay: 5s }
    - assert: { guests: running, msg: "guests did not come back" }
`)
    expect(c.pattern).toBe('compute')
    expect(c.rolling.steps).toEqual([
      { kind: 'preflight', suspend: true },
      { kind: 'lock' },
      { kind: 'stop', options: { action: 'suspend', fallback: ['shutdown'], timeoutMs: 120_000, hostTimeoutMs: undefined, parallel: undefined } },
      { kind: 'reboot', rebootTimeoutMs: 900_000, connectTimeoutMs: 5000, postRebootDelayMs: 30_000, testCommand: 'systemctl is-system-running' },
      { kind: 'wait_for_ssh', timeoutMs: 600_000, delayMs: 5000, intervalMs: 3000 },
      { kind: 'start', options: { startDelayMs: 5000, syncTime: undefined, parallel: undefined, timeoutMs: undefined } },
      { kind: 'assert', guests: 'running', msg: 'guests did not come back' },
      { kind: 'unlock' },
    ])
    expect(c.rolling.serial).toEqual([{ kind: 'count', count: 2 }])
    expect(c.rolling.maxFailPercentage).toBe(10)
  })

  it('a play that only runs commands takes no lock; ignore_errors marks the step by its index', () => {
    const c = compile(`- name: Look
  hosts: all
  steps:
    - command: uptime
    - name: list
      command: [virsh, list, --all]
      ignore_errors: true
`)
    expect(c.rolling.steps).toEqual([
      { kind: 'command', run: 'uptime', become: undefined, timeoutMs: undefined },
      { kind: 'command', run: ['virsh', 'list', '--all'], become: undefined, timeoutMs: undefined },
    ])
    expect([...(c.rolling.ignoreErrors ?? [])]).toEqual([1])
  })

  it('pause with a prompt alone asks the operator; with a duration it shows the prompt for that long', () => {
    const c = compile(`- name: Wait
  hosts: all
  steps:
    - pause: { prompt: "Do the work, then confirm" }
    - pause: { seconds: 30, prompt: "Cooling down" }
    - pause: 10
    - confirm: "Go on?"
`)
    expect(c.rolling.steps).toEqual([
      { kind: 'confirm', prompt: 'Do the work, then confirm' },
      { kind: 'pause', ms: 30_000, prompt: 'Cooling down' },
      { kind: 'pause', ms: 10_000 },
      { kind: 'confirm', prompt: 'Go on?' },
    ])
  })

  it('the play’s order reaches the plan', () => {
    const c = compile(`- name: Sorted
  hosts: all
  order: reverse_sorted
  steps: [{ command: uptime }]
`)
    expect(c.rolling.order).toBe('reverse_sorted')
    const plan = planRolling(
      ['a', 'c', 'b'].map((n) => hostSpec(n)),
      c.rolling,
    )
    expect(plan.batches.flat()).toEqual(['c', 'b', 'a'])
  })

  it('play vars override the host’s inventory values, port included', () => {
    const c = compile(`- name: Vars
  hosts: all
  vars: { port: 2222, timeout: 90s, parallel: 3, reboot_command: "shutdown -r now", custom: x }
  steps: [{ command: uptime }]
`)
    const h = c.applyVars(hostSpec('hv1', { port: 22 }))
    expect(h).toMatchObject({ port: 2222, timeoutMs: 90_000, parallel: 3, rebootCommand: 'shutdown -r now' })
    expect(h.vars).toMatchObject({ custom: 'x', port: 2222 })
  })

  it('the shipped ci-drain playbook asserts the guests are off after its stop', async () => {
    const { parsePlaybook } = await import('../../../src/playbook/parse.js')
    const pb = await parsePlaybook('playbooks/ci-drain.yml')
    const c = compilePlay(pb.plays[0]!)
    expect(c.rolling.steps.map((s) => s.kind)).toEqual(['preflight', 'lock', 'stop', 'assert', 'command', 'unlock'])
    expect(c.rolling.steps[3]).toEqual({ kind: 'assert', guests: 'off' })
    expect(c.rolling.order).toBe('sorted')
  })
})

describe('start step readiness keys', () => {
  it('ready and ready_timeout compile to the typed probe and budget; assert ready is accepted', () => {
    const c = compile(`- hosts: all
  steps:
    - start: { ready: "tcp:22@lease", ready_timeout: 90s }
    - assert: ready
`)
    expect(c.rolling.steps).toContainEqual({
      kind: 'start',
      options: {
        startDelayMs: undefined,
        syncTime: undefined,
        parallel: undefined,
        timeoutMs: undefined,
        ready: { kind: 'tcp', port: 22, source: 'lease' },
        readyTimeoutMs: 90_000,
      },
    })
    expect(c.rolling.steps).toContainEqual({ kind: 'assert', guests: 'ready' })
  })

  it('a bad probe is refused at its line and column, naming the key', () => {
    let caught: unknown
    try {
      compile(`- hosts: all
  steps:
    - start: { ready: "tcp:0" }
`)
    } catch (err) {
      caught = err
    }
    const e = caught as { issues: Array<{ line: number; column: number; message: string }> }
    expect(e.issues.map((i) => `${i.line}:${i.message}`)).toEqual([expect.stringMatching(/^3:.*ready: "tcp:" takes a port 1-65535/)])
    expect(e.issues[0]?.column).toBeGreaterThan(0)
  })
})
