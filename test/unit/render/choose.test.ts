import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { attachRenderer, chooseRenderer, isCI } from '../../../src/render/choose.js'
import { EventBus, events, play } from './scenario.js'

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = ''
  const w = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk)
      cb()
    },
  })
  return { stream: w as unknown as NodeJS.WriteStream, text: () => out }
}

describe('chooseRenderer', () => {
  it('is silent under --json, whatever the terminal', () => {
    expect(chooseRenderer({ json: true, isTTY: true, ci: false })).toBe('silent')
    expect(chooseRenderer({ json: true, isTTY: false, ci: true })).toBe('silent')
  })
  it('draws the tree only on an interactive terminal outside CI', () => {
    expect(chooseRenderer({ json: false, isTTY: true, ci: false })).toBe('tree')
    expect(chooseRenderer({ json: false, isTTY: true, ci: true })).toBe('plain')
    expect(chooseRenderer({ json: false, isTTY: false, ci: false })).toBe('plain')
  })
  it('recognises CI environments', () => {
    expect(isCI({ CI: 'true' })).toBe(true)
    expect(isCI({ CI: 'false' })).toBe(false)
    expect(isCI({ GITHUB_ACTIONS: 'true' })).toBe(true)
    expect(isCI({})).toBe(false)
  })
})

describe('attachRenderer', () => {
  it('plain writes lines to the stream and resolves at run-done', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = await attachRenderer('plain', bus, s.stream)
    for (const e of events) bus.emit(e)
    await r.done
    const lines = s.text().trimEnd().split('\n')
    expect(lines).toHaveLength(events.length + 3)
    expect(lines.at(-1)).toMatch(/exit 3: /)
  })

  it('silent writes nothing and resolves at run-done', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = await attachRenderer('silent', bus, s.stream)
    for (const e of events) bus.emit(e)
    await r.done
    expect(s.text()).toBe('')
  })

  it('tree on a non-TTY stream falls back to listr2 line output and resolves', async () => {
    const bus = new EventBus()
    const s = sink()
    const r = await attachRenderer('tree', bus, s.stream)
    await play(bus)
    await r.done
    expect(s.text()).toContain('h1 › db01 destroyed in 30.4s (fallback after timeout)')
  })
})
