// The web console in real headless Chromium (Debian's chromium through playwright-core), against Tamer
// composed as `tamer serve` composes it, with real timers, a sample repository on a local git server, the
// Jenkins emulator (every build fails its tests after a few seconds) and a chat webhook that refuses the
// first notice (a dead letter). A person signs in, finds the push sent here, opens its notebook diff,
// starts a run of a branch, watches the build page turn from running to failed without reloading (SSE),
// and re-sends the dead letter. Screenshots go to $TAMER_SCREENSHOTS_DIR (a temp dir by default).
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadCheckedConfig } from '../../src/compose/config.js'
import { composeService } from '../../src/compose/index.js'
import { pushWebhook } from '../../src/demo/index.js'
import { serveGit } from '../../src/demo/git-http-server.js'
import { realClock, startJenkinsEmulator } from '../../src/demo/jenkins-emulator/index.js'
import { makeSampleRepo, NOTEBOOK_PATH } from '../../src/demo/sample-repo.js'
import { createLogger } from '../../src/logging.js'
import { startHttpPeer } from '../support/notify/peers.js'
import { freePort } from '../support/free-port.js'
import { until } from '../support/until.js'
import { CHROMIUM, launchChromium } from '../support/chromium.js'

const missing = !existsSync(CHROMIUM)
const SHOTS = process.env.TAMER_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'tamer-screenshots-'))

