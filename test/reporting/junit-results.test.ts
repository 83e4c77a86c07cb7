// Issue #13 item 5 end to end: a failing build's JUnit report (served by the Jenkins emulator as junit-plugin
// does) reaches the commit status (GitHub stand-in, within its 140 characters), the notice mail, and
// /api/builds/:id — the failed tests' names and first error lines, not pytest's summary in the log.
// A build without a report shows no counts and no error, and its notice falls back to the log's summary.
import t from 'tap'
import { startNotifyHarness } from '../support/notify/harness.js'
import { apiAuth } from '../support/pipeline-app.js'
import { GitHubStandIn } from '../support/hosts/github.js'
import { SHA_B } from '../support/payloads.js'
import type { BuildScenario } from '../../src/demo/jenkins-emulator/types.js'

const TOKEN = 'ghp_junitStandInToken0123456789abcdefghi'
const REPO = 'acme-ds/churn-model'
const MASKED = 'junit-leaked-secret-value'
const CONTEXT = 'tamer/data science' // the harness's rule

const tests = (): BuildScenario['tests'] => ({
  suites: [
    {
      name: 'pytest',
      cases: [
        ...Array.from({ length: 9 }, (_, i) => ({
          className: 'tests.test_model',
          name: `test_ok_${i}`,
          status: 'PASSED' as const,
        })),
        {
          className: 'tests.test_model',
          name: 'test_auc_gate',
          status: 'FAILED' as const,
          errorDetails: 'AssertionError: AUC 0.784 is below the 0.8 gate\nassert 0.784 >= 0.8',
        },
        {
          className: 'tests.test_features',
          name: 'test_token_column',
          status: 'FAILED' as const,
          errorDetails: `KeyError: '${MASKED}' @admins <b>`,
        },
        { className: 'tests.test_model', name: 'test_gpu', status: 'SKIPPED' as const },
      ],
    },
  ],
})

async function setup(t: Parameters<typeof startNotifyHarness>[0]) {
  const stand = await new GitHubStandIn({ repositories: [REPO], tokens: [TOKEN] }).start()
  t.teardown(() => stand.close())
  const n = await startNotifyHarness(
    t,
    () => ({ rules: [{ repository: 'acme-ds/*', to: ['lead@example.com'] }], maskValues: [MASKED] }),
    { config: { reporting: { hosts: [{ provider: 'github', apiUrl: stand.url, token: TOKEN }] } } },
  )
  const run = async (scenario: BuildScenario) => {
    n.h.jenkins.control.setDefaultScenario(scenario)
    await n.h.push()
    for (let i = 0; i < 6; i++) {
      await n.h.drain()
      await n.h.service.reporter.drain()
      n.h.advance(5_000)
    }
    await n.h.drain()
    await n.h.service.reporter.drain()
    await n.notifier.drain()
  }
  return { stand, n, run }
}

const failing = (extra: Partial<BuildScenario> = {}): BuildScenario => ({
  result: 'FAILURE',
  durationMs: 4000,
  stages: ['Checkout', 'Unit tests'],
  failingStage: 'Unit tests',
  // The log says something else: what is shown must come from the report.
  stageLog: { 'Unit tests': ['FAILED tests/test_log_only.py::test_from_the_log - AssertionError'] },
  ...extra,
})

t.test("a failing build's JUnit report: status, notice and API name the failed tests", async (t) => {
  const { stand, n, run } = await setup(t)
  await run(failing({ tests: tests() }))

  const status = stand.statusesOf(REPO, SHA_B, CONTEXT).at(-1)!
  t.equal(status.state, 'failure')
  t.equal(
    status.description,
    'Failed at stage Unit tests; 2 of 12 tests failed: tests.test_model.test_auc_gate: ' +
      'AssertionError: AUC 0.784 is below the 0.8 gate (+1 more)',
  )
  t.ok(status.description!.length <= 140)
  t.same(stand.violations, [])

  const [build] = await n.h.builds()
  const api = (await n.h.app.inject({ url: `/api/builds/${build!.id}`, headers: apiAuth() })).json()
  t.same(api.tests, {
    total: 12,
    failed: 2,
    skipped: 1,
    failures: [
      { name: 'tests.test_model.test_auc_gate', error: 'AssertionError: AUC 0.784 is below the 0.8 gate' },
      { name: 'tests.test_features.test_token_column', error: "KeyError: '****' @admins <b>" },
    ],
  })

  t.equal(n.smtp.mails.length, 1)
  const text = n.smtp.mails[0]!.parsed.text ?? ''
  t.match(text, /Tests:\s+12 run, 2 failed, 1 skipped/)
  t.match(text, 'tests.test_model.test_auc_gate: AssertionError: AUC 0.784 is below the 0.8 gate')
  t.match(text, "tests.test_features.test_token_column: KeyError: '****'")
  const listed = text.slice(text.indexOf('Failed tests:')).split('\n\n')[0]!
  t.notMatch(listed, 'test_from_the_log', "the log's pytest summary is not used when there is a report")
  t.notOk(n.smtp.mails[0]!.raw.includes(MASKED), 'a secret in an error message is masked')
})

t.test('a build without a JUnit report (404): no counts, no error, the notice falls back to the log', async (t) => {
  const { stand, n, run } = await setup(t)
  await run(failing())
  const [build] = await n.h.builds()
  t.match(build, { state: 'finished', result: 'FAILURE', tests: null, lastError: null })
  t.ok(
    n.h.jenkins.state.requests.some((r) => r.path.includes('/testReport/api/json') && r.status === 404),
    'Jenkins was asked and answered 404',
  )
  t.equal(stand.statusesOf(REPO, SHA_B, CONTEXT).at(-1)!.description, 'Failed at stage Unit tests')
  const text = n.smtp.mails[0]!.parsed.text ?? ''
  t.match(text, /Failed tests:\s+tests\/test_log_only\.py::test_from_the_log/)
  t.notMatch(text, /Tests:/)
})

t.test('a secret cut through by the error line bound is masked first: no prefix of it is kept', async (t) => {
  const { stand, n, run } = await setup(t)
  const line = `AssertionError: ${'x'.repeat(270)} ${MASKED} and more`
  const name = `test_login[${'p'.repeat(170)}-${MASKED}]`
  await run(
    failing({
      tests: {
        suites: [
          { name: 'pytest', cases: [{ className: 'tests.test_auth', name, status: 'FAILED', errorDetails: line }] },
        ],
      },
    }),
  )
  const [build] = await n.h.builds()
  const api = (await n.h.app.inject({ url: `/api/builds/${build!.id}`, headers: apiAuth() })).json()
  const [f] = api.tests.failures
  t.ok(f.error.length <= 300 && f.name.length <= 200, 'still bounded')
  t.match(f.error, /\*\*\*\*/, 'the secret is masked where it was')
  t.notMatch(JSON.stringify(api.tests), 'junit-leaked', 'no prefix of the secret')
  t.notMatch(stand.statusesOf(REPO, SHA_B, CONTEXT).at(-1)!.description, 'junit-leaked')
  t.notOk(n.smtp.mails[0]!.raw.includes('junit-leaked'), 'nor in the mail')
})
