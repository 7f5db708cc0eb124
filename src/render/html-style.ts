// How the HTML report looks and stays safe: the one escaping function every piece of text goes through (guest names
// are data), the tone classes shared by bars, pills and tiles, and the inline style sheet (a CSP forbids anything
// loaded from elsewhere).

import type { HostReport } from '../core/report.js'

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`)
}

export type Tone = 'ok' | 'warn' | 'fail' | 'muted' | 'host'

export const STATUS_TONE: Record<HostReport['status'], Tone> = {
  ok: 'ok',
  partial: 'warn',
  unreachable: 'fail',
  failed: 'fail',
  skipped: 'muted',
  interrupted: 'muted',
}

export const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2433;--muted:#6b7280;--line:#e3e6eb;--row:#fbfcfd;--ok:#2f9e57;--host:#4f6bd8;--move:#2f8fb0;--warn:#e0a100;--fail:#d64040;--mutedc:#9aa3ae;
--ok-bg:#e6f6ec;--warn-bg:#fff5d6;--fail-bg:#fde8e8;--muted-bg:#eef0f3;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#12151b;--card:#1a1f27;--fg:#e6e9ef;--muted:#9aa3ae;--line:#2b323d;--row:#1d232c;--ok-bg:#17352379;--warn-bg:#3a300f;--fail-bg:#3d1b1b;--muted-bg:#262c35}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font-size:14px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-bottom:18px;box-shadow:0 1px 2px #0000000a}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;color:var(--muted);font-size:13px}.meta b{color:var(--fg);font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.exit{display:flex;align-items:center;gap:12px;margin-top:14px;padding:10px 12px;border-radius:8px}
.exit .code{font:700 22px ui-monospace,monospace;min-width:2.2em;text-align:center}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin-top:14px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}.tile .n{font-size:22px;font-weight:700}.tile .l{color:var(--muted);font-size:12px}
.pill{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.tone-ok{color:var(--ok)}.tone-warn{color:#a87900}.tone-fail{color:var(--fail)}.tone-muted{color:var(--mutedc)}
.pill.tone-ok,.exit.tone-ok{background:var(--ok-bg)}.pill.tone-warn,.exit.tone-warn{background:var(--warn-bg)}.pill.tone-fail,.exit.tone-fail{background:var(--fail-bg)}.pill.tone-muted,.exit.tone-muted{background:var(--muted-bg)}
.timeline-wrap{overflow-x:auto}
svg.timeline{display:block;font-size:12px;max-width:100%;height:auto}
svg .row-bg{fill:var(--card)}svg .row-bg.odd{fill:var(--row)}
svg .host-label{font-weight:600;fill:var(--fg);font-size:13px}svg .host-status{font-size:11px}
svg .tick{fill:var(--muted);text-anchor:middle;font-size:11px}svg .grid{stroke:var(--line);stroke-width:1}svg .axis-line{stroke:var(--muted);stroke-width:1}
svg .no-actions{fill:var(--mutedc);font-style:italic}
svg .bar rect{stroke:#00000022;stroke-width:1}svg .bar-label{fill:#fff;font-size:10.5px;font-weight:600;pointer-events:none}svg .bar-label-out{fill:var(--muted);font-size:10.5px;pointer-events:none}
svg .bar.tone-ok rect{fill:var(--ok)}svg .bar.tone-warn rect{fill:var(--warn)}svg .bar.tone-fail rect{fill:var(--fail)}svg .bar.tone-muted rect{fill:var(--mutedc)}
svg .bar.tone-host rect{fill:var(--host)}svg .bar.migration-bar.tone-ok rect{fill:var(--move)}svg .bar.tone-warn .bar-label{fill:#3b2c00}svg .bar:hover rect{stroke:var(--fg);stroke-width:1.5}
svg .host-status.tone-ok{fill:var(--ok)}svg .host-status.tone-warn{fill:#a87900}svg .host-status.tone-fail{fill:var(--fail)}svg .host-status.tone-muted{fill:var(--mutedc)}
.legend{display:flex;gap:16px;margin-top:10px;color:var(--muted);font-size:12px;flex-wrap:wrap}.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;vertical-align:-2px;margin-right:5px}
table.summary{width:100%;border-collapse:collapse;font-size:13px}
table.summary th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;border-bottom:2px solid var(--line);padding:6px 8px}
table.summary td{border-bottom:1px solid var(--line);padding:7px 8px;vertical-align:top}
table.summary tr.host-first td{border-top:2px solid var(--line)}
td.host{background:var(--row);min-width:150px}.host-name{font-weight:600;word-break:break-all}
td.guest{font-family:ui-monospace,monospace;word-break:break-all}td.attempts{font-family:ui-monospace,monospace;font-size:12px}
.num{text-align:right;white-space:nowrap}.err{color:var(--fail);word-break:break-word}.muted{color:var(--muted)}.small{font-size:12px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px}
`
