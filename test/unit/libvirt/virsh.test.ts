import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { destroyArgv, listArgv, LIST_SCRIPT, parseDomstate, parseEventLine, parseGuestList, shutdownArgv, startArgv } from '../../../src/libvirt/virsh.js'
import { quoteCommand } from '../../../src/ssh/quote.js'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/virsh/${name}`, import.meta.url), 'utf8')

describe('virsh output parsers (virsh 9.0.0, captured)', () => {
  it('parses the list batch: names with spaces, quotes, unicode, transient, paused, managed save', () => {
    const { guests, needState } = parseGuestList('test:///default', fixture('list-batch-mixed.txt'))
    expect(needState).toEqual([])
    const g = Object.fromEntries(guests.map((x) => [x.name, x]))
    expect(Object.keys(g)).toEqual(['test', 'web 01 $(reboot)', 'tränsient-ü', "db'quote", 'saved'])
    expect(g.test?.state).toBe('paused')
    expect(g['web 01 $(reboot)']).toMatchObject({ uuid: '11111111-2222-3333-4444-555555555555', state: 'running', persistent: true })
    expect(g['tränsient-ü']).toMatchObject({ state: 'running', persistent: false })
    expect(g["db'quote"]).toMatchObject({ state: 'shut off', managedSave: false })
    expect(g.saved).toMatchObject({ state: 'shut off', managedSave: true, autostart: true })
  })
  it('rejects truncated output instead of guessing', () => {
    const text = fixture('list-batch-mixed.txt').split('@@managed-save')[0] as string
    expect(() => parseGuestList('u', text)).toThrow(/truncated|lacks/)
  })
  it('parses domstate with and without a reason', () => {
    expect(parseDomstate('running\n\n')).toBe('running')
    expect(parseDomstate('shut off (shutdown)\n')).toBe('shut off')
    expect(parseDomstate('in shutdown\n')).toBe('in shutdown')
    expect(parseDomstate('weird\n')).toBe('unknown')
  })
  it('parses lifecycle event lines, including names with quotes', () => {
    expect(parseEventLine("2026-11-23 23:18:35.690+0000: event 'lifecycle' for domain 'h1-g1': Stopped Shutdown")).toEqual({
      name: 'h1-g1',
      event: 'Stopped',
      detail: 'Shutdown',
    })
    expect(parseEventLine("2026-11-23 23:18:35.690+0000: event 'lifecycle' for domain 'it's': Started Booted")?.name).toBe("it's")
    expect(parseEventLine("event 'reboot' for domain 'x'")).toBeNull()
  })
})

describe('virsh command builders', () => {
  it('address guests by UUID only and quote the URI', () => {
    expect(quoteCommand(shutdownArgv('qemu+ssh://a b/system', '11111111-2222-3333-4444-555555555555', { mode: 'agent' }))).toBe(
      "virsh -c 'qemu+ssh://a b/system' shutdown 11111111-2222-3333-4444-555555555555 --mode agent",
    )
    // an explicit acpi mode reaches virsh (libvirt would otherwise prefer a connected guest agent)
    expect(shutdownArgv('qemu:///system', '11111111-2222-3333-4444-555555555555', { mode: 'acpi' }).slice(-2)).toEqual(['--mode', 'acpi'])
    expect(shutdownArgv('qemu:///system', '11111111-2222-3333-4444-555555555555')).not.toContain('--mode')
    expect(startArgv('qemu:///system', '11111111-2222-3333-4444-555555555555', { bypassCache: true })).toContain('--bypass-cache')
    expect(() => destroyArgv('qemu:///system', '$(reboot)')).toThrow(/not a UUID/)
  })
  it('lists with one virsh process', () => {
    expect(listArgv('qemu:///system')).toEqual(['virsh', '-c', 'qemu:///system', LIST_SCRIPT])
  })
})
