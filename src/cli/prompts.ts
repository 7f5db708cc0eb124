// Questions to the operator on the terminal: yes/no confirmations and hidden key passphrases. Prompts go to
// stderr so stdout stays clean for reports; each run serializes its own questions (no process-wide chain).

import { createInterface } from 'node:readline/promises'
import { Writable } from 'node:stream'

/** Ask on the terminal (stderr, so stdout stays clean for reports). */
export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/** Ask without echo (a key passphrase), on stderr so stdout stays clean. */
export async function askHidden(question: string): Promise<string> {
  let muted = false
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk)
      cb()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  try {
    const answer = rl.question(question)
    muted = true
    return await answer
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}

/** Several hosts may share a key: ask for its passphrase once, one prompt at a time. */
export function onePromptPerFile(ask: (file: string) => Promise<string>): (file: string) => Promise<string> {
  const answers = new Map<string, Promise<string>>()
  let chain: Promise<unknown> = Promise.resolve()
  return (file) => {
    let p = answers.get(file)
    if (!p) {
      p = chain.then(() => ask(file))
      chain = p.catch(() => undefined)
      answers.set(file, p)
    }
    return p
  }
}

/**
 * Hosts of a batch reach their confirm steps concurrently; two readline prompts at once would interleave on the
 * terminal. The chain belongs to the returned function, so each run (and each test) has its own.
 */
export function oneQuestionAtATime(ask: (question: string) => Promise<boolean>): (question: string) => Promise<boolean> {
  let chain: Promise<unknown> = Promise.resolve()
  return (question) => {
    const next = chain.then(() => ask(question))
    chain = next.catch(() => undefined)
    return next
  }
}

/**
 * How a run answers confirmations: `--yes` answers yes; on a terminal (and not under --json) the operator is asked;
 * otherwise undefined, and a confirm step fails with a hint to use --yes.
 */
export function confirmationsFor(o: { yes?: boolean; json?: boolean; interactive: boolean }): ((question: string) => Promise<boolean>) | undefined {
  if (o.yes) return async () => true
  if (o.interactive && !o.json) return oneQuestionAtATime(askYesNo)
  return undefined
}
