// What every live renderer returns, so commands can wait for and stop any of them the same way.

export interface AttachedRenderer {
  /** Resolves once run-done has been rendered (or stop() was called). Never rejects. */
  done: Promise<void>
  /** Unsubscribe from the bus now and finish drawing; `done` then resolves. */
  stop(): void
}
