#!/usr/bin/env node
// oclif entry: commands are compiled to dist/commands by `npm run build` (run by `npm ci` via prepare), which also
// writes oclif.manifest.json so that only the command being run is imported. Errors raised before a command runs
// (an unknown command) get the same usage exit code (64) as a bad flag; their handler is loaded only then.
// oclif's check of its own Node engine range loads all of semver on every start; package.json's engines says it.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
const { flush, run } = await import('@oclif/core')

await run(process.argv.slice(2), import.meta.url)
  .then(() => flush().catch(() => undefined))
  .catch(async (err) => (await import('../dist/cli/base.js')).handleTopLevelError(err))
