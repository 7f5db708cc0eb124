// Playbooks: YAML plays (hosts pattern, serial, steps) parsed into typed data before anything runs.
export { parsePlaybook, parsePlaybookText, PlaybookError, type PlaybookIssue } from './parse.js'
export { checkPatternSyntax, type PatternIssue } from './pattern-syntax.js'
export { STEP_KINDS, STEP_ALIASES, STEP_SPECS, PLAY_KEYS, type StepKind } from './spec.js'
export { playbookJsonSchema } from './schema.js'
export type * from './types.js'
