// The lab itself works: two hosts with their own libvirt behind real sshd, ACPI-aware guests,
// and reboots that look like reboots to virtfleet (new boot id, guests off, definitions and state kept).
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Lab } from './support/fleet.js'

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id'
const names = (out: string) =>
  out
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort()
const lab = new Lab({ name: 'smoke', hosts: 2, guests: 2, delays: '0,x', basePort: 2301 })

describe('lab smoke', () => {
  beforeAll(() => lab.up(true))
  afterAll(() => lab.down())

  it('writes an inventory that points at every host', () => {
    const yml = readFileSync(lab.inventory, 'utf8')
    expect(yml).toContain('virtfleet: 1')
    expect(yml).toContain(`UserKnownHostsFile=${lab.knownHosts}`)
    for (const h of ['h1', 'h2']) expect(yml).toContain(`port: ${lab.port(h)}`)
    expect(readFileSync(lab.inventoryIni, 'utf8')).toContain(`h1 ansible_host=127.0.0.1 ansible_port=${lab.port('h1')}`)
  })

  it('each host answers over ssh with strict host keys and lists only its own guests', () => {
    const h1 = lab.sshResult('h1', 'virsh list --all --name')
    const h2 = lab.sshResult('h2', 'virsh list --all --name')
    expect(h1.code, h1.stderr).toBe(0)
    expect(h2.code, h2.stderr).toBe(0)
    expect(names(h1.stdout)).toEqual(['h1-g1', 'h1-g2', 'h1-off'])
    expect(names(h2.stdout)).toEqual(['h2-g1', 'h2-g2', 'h2-off'])
    expect(names(lab.ssh('h1', 'virsh list --name --state-running'))).toEqual(['h1-g1', 'h1-g2'])
  })

  it('a guest with delay 0 answers virsh shutdown and reaches "shut off"', async () => {
    expect(lab.sshResult('h1', 'virsh shutdown h1-g1').code).toBe(0)
    const r = await lab.waitFor('h1', 'virsh domstate h1-g1', (x) => x.stdout.trim() === 'shut off', 30_000)
    expect(r.stdout.trim()).toBe('shut off')
  })

  it('a guest with delay x ignores the ACPI request for 10 s', async () => {
    expect(lab.sshResult('h1', 'virsh shutdown h1-g2').code).toBe(0)
    await new Promise((res) => setTimeout(res, 10_000))
    expect(lab.ssh('h1', 'virsh domstate h1-g2').trim()).toBe('running')
  })

  it('a reboot changes the boot id, leaves guests off with definitions kept, and keeps /var/lib/virtfleet', () => {
    const before = lab.ssh('h2', BOOT_ID).trim()
    const other = lab.ssh('h1', BOOT_ID).trim()
    expect(before).toMatch(/^[0-9a-f-]{36}$/)
    expect(other).not.toBe(before)
    lab.ssh('h2', 'mkdir -p /var/lib/virtfleet && echo kept > /var/lib/virtfleet/probe')

    lab.reboot('h2', 1)

    const after = lab.ssh('h2', BOOT_ID).trim()
    expect(after).toMatch(/^[0-9a-f-]{36}$/)
    expect(after).not.toBe(before)
    expect(lab.ssh('h1', BOOT_ID).trim()).toBe(other)
    expect(names(lab.ssh('h2', 'virsh list --all --name'))).toEqual(['h2-g1', 'h2-g2', 'h2-off'])
    expect(names(lab.ssh('h2', 'virsh list --name --state-running'))).toEqual([])
    expect(lab.ssh('h2', 'cat /var/lib/virtfleet/probe').trim()).toBe('kept')
    // the host's private /var/lib/virtfleet is not the machine's (nor the other host's)
    expect(lab.sshResult('h1', 'cat /var/lib/virtfleet/probe').code).not.toBe(0)
  })

  it("the inventory's reboot_command, run on the host over ssh, reboots it once the command returned", async () => {
    const before = lab.ssh('h2', BOOT_ID).trim()
    const r = lab.sshResult('h2', lab.rebootCommand('h2'))
    expect(r.code, r.stderr).toBe(0)
    const after = await lab.waitFor('h2', BOOT_ID, (x) => x.code === 0 && x.stdout.trim() !== before, 60_000)
    expect(after.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/)
    expect(after.stdout.trim()).not.toBe(before)
  })
})
