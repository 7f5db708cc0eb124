import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { InventoryBuilder, parseInventoryText, type Inventory } from '../../../src/inventory/index.js'

/** Parse inventory texts (in order, as successive sources) without touching the disk. */
export function parse(...sources: Array<string | [file: string, text: string]>): Inventory {
  const b = new InventoryBuilder()
  sources.forEach((s, i) => {
    const [file, text] = typeof s === 'string' ? [`inv${i}`, s] : s
    parseInventoryText(file, text, b)
  })
  return b.finalize()
}

/** A temp folder holding the given files (paths relative to it); returns its path. */
export function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'virtfleet-inv-'))
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel)
    mkdirSync(path.dirname(full), { recursive: true })
    writeFileSync(full, text)
  }
  return root
}

/** The InputError message thrown by fn (fails the test if nothing or something else is thrown). */
export function inputError(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if ((err as Error).name !== 'InputError') throw err
    return (err as Error).message
  }
  throw new Error('expected an InputError')
}

export async function inputErrorAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn()
  } catch (err) {
    if ((err as Error).name !== 'InputError') throw err
    return (err as Error).message
  }
  throw new Error('expected an InputError')
}
