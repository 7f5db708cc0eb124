import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { FleetEvent } from '../../src/core/events.js'
import type { ActionAttempt, GuestReport, HostReport, RunReport } from '../../src/core/report.js'
import { summarize } from '../../src/core/report.js'
import { renderHtmlReport } from '../../src/render/html-report.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = fs.existsSync(CHROMIUM)
if (!hasChromium) console.warn(`SKIPPED html-report browser test: ${CHROMIUM} not found (Debian: apt-get install chromium)`)

const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>$(reboot)`
const T0 = Date.UTC(2026, 10, 25, 3, 18, 0)
const iso = (s: number) => new Date(T0 + s * 1000).toISOString()

function attempt(
  action: ActionAttempt['action'],
  from: number,
  to: number,
  result: ActionAttempt['result'],
  reason: ActionAttempt['reason'] = 'primary',
  error?: string,
): ActionAttempt {
  return { action, startedAt: iso(from), endedAt: iso(to), durationMs: (to - from) * 1000, result, reason, ...(error ? { error } : {}) }
}

function guest(name: string, i: number, attempts: ActionAttempt[], outcome: GuestReport['outcome'], ok: boolean, error?: string): GuestReport {
  const first = attempts[0]
  const last = attempts[attempts.length - 1]
  return {
    uri: 'qemu:///system',
    uuid: `uuid-${name}-${i}`,
    name,
    initialState: 'running',
    finalState: ok ? 'shut off' : 'running',
    persistent: true,
    outcome,
    ok,
    attempts,
    durationMs: first && last ? Date.parse(last.endedAt) - Date.parse(first.startedAt) : 0,
    inSavedList: ok,
    ...(error ? { error } : {}),
  }
}

function fixture(): { report: RunReport; events: FleetEvent[] } {
  const hosts: HostReport[] = [
    {
      host: 'hv01.example.com',
      status: 'ok',
      durationMs: 95_000,
      guests: [
        guest('web-1', 1, [attempt('suspend', 1, 9, 'ok')], 'suspended', true),
        guest('web-2', 2, [attempt('suspend', 1, 12, 'ok')], 'suspended', true),
        guest(
          'db-primary',
          3,
          [attempt('suspend', 2, 32, 'timeout', 'primary', 'no answer in 30s'), attempt('shutdown', 32, 47, 'ok', 'fallback')],
          'stopped',
          true,
        ),
      ],
    },
    {
      host: 'hv02.example.com',
      status: 'partial',
      durationMs: 80_000,
      guests: [
        guest(HOSTILE, 4, [attempt('suspend', 48, 60, 'ok')], 'suspended', true),
        guest(
          'legacy-win2k8',
          5,
          [attempt('shutdown', 48, 78, 'timeout'), attempt('destroy', 78, 80, 'failed', 'fallback', 'virsh destroy: Device or resource busy')],
          'still-running',
          false,
          'virsh destroy: Device or resource busy',
        ),
      ],
    },
    { host: 'hv03.example.com', status: 'unreachable', durationMs: 20_000, error: 'connect ETIMEDOUT 10.0.0.13:22', guests: [] },
  ]
  const report: RunReport = {
    command: 'reboot',
    runId: '20261125T031800Z-ab12cd',
    check: false,
    startedAt: iso(0),
    endedAt: iso(150),
    durationMs: 150_000,
    exitCode: 3,
    interrupted: false,
    summary: summarize(hosts),
    hosts,
  }
  const events: FleetEvent[] = []
  for (const h of hosts) {
    for (const g of h.guests) {
      for (const a of g.attempts) {
        events.push({
          type: 'guest-action',
          host: h.host,
          guest: { uri: g.uri, uuid: g.uuid, name: g.name },
          action: a.action,
          reason: a.reason,
          at: a.startedAt,
        })
        events.push({
          type: 'guest-action-result',
          host: h.host,
          guest: { uri: g.uri, uuid: g.uuid, name: g.name },
          action: a.action,
          result: a.result,
          at: a.endedAt,
          ...(a.error ? { error: a.error } : {}),
        })
      }
    }
  }
  events.push({ type: 'host-step', host: 'hv01.example.com', step: 'reboot', status: 'started', at: iso(48) })
  events.push({ type: 'host-step', host: 'hv01.example.com', step: 'reboot', status: 'ok', at: iso(88), durationMs: 40_000 })
  events.push({ type: 'host-step', host: 'hv01.example.com', step: 'wait_for_ssh', status: 'started', at: iso(88) })
  events.push({ type: 'host-step', host: 'hv01.example.com', step: 'wait_for_ssh', status: 'ok', at: iso(95), durationMs: 7_000 })
  events.push({ type: 'host-step', host: 'hv03.example.com', step: 'connect', status: 'failed', at: iso(140), durationMs: 20_000, error: 'connect ETIMEDOUT' })
  events.sort((a, b) => a.at.localeCompare(b.at))
  return { report, events }
}

describe('HTML report as a string (no browser needed)', () => {
  it('escapes every piece of report text and loads nothing external', () => {
    const { report, events } = fixture()
    const html = renderHtmlReport(report, events)
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('&#60;script&#62;window.__pwned=2&#60;/script&#62;$(reboot)')
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
    expect(html).toContain('Content-Security-Policy')
  })
})

describe.skipIf(!hasChromium)('HTML report in headless Chromium', () => {
  let browser: Browser
  let dir: string
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-html-'))
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function open(html: string, name: string) {
    const file = path.join(dir, name)
    fs.writeFileSync(file, html)
    const page = await browser.newPage({ viewport: { width: 1240, height: 900 } })
    const dialogs: string[] = []
    const requests: string[] = []
    const consoleErrors: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    page.on('request', (r) => requests.push(r.url()))
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
    return { page, dialogs, requests, consoleErrors, file }
  }

  it('draws one timeline row per host, bars per action, and keeps hostile names as text', async () => {
    const { report, events } = fixture()
    const { page, dialogs, requests, file } = await open(renderHtmlReport(report, events), 'report.html')

    expect(await page.locator('svg.timeline g.host-row').count()).toBe(3)
    expect(await page.locator('svg.timeline g.host-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')))).toEqual([
      'hv01.example.com',
      'hv02.example.com',
      'hv03.example.com',
    ])
    // 7 guest action attempts + 3 host steps
    expect(await page.locator('svg.timeline g.guest-bar').count()).toBe(7)
    expect(await page.locator('svg.timeline g.host-bar').count()).toBe(3)
    expect(await page.locator('g.host-row[data-host="hv01.example.com"] g.bar').count()).toBe(6)
    // outcome colours: fallback after a timeout is amber, a failed destroy is red
    expect(await page.locator('g.bar.tone-warn').count()).toBe(3)
    expect(await page.locator('g.bar.tone-fail').count()).toBe(2)
    const fill = await page
      .locator('g.bar.tone-fail rect')
      .first()
      .evaluate((el) => getComputedStyle(el).fill)
    expect(fill).toBe('rgb(214, 64, 64)')
    // time axis labels
    const ticks = await page.locator('svg.timeline text.tick').allTextContents()
    expect(ticks[0]).toBe('0')
    expect(ticks).toContain('1m')

    // the hostile name is shown as text and ran nothing
    await expect.poll(() => page.locator('td.guest').filter({ hasText: '<script>window.__pwned=2</script>$(reboot)' }).count()).toBe(1)
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
    expect(await page.locator('script').count()).toBe(0)
    expect(await page.locator('img').count()).toBe(0)
    expect(dialogs).toEqual([])
    expect(requests).toEqual([pathToFileURL(file).href]) // self-contained: nothing else is loaded

    // header and table
    await expect.poll(() => page.locator('#exit-code').textContent()).toContain('unreachable')
    expect(await page.locator('table.summary tbody tr').count()).toBe(6) // 5 guests + 1 host without guests

    const shot = path.join(dir, 'report.png')
    await page.screenshot({ path: shot, fullPage: true })
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000)
    console.log(`screenshot: ${shot}`)
    await page.close()
  })

  it('draws bars from ActionAttempt timestamps when no events are given', async () => {
    const { report } = fixture()
    const { page } = await open(renderHtmlReport(report), 'report-no-events.html')
    expect(await page.locator('svg.timeline g.host-row').count()).toBe(3)
    expect(await page.locator('svg.timeline g.bar').count()).toBe(7)
    await page.close()
  })
})
