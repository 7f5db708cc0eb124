// The local run journal (`<stateDir>/runs/<runId>.jsonl`), one import for its users. The parts, by concept:
// records (schema + checks), run-files (state dir, run ids), writer (append + fsync), reader (defensive read),
// run-list (`runs`), queries (resume/retry), report (`runs show`) and history (recorded durations), each in
// src/state/journal/.

export * from './journal/records.js'
export * from './journal/run-files.js'
export * from './journal/writer.js'
export * from './journal/reader.js'
export * from './journal/run-list.js'
export * from './journal/queries.js'
export * from './journal/history.js'
export { reportFromJournal } from './journal/report.js'
