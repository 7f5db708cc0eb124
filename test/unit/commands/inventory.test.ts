import { afterEach, describe, expect, it, vi } from 'vitest'
import Inventory from '../../../src/commands/inventory.js'
import { inventoryJson, renderGraph } from '../../../src/inventory/present.js'
import { loadSelectedHosts } from '../../../src/inventory/index.js'

async function run(argv: string[]): Promise<{ out: string; err: string; result: unknown; error?: Error & { oclif?: { exit?: number } } }> {
  let out = ''
  let err = ''
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true))
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true))
  const cl = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'))
  try {
    const result = await Inventory.run(argv, import.meta.url)
    return { out, err, result }
  } catch (error) {
    return { out, err, result: undefined, error: error as Error }
  } finally {
    so.mockRestore()
    se.mockRestore()
    cl.mockRestore()
  }
}

afterEach(() => vi.restoreAllMocks())

describe('virtfleet inventory', () => {
  it('--graph prints the group tree like ansible-inventory', async () => {
    const { out } = await run(['-i', 'inventories/example.ini', '--graph'])
    expect(out.trim()).toBe(['@all:', '  |--@rack1:', '  |  |--@gpu:', '  |  |  |--hv03', '  |  |--hv01', '  |  |--hv02', '  |--@ungrouped:'].join('\n'))
  })
  it('lists hosts with their resolved connection by default, filtered by --limit', async () => {
    const { out } = await run(['-i', 'inventories/example.yml', '--limit', 'gpu'])
    expect(out).toMatch(/^hv03 {2}ops@10\.0\.1\.13:22 via ops@bastion\.example\.net:22\n/)
    expect(out).not.toMatch(/hv01/)
  })
  it('--json returns hosts and groups', async () => {
    const { result } = await run(['-i', 'inventories/example-ansible.yml', '--json', '-l', 'rack1:!gpu'])
    const json = result as ReturnType<typeof inventoryJson>
    expect(Object.keys(json.hosts)).toEqual(['hv01', 'hv02'])
    expect(json.groups.rack1).toEqual({ hosts: ['hv01', 'hv02'], children: ['gpu'], vars: { parallel: 4, fallback: ['suspend', 'destroy'] } })
  })
  it('an inventory error exits 4 with the message, no stack', async () => {
    const { error } = await run(['-i', 'test/fixtures/inventory/bad-hosts-list.yml'])
    expect(error?.message).toBe('test/fixtures/inventory/bad-hosts-list.yml:3:5: "hosts" of group "all" (host name → vars) must be a mapping, got a list')
    expect(error?.oclif?.exit).toBe(4)
  })
})

describe('renderGraph with a selection', () => {
  it('keeps only groups holding selected hosts', async () => {
    const { inventory, hosts } = await loadSelectedHosts({ inventory: ['inventories/example.yml'], limit: 'hv01' })
    expect(renderGraph(inventory, new Set(hosts.map((h) => h.name)))).toBe(['@all:', '  |--@rack1:', '  |  |--hv01'].join('\n'))
  })
})
