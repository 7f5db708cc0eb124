// Many writers updating one host's saved-guest list at the same moment, each over its own SSH connection to a real
// sshd (as separate CI jobs would): every entry added must be in the list afterwards, every round. Without the lock
// held on the host around the read-merge-write, one writer's entry is overwritten by another's older list.

import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSshTransport, type SshTransport } from '../../src/ssh/ssh-transport.js'
import { mergeEntries, removeEntries, SavedListStore, savedListPath, type SavedEntry } from '../../src/state/saved-list.js'
import { labUpTestHost, TEST_URI, type TestHost } from './support/test-host.js'

const WRITERS = 8
const ROUNDS = 2
// Generous: each update is a round trip per attempt, and a loaded CI machine can take seconds per SSH command.
const TIMEOUT_MS = 20 * 60_000
const STATE_DIR = '/var/lib/virtfleet-it-concurrency'

let host: TestHost
const transports: SshTransport[] = []

beforeAll(() => {
  host = labUpTestHost()
}, TIMEOUT_MS)
afterAll(async () => {
  await Promise.all(transports.map((t) => t.closeAll()))
  host?.down()
}, TIMEOUT_MS)

/** One store per writer, each on its own transport: separate SSH connections, as separate runs have. */
async function stores(n: number): Promise<SavedListStore[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const t = createSshTransport({ agent: false, retryBaseDelayMs: 100, onWarning: () => {} })
      transports.push(t)
      return new SavedListStore(await t.connect(host.spec()), STATE_DIR, false)
    }),
  )
}

const entry = (round: number, i: number): SavedEntry => ({
  uri: TEST_URI,
  uuid: randomUUID(),
  name: `r${round}-g${i}`,
  action: 'shutdown',
  savedAt: new Date().toISOString(),
  runId: `run-${round}-${i}`,
})

function listOnHost(): SavedEntry[] {
  const text = host.ssh(`cat ${savedListPath(STATE_DIR)} 2>/dev/null || true`)
  return text.trim() === '' ? [] : (JSON.parse(text) as { entries: SavedEntry[] }).entries
}

describe('saved list under concurrent writers on one host (real sshd)', () => {
  it(
    `${WRITERS} concurrent stops each add their entry: none is lost, in each of ${ROUNDS} rounds`,
    async () => {
      host.ssh(`rm -rf ${STATE_DIR}`)
      const lost: string[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const writers = await stores(WRITERS)
        const added = writers.map((_, i) => entry(round, i))
        // Each store reads first (as a stop does before planning), so all of them start from the same list.
        await Promise.all(writers.map((s) => s.read()))
        await Promise.all(writers.map((s, i) => s.update((l) => mergeEntries(l, [added[i] as SavedEntry]))))
        const names = new Set(listOnHost().map((e) => e.name))
        lost.push(...added.filter((e) => !names.has(e.name)).map((e) => e.name))
      }
      expect(lost).toEqual([])
      expect(listOnHost()).toHaveLength(WRITERS * ROUNDS)
    },
    TIMEOUT_MS,
  )

  it(
    'concurrent removals (starts) and additions (stops) on one host keep exactly the expected entries',
    async () => {
      const before = listOnHost()
      const writers = await stores(WRITERS)
      await Promise.all(writers.map((s) => s.read()))
      const removed = before.slice(0, WRITERS / 2)
      const added = Array.from({ length: WRITERS / 2 }, (_, i) => entry(99, i))
      await Promise.all(
        writers.map((s, i) =>
          i % 2 === 0
            ? s.update((l) => removeEntries(l, [removed[i / 2] as SavedEntry]))
            : s.update((l) => mergeEntries(l, [added[(i - 1) / 2] as SavedEntry])),
        ),
      )
      const expected = [...before.filter((e) => !removed.includes(e)), ...added].map((e) => e.uuid).sort()
      expect(
        listOnHost()
          .map((e) => e.uuid)
          .sort(),
      ).toEqual(expected)
    },
    TIMEOUT_MS,
  )
})

// A stop's first wave of requests rides on the exec that writes the list (WRITE_THEN_SCRIPT): the host's shell runs
// it only once the list is written, and never when the write is refused. The command here stands in for the wave.
describe('the saved list, then a command, in one exec (real sshd and shell)', () => {
  const path = savedListPath(STATE_DIR)
  const marker = `${STATE_DIR}-ran`

  it(
    'the command runs once the list is in place, and sees it whole',
    async () => {
      host.ssh(`rm -rf ${STATE_DIR} ${marker}`)
      const [s] = await stores(1)
      const e = entry(7, 0)
      const res = await s!.updateThen((l) => mergeEntries(l, [e]), ['sh', '-c', 'cat -- "$1"; echo "exit code next"; exit 3', 'sh', path])
      expect(res.list.entries.map((x) => x.uuid)).toEqual([e.uuid])
      expect(res.then?.code).toBe(3)
      const [printed, tail] = (res.then?.stdout ?? '').split('exit code next')
      expect(JSON.parse(printed ?? '').entries.map((x: SavedEntry) => x.uuid)).toEqual([e.uuid])
      expect(tail?.trim()).toBe('')
      expect(listOnHost().map((x) => x.uuid)).toEqual([e.uuid])
    },
    TIMEOUT_MS,
  )

  it(
    'a write refused because another run changed the list never runs the command; the change lands on the new list',
    async () => {
      host.ssh(`rm -rf ${STATE_DIR} ${marker}`)
      const [a, b] = await stores(2)
      await Promise.all([a!.read(), b!.read()])
      const first = entry(8, 0)
      const second = entry(8, 1)
      await a!.update((l) => mergeEntries(l, [first]))
      const res = await b!.updateThen((l) => mergeEntries(l, [second]), ['sh', '-c', 'echo ran > "$1"', 'sh', marker])
      expect(res.then).toBeUndefined()
      expect(host.ssh(`test -e ${marker} && echo ran || echo not-run`).trim()).toBe('not-run')
      expect(listOnHost().map((x) => x.uuid)).toEqual([first.uuid, second.uuid])
    },
    TIMEOUT_MS,
  )

  it(
    'a list that cannot be written (its directory is a file) fails the update and never runs the command',
    async () => {
      host.ssh(`rm -rf ${STATE_DIR} ${marker}; touch ${STATE_DIR}`)
      const [s] = await stores(1)
      await expect(s!.updateThen((l) => mergeEntries(l, [entry(9, 0)]), ['sh', '-c', 'echo ran > "$1"', 'sh', marker])).rejects.toThrow(/could not write/)
      expect(host.ssh(`test -e ${marker} && echo ran || echo not-run`).trim()).toBe('not-run')
      host.ssh(`rm -f ${STATE_DIR}`)
    },
    TIMEOUT_MS,
  )
})
