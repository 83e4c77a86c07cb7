// The diff page in real headless Chromium: a notebook whose every field carries script, handlers,
// javascript: URLs, iframes, SVG and remote loads is rendered, served with the CSP, and nothing runs
// or loads. A control page without the protections proves the detectors work.
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { diffNotebooks, parseNotebook } from '../../../src/notebooks/core/index.js'
import type { PushDiff } from '../../../src/diffs/model.js'
import { renderPushDiffHtml } from '../../../src/diffs/page.js'
import { DIFF_PAGE_CSP, renderNotebookDiffHtml, summarize } from '../../../src/notebooks/render/index.js'
import { hostilePair } from './fixtures.js'
import { CHROMIUM, launchChromium } from '../../support/chromium.js'

const missing = !existsSync(CHROMIUM)

if (missing && process.env.CI) {
  t.fail(`Chromium not found at ${CHROMIUM}: CI must run \`apt-get install -y chromium\` (or set TAMER_CHROMIUM)`)
} else if (missing) {
  t.test('headless Chromium', { skip: `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)` }, () => {})
} else {
  t.test('nothing from a notebook runs or loads in the diff page', async (t) => {
    const hits: string[] = []
    const pages = new Map<string, { html: string; csp: boolean }>()
    const server: Server = createServer((req, res) => {
      const page = pages.get(req.url ?? '')
      if (page) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          ...(page.csp ? { 'content-security-policy': DIFF_PAGE_CSP } : {}),
        })
        res.end(page.html)
        return
      }
      hits.push(req.url ?? '')
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('beacon')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    const { a: ra, b: rb } = hostilePair(`${origin}/beacon`)
    const a = parseNotebook(JSON.stringify(ra), 'a.ipynb')
    const b = parseNotebook(JSON.stringify(rb), 'b.ipynb')
    const diff = diffNotebooks(a, b)
    pages.set('/notebook', {
      html: renderNotebookDiffHtml({ base: a, diff, nameA: 'a.ipynb', nameB: 'b.ipynb' }),
      csp: true,
    })
    const push: PushDiff = {
      repository: `acme/<script>window.__pwned=1</script>`,
      ref: 'refs/heads/<img src=x onerror=alert(1)>',
      base: 'a'.repeat(40),
      head: 'b'.repeat(40),
      notes: [`<iframe src="${origin}/beacon?note">`],
      files: [
        {
          kind: 'notebook',
          path: 'evil<script>.ipynb',
          oldPath: null,
          status: 'modified',
          base: a,
          diff,
          summary: summarize(a, diff),
        },
        {
          kind: 'text',
          path: 'x.html',
          oldPath: null,
          status: 'added',
          unified: `@@ -0,0 +1 @@\n+<script>window.__pwned=1;fetch('${origin}/beacon?text')</script>`,
        },
        {
          kind: 'note',
          path: 'b.ipynb',
          oldPath: null,
          status: 'modified',
          reason: 'unparsable',
          note: 'could not parse b.ipynb: <img src=x onerror=alert(1)>',
          unified: `+<svg onload="fetch('${origin}/beacon?fallback')">`,
        },
      ],
    }
    pages.set('/push', { html: renderPushDiffHtml(push), csp: true })
    // The control: the same kind of payload with no escaping and no CSP must be caught.
    pages.set('/control', {
      html: `<html><body><img src=x onerror="window.__pwned=1;fetch('${origin}/beacon?control')"></body></html>`,
      csp: false,
    })

    const browser = await launchChromium(t)
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    // Page-side code as strings: the test is compiled without the DOM library.
    await context.addInitScript({
      content: `window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI))`,
    })

    const visit = async (path: string) => {
      const page = await context.newPage()
      const console: string[] = []
      const requests: string[] = []
      page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`))
      page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`))
      page.on('request', (r) => {
        if (!r.url().startsWith('data:')) requests.push(r.url())
      })
      page.on('dialog', (d) => {
        console.push(`dialog: ${d.message()}`)
        void d.dismiss()
      })
      await page.goto(origin + path, { waitUntil: 'load' })
      // Interact like a reader: switch views, open every <details>, click every link.
      for (const label of await page.locator('label').all()) await label.click()
      await page.evaluate(`document.querySelectorAll('details').forEach((d) => { d.open = true })`)
      for (const link of await page.locator('a').all()) await link.click()
      await page.waitForTimeout(300)
      const state = (await page.evaluate(
        `({ pwned: window.__pwned ?? null, violations: window.__violations, scripts: document.scripts.length, iframes: document.querySelectorAll('iframe,object,embed,svg').length })`,
      )) as { pwned: number | null; violations: string[]; scripts: number; iframes: number }
      return { page, console, requests, state }
    }

    const control = await visit('/control')
    t.equal(control.state.pwned, 1, 'control: the detector sees a payload that runs')
    t.ok(
      hits.some((h) => h.includes('control')),
      'control: the beacon sees a request',
    )
    hits.length = 0

    for (const path of ['/notebook', '/push']) {
      const v = await visit(path)
      t.equal(v.state.pwned, null, `${path}: no payload ran (window.__pwned unset)`)
      t.same(hits, [], `${path}: no request reached the beacon`)
      t.same(v.requests, [`${origin}${path}`], `${path}: the page loaded nothing but itself`)
      t.same(v.state.violations, [], `${path}: not even a blocked attempt (CSP violations)`)
      t.same(v.console, [], `${path}: no console errors or dialogs`)
      t.equal(v.state.scripts, 0, `${path}: no <script> element in the DOM`)
      t.equal(v.state.iframes, 0, `${path}: no iframe/object/embed/svg in the DOM`)
      t.ok(
        (await v.page.locator('img[src^="data:image/png;base64,iVBOR"]').count()) >= 4,
        `${path}: the changed plots and attachments are shown`,
      )
      if (path === '/notebook') {
        await v.page.locator('label[for=v-side]').click()
        await v.page.screenshot({ path: '/tmp/tamer-diff-notebook.png', fullPage: true })
      }
    }
  })
}
