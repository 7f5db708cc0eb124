#!/usr/bin/env node
// oclif entry: commands are compiled to dist/commands by `npm run build` (run by `npm ci` via prepare).
// Errors raised before a command runs (an unknown command) get the same usage exit code (64) as a bad flag.
import { flush, run } from '@oclif/core'
import { handleTopLevelError } from '../dist/cli/base.js'

await run(process.argv.slice(2), import.meta.url)
  .then(() => flush().catch(() => undefined))
  .catch((err) => handleTopLevelError(err))