if (missing && process.env.CI) {
  t.fail(`Chromium not found at ${CHROMIUM}: CI must run \`apt-get install -y chromium\` (or set TAMER_CHROMIUM)`)
} else if (missing) {
  t.test(
    'the console in headless Chromium',
    { skip: `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)` },
    () => {},
  )
} else {
  t.test('sign in, find a push, open its diff, run a branch, watch it fail live, re-send a dead letter', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tamer-console-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    mkdirSync(SHOTS, { recursive: true })
    t.comment(`screenshots: ${SHOTS}`)

    const gitRoot = join(dir, 'git')
    mkdirSync(gitRoot)
    const repo = await makeSampleRepo(gitRoot)
    const git = await serveGit({ projectRoot: gitRoot })
    t.teardown(() => git.close())
    const jenkinsToken = randomBytes(16).toString('hex')
    const jenkins = await startJenkinsEmulator({
      clock: realClock,
      quietPeriodSec: 0,
      users: [{ id: 'tamer', fullName: 'Tamer Bot', apiToken: jenkinsToken }],
      // Long enough to be seen running; the tests stage fails.
      defaultScenario: {
        result: 'FAILURE',
        durationMs: 3000,
        stages: ['Checkout', 'Tests'],
        failingStage: 'Tests',
        stageLog: { Tests: ['tests/test_model.py::test_auc_gate FAILED <script>alert(1)</script>'] },
        tests: { total: 12, failed: 1, skipped: 0 },
      },
    })
    t.teardown(() => jenkins.close())
    const chat = await startHttpPeer()
    t.teardown(() => chat.close())
    chat.answerNext({ status: 400, body: 'no such channel' })

    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const secrets = { github: randomBytes(16).toString('hex'), api: `tok_${randomBytes(16).toString('hex')}` }
    const config = loadCheckedConfig({
      env: {},
      overrides: {
        server: { host: '127.0.0.1', port, logLevel: 'warn' },
        dataDir: join(dir, 'data'),
        providers: { github: { secrets: [secrets.github] } },
        api: { tokens: [{ token: secrets.api, name: 'browser', scope: 'operate' }] },
        git: {
          hosts: [{ provider: 'github', url: git.url }],
          protocols: ['http'],
          allowPrivateHosts: [new URL(git.url).host],
        },
        jenkins: {
          url: jenkins.url,
          user: 'tamer',
          token: jenkinsToken,
          publicUrl: url,
          quietPeriodSec: 0,
          pollInitialMs: 200,
          pollMaxMs: 500,
        },
        rules: [
          {
            name: 'data science',
            repository: 'demo/*',
            events: ['push'],
            template: 'tests-only',
            job: 'demo/{repo}/{branch}',
          },
        ],
        notifications: {
          channels: [{ name: 'team-chat', type: 'webhook', url: `${chat.url}/hook` }],
          rules: [
            { name: 'failures', repository: 'demo/*', on: ['first-failure'], culprits: false, channels: ['team-chat'] },
          ],
        },
      },
    })
    const service = await composeService(config, { logger: createLogger('warn', process.stderr) })
    t.teardown(() => service.close())
    await service.listen()

    const deliveryId = await pushWebhook(url, repo, git.url, secrets.github)

    const browser = await launchChromium(t)
    // A viewer in another zone than the server's UTC, on a phone-sized screen.
    const context = await browser.newContext({ timezoneId: 'Asia/Kolkata', viewport: { width: 412, height: 900 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on(
      'console',
      (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()),
    )
    // What failed to load, but the diff page's favicon.ico (that page is not the console's and links none).
    page.on(
      'response',
      (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && errors.push(`${r.status()} ${r.url()}`),
    )
    const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

    // Sign in: /ui/ sends a person to the sign-in form, then back.
    await page.goto(`${url}/ui/`)
    t.match(page.url(), /\/ui\/login\?next=/)
    await page.fill('#token', secrets.api)
    await shot('01-sign-in')
    await page.click('button[type=submit]')
    await page.waitForURL(/\/ui\/deliveries$/)
    await page.keyboard.press('Tab')
    t.equal(
      await page.evaluate('document.activeElement && document.activeElement.textContent'),
      'Skip to content',
      'a skip link comes first',
    )

    // The push sent above is listed; its time is shown in the viewer's zone, the UTC instant on hover.
    const row = page.locator(`a[href="/ui/deliveries/${deliveryId}"]`)
    await row.waitFor()
    const time = row.locator('time')
    const iso = (await time.getAttribute('datetime'))!
    // Chromium names the zone by its older alias, Asia/Calcutta.
    t.match(
      await time.getAttribute('title'),
      new RegExp(`Asia/(Kolkata|Calcutta) \\(${new Date(iso).toISOString()}\\)$`),
    )
    const shown = await time.textContent()
    const kolkata = new Date(new Date(iso).getTime() + 330 * 60_000).toISOString().slice(0, 19).replace('T', ' ')
    t.equal(shown, kolkata, 'the time in the viewer zone')
    await shot('02-deliveries')
    await row.click()
    await page.waitForURL(`${url}/ui/deliveries/${deliveryId}`)
    t.match(await page.textContent('main'), 'demo/churn-model')

    // Its notebook diff.
    await page.click('text=Notebook diff of this push')
    await page.waitForURL(`${url}/ui/diffs/${deliveryId}`)
    await page.waitForSelector(`text=${NOTEBOOK_PATH}`, { timeout: 15_000 })
    await shot('03-notebook-diff')

    // A branch, a rule, Run tests: the run's delivery page shows its build once planned.
    await page.goto(`${url}/ui/repos`)
    await page.click('text=demo/churn-model')
    await page.waitForURL(/\/branches$/)
    await shot('04-branches')
    const mainRow = page.locator('tr', { has: page.locator('code', { hasText: /^main$/ }) })
    await mainRow.locator('select[name=rule]').selectOption('data science')
    await mainRow.locator('button', { hasText: 'Run tests' }).click()
    await page.waitForURL(/\/ui\/deliveries\//)
    const runId = page.url().split('/').pop()!
    t.not(runId, deliveryId, 'a new delivery: the run')
    const buildLink = page.locator('a[href^="/ui/builds/"]').first()
    await buildLink.waitFor({ timeout: 15_000 })
    await buildLink.click()
    await page.waitForURL(/\/ui\/builds\//)

    // Running, then failed, on the same page: the event stream, not a reload.
    await page.evaluate('window.stayed = true')
    const state = page.locator('[data-field=state]')
    await until('running', async () => ['running', 'finished'].includes((await state.textContent()) ?? ''), 15_000)
    const sawRunning = (await state.textContent()) === 'running'
    if (sawRunning) await shot('05-build-running')
    t.ok(sawRunning, 'the build page showed the build running')
    await until('failure', async () => (await page.locator('[data-field=status]').textContent()) === 'FAILURE', 20_000)
    t.equal(await state.textContent(), 'finished')
    t.equal(await page.locator('[data-field=failingStage]').textContent(), 'Tests')
    t.match(await page.locator('[data-field=tests]').textContent(), '1 failed')
    t.ok(await page.evaluate('window.stayed === true'), 'never reloaded')
    t.equal(await page.locator('script:not([src])').count(), 0)
    await shot('06-build-failed')

    // The push's failure notice was refused by the chat endpoint: a dead letter, re-sent from the console.
    await until(
      'dead letter',
      async () => (await service.store.listNotifications({ state: 'dead', limit: 5 })).length > 0,
      20_000,
    )
    await page.goto(`${url}/ui/dead-letters`)
    await shot('07-dead-letters')
    const sent = chat.requests.length
    await page.locator('button', { hasText: 'Re-send' }).first().click()
    await page.waitForURL(/\/ui\/dead-letters\?resent=/)
    t.match(await page.textContent('.flash'), 'Sent again')
    await until('the re-sent notice', async () => chat.requests.length > sent, 15_000)
    await until(
      'sent',
      async () => (await service.store.listNotifications({ state: 'sent', limit: 5 })).length > 0,
      15_000,
    )
    await shot('08-resent')
    t.same(errors, [], 'no script error and no CSP violation in the console')
  })
}
