// The one key of a finished step, shared by the journal (which records steps) and resume (which skips them):
// two spellings of the same key once made resume redo host steps the journal had recorded as done.

/** `host/guest/step`; host-level steps (reboot, lock, ...) have an empty guest part: `host//step`. */
export function stepKey(host: string, guest: string | undefined, step: string): string {
  return `${host}/${guest ?? ''}/${step}`
}
