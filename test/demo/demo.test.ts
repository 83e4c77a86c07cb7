// `tamer demo` end to end, in process: the real composition on SQLite, the sample repository on a
// loopback git server, the Jenkins emulator and the mail catcher. What the demo prints must work:
// the signed diff page shows the notebook change, the API token reads the build, the Jenkins
// build answers without a login, the failure mail arrived. And a production install is told what
// it lacks instead of crashing.
import { existsSync } from 'node:fs'
import t from 'tap'
import { demoCommand } from '../../src/cli/demo.js'
import { devDependenciesMissing } from '../../src/demo/mail-catcher.js'
import { DEMO_RECIPIENT, formatReport, runDemo } from '../../src/demo/index.js'
import { gitAvailable } from '../git/repo.js'

const noModule = (name: string) =>
  Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' })

t.test('the demo runs the whole loop and every printed link answers', async (t) => {
  if (!(await gitAvailable())) {
    if (process.env.CI) t.fail('git is required in CI')
    else t.skip('git not installed', () => {})
    return
  }
  // Its time is a bench's business (`time npm run demo`), not this test's: a loaded machine only makes it slower.
  const report = await runDemo({ port: 0, timeoutMs: 240_000 })
  t.teardown(report.close)

  // The build: routed by the demo's rule, triggered on the emulator, ended with the scripted failure.
  t.match(report.build, {
    deliveryId: report.deliveryId,
    job: 'demo/churn-model/main',
    state: 'finished',
    result: 'FAILURE',
    failingStage: 'Tests',
    tests: { total: 12, failed: 1, skipped: 0 },
  })

  // The diff page from the signed link, without a token: the notebook's change is in it.
  const page = await fetch(report.diffUrl)
  t.equal(page.status, 200, 'the diff page answers 200')
  const html = await page.text()
  t.match(html, 'notebooks/churn.ipynb')
  t.match(html, 'learning_rate=0.2', 'the edited source')
  t.match(html, '<pre class="stream ">AUC: 0.812</pre>', 'the output before')
  t.match(html, '<pre class="stream ">AUC: 0.784</pre>', 'the output after')
  t.match(html, 'AssertionError', 'the new cell’s error output')
  t.equal((await fetch(report.diffUrl.replace(/sig=[^&]+/, 'sig=forged'))).status, 401, 'a forged link does not open')

  // Tamer's landing page answers.
  t.equal((await fetch(`${report.url}/`)).status, 200, 'the landing page')

  // The status: the API with the generated token (and not without it).
  const api = await fetch(`${report.url}/api/builds/${report.build.id}`, {
    headers: { authorization: `Bearer ${report.apiToken}` },
  })
  t.equal(api.status, 200)
  t.match(await api.json(), { id: report.build.id, result: 'FAILURE' })
  t.equal((await fetch(`${report.url}/api/builds/${report.build.id}`)).status, 401)

  // The build on the emulator opens without a login; its console has the failing test.
  t.equal((await fetch(report.jenkinsBuildUrl)).status, 200)
  t.match(await (await fetch(`${report.jenkinsBuildUrl}consoleText`)).text(), /Finished: FAILURE/)

  // The failure mail, as the catcher received it.
  t.match(report.mail.parsed.subject, /demo\/churn-model main failed/)
  t.ok(report.mail.envelopeTo.includes(DEMO_RECIPIENT), 'sent to the rule’s recipient')
  t.match(
    report.mail.parsed.text,
    'tests.test_model.test_auc_gate: AssertionError: AUC 0.784 is below the 0.8 gate',
    "the failed test is named, with its error, from Jenkins' JUnit report",
  )
  t.match(report.mail.parsed.text, 'notebooks/churn.ipynb', 'with the notebook summary')

  // What is printed: the links above, the token in one curl line, how to stop.
  const printed = formatReport(report, { keepsRunning: true })
  t.match(printed, report.diffUrl)
  t.match(printed, `curl -s ${report.url}/api/builds/${report.build.id} -H 'Authorization: Bearer ${report.apiToken}'`)
  t.match(printed, report.jenkinsBuildUrl)
  t.match(printed, `Subject: ${report.mail.parsed.subject}`)
  t.match(printed, /Ctrl-C stops it/)
  t.notMatch(formatReport(report, { keepsRunning: false }), /Ctrl-C/)

  await report.close()
  t.notOk(existsSync(report.dir), 'close() removes the temp dir')
  t.equal(await fetch(`${report.url}/healthz`).catch(() => 'closed'), 'closed', 'and stops the server')
})

t.test('a production install (no devDependencies) is told what it lacks', async (t) => {
  const load = async (name: string) => {
    if (name === 'smtp-server') throw noModule(name)
  }
  t.same(await devDependenciesMissing(load), ['smtp-server'])
  t.same(await devDependenciesMissing(), [], 'this checkout has them')

  const out: string[] = []
  const err: string[] = []
  const code = await demoCommand(['--exit'], { stdout: (s) => out.push(s), stderr: (s) => err.push(s), load }, () =>
    t.fail('nothing keeps running'),
  )
  t.equal(code, 1)
  t.same(out, [])
  t.match(err.join(''), /needs a development install \(smtp-server missing/)
  t.match(err.join(''), 'npm ci && npm run demo')

  // Any other failure to load is not mistaken for a missing package.
  const broken = async () => {
    throw new Error('boom')
  }
  await t.rejects(devDependenciesMissing(broken), /boom/)
})

t.test('usage and a bad port', async (t) => {
  const out: string[] = []
  const err: string[] = []
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }
  t.equal(await demoCommand(['--help'], io, () => t.fail()), 0)
  t.match(out.join(''), /Usage: tamer demo/)
  t.equal(await demoCommand(['--port', 'x'], io, () => t.fail()), 1)
  t.match(err.join(''), /--port must be a port number/)
})
