// Playbook parsing and validation, all before anything runs. Every problem is collected with the file:line:column
// of the offending key or value, and reported together in one PlaybookError (an InputError, exit code 4).
// This file reads the file (regular files, bounded size) and walks the top-level list; the sections are parsed in
// parse-play.ts and parse-step.ts, values in convert.ts and vars.ts, the YAML limits live in yaml-source.ts.

import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { isMap, isSeq, type Node } from 'yaml'

import { InputError, errorMessage } from '../core/errors.js'
import { parsePlay } from './parse-play.js'
import type { Play, Playbook } from './types.js'
import { MAX_PLAYBOOK_BYTES, Source } from './yaml-source.js'

export { PlaybookError, type PlaybookIssue } from './issues.js'

export async function parsePlaybook(file: string): Promise<Playbook> {
  return parsePlaybookText(await readPlaybookFile(file), file)
}

/** The file's text; a FIFO, a device or a directory is refused, and at most one byte past the size limit is read. */
async function readPlaybookFile(file: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a regular file).
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
    const stat = await handle.stat()
    if (!stat.isFile()) throw new InputError('cannot read playbook: not a regular file', { file })
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_PLAYBOOK_BYTES) + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.subarray(0, length).toString('utf8')
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(`cannot read playbook: ${errorMessage(err)}`, { file })
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/** Parse and validate playbook text; `file` is used in positions. Throws PlaybookError listing every problem. */
export function parsePlaybookText(text: string, file: string): Playbook {
  const src = new Source(text, file).load()
  const plays = parsePlays(src, src.root)
  src.issues.throwIfAny()
  return { file, plays }
}

function parsePlays(src: Source, root: Node | null): Play[] {
  if (!isSeq(root)) {
    src.issue(
      src.at(root),
      isMap(root)
        ? 'a playbook is a list of plays: start the play with "- " (e.g. "- hosts: all")'
        : `a playbook is a list of plays, got ${src.describe(root)}`,
    )
    return []
  }
  if (root.items.length === 0) src.issue(src.at(root), 'the playbook has no plays')
  const plays: Play[] = []
  root.items.forEach((item, i) => {
    const play = parsePlay(src, item as Node | null, i, src.at(root))
    if (play) plays.push(play)
  })
  return plays
}
