// The lab itself works: two hosts with their own libvirt behind real sshd, ACPI-aware guests,
// and reboots that look like reboots to virtfleet (new boot id, guests off, definitions and state kept).
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, labDown, labReboot, labUp, waitFor } from './support/lab.js'

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id'
const names = (out: string) =>
  out
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort()

describe('lab smoke', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await labUp({ hosts: 2, guests: 2, delays: [0, 'x'], transient: false })
  })

  afterAll(async () => {
    await labDown()
  })

  it('writes an inventory that points at every host', () => {
    expect(lab.hosts.map((h) => h.name)).toEqual(['h1', 'h2'])
    const yml = readFileSync(lab.inventoryYml, 'utf8')
    expect(yml).toContain('virtfleet: 1')
    expect(yml).toContain(`UserKnownHostsFile=${lab.knownHosts}`)
    for (const h of lab.hosts) expect(yml).toContain(`port: ${h.port}`)
    expect(readFileSync(lab.inventoryIni, 'utf8')).toContain(`h1 ansible_host=127.0.0.1 ansible_port=${lab.hosts[0]?.port}`)
  })

  it('each host answers over ssh with strict host keys and lists only its own guests', async () => {
    const h1 = await lab.ssh('h1', 'virsh list --all --name')
    const h2 = await lab.ssh('h2', 'virsh list --all --name')
    expect(h1.code, h1.stderr).toBe(0)
    expect(h2.code, h2.stderr).toBe(0)
    expect(names(h1.stdout)).toEqual(['h1-g1', 'h1-g2', 'h1-off'])
    expect(names(h2.stdout)).toEqual(['h2-g1', 'h2-g2', 'h2-off'])
    const running = await lab.ssh('h1', 'virsh list --name --state-running')
    expect(names(running.stdout)).toEqual(['h1-g1', 'h1-g2'])
  })

  it('a guest with delay 0 answers virsh shutdown and reaches "shut off"', async () => {
    expect((await lab.ssh('h1', 'virsh shutdown h1-g1')).code).toBe(0)
    const r = await waitFor(lab, 'h1', 'virsh domstate h1-g1', (x) => x.stdout.trim() === 'shut off', 30_000)
    expect(r.stdout.trim()).toBe('shut off')
  })

  it('a guest with delay x ignores the ACPI request for 10 s', async () => {
    expect((await lab.ssh('h1', 'virsh shutdown h1-g2')).code).toBe(0)
    await new Promise((res) => setTimeout(res, 10_000))
    expect((await lab.ssh('h1', 'virsh domstate h1-g2')).stdout.trim()).toBe('running')
  })

  it('a reboot changes the boot id, leaves guests off with definitions kept, and keeps /var/lib/virtfleet', async () => {
    const before = (await lab.ssh('h2', BOOT_ID)).stdout.trim()
    const other = (await lab.ssh('h1', BOOT_ID)).stdout.trim()
    expect(before).toMatch(/^[0-9a-f-]{36}$/)
    expect(other).not.toBe(before)
    expect((await lab.ssh('h2', 'mkdir -p /var/lib/virtfleet && echo kept > /var/lib/virtfleet/probe')).code).toBe(0)

    await labReboot('h2', 1)

    const after = (await lab.ssh('h2', BOOT_ID)).stdout.trim()
    expect(after).toMatch(/^[0-9a-f-]{36}$/)
    expect(after).not.toBe(before)
    expect((await lab.ssh('h1', BOOT_ID)).stdout.trim()).toBe(other)
    expect(names((await lab.ssh('h2', 'virsh list --all --name')).stdout)).toEqual(['h2-g1', 'h2-g2', 'h2-off'])
    expect(names((await lab.ssh('h2', 'virsh list --name --state-running')).stdout)).toEqual([])
    expect((await lab.ssh('h2', 'cat /var/lib/virtfleet/probe')).stdout.trim()).toBe('kept')
    // the host's private /var/lib/virtfleet is not the machine's (nor the other host's)
    expect((await lab.ssh('h1', 'cat /var/lib/virtfleet/probe')).code).not.toBe(0)
  })

  it("the inventory's reboot_command, run on the host over ssh, reboots it once the command returned", async () => {
    const before = (await lab.ssh('h2', BOOT_ID)).stdout.trim()
    const r = await lab.ssh('h2', lab.rebootCommand('h2'))
    expect(r.code, r.stderr).toBe(0)
    const after = await waitFor(lab, 'h2', BOOT_ID, (x) => x.code === 0 && x.stdout.trim() !== before, 60_000)
    expect(after.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/)
    expect(after.stdout.trim()).not.toBe(before)
  })
})
