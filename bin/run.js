#!/usr/bin/env node
// oclif entry: commands are compiled to dist/commands by `npm run build` (run by `npm ci` via prepare).
import { execute } from '@oclif/core'

await execute({ dir: import.meta.url })
