// The one place where remote shell command lines are built: every argv element is quoted,
// so a guest named `$(reboot)` stays data. Never concatenate user values into a command elsewhere.

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%^]+$/

/** POSIX-shell single-quote one argument. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('argument contains a NUL byte')
  if (arg !== '' && SAFE.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

/** Build a shell command line from an argv array. */
export function quoteCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command')
  return argv.map(quoteArg).join(' ')
}
