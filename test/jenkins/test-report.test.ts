// Issue #13 item 5: test results come from Jenkins' JUnit report (`testReport/api/json`), read by the Jenkins
// adapter through the real `jenkins` client against the emulator, which serves the report as junit-plugin does
// (src/demo/jenkins-emulator/test-report.ts). No report is normal: null, no error.
import t, { type Test } from 'tap'
import { createJenkinsApi } from '../../src/jenkins/client.js'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { emulator, FOLDER_XML, pushJobXml } from '../support/jenkins-emulator/fixtures.js'
import type { BuildScenario } from '../../src/demo/jenkins-emulator/types.js'

const CASES: BuildScenario['tests'] = {
  suites: [
    {
      name: 'pytest',
      cases: [
        { className: 'tests.test_model', name: 'test_shape', status: 'PASSED' },
        {
          className: 'tests.test_model',
          name: 'test_auc_gate',
          status: 'FAILED',
          errorDetails: '\nAssertionError: AUC 0.784 is below the 0.8 gate\nassert 0.784 >= 0.8',
          errorStackTrace: 'def test_auc_gate():\n>       assert auc >= 0.8\nE       AssertionError',
        },
        { className: 'tests.test_model', name: 'test_slow', status: 'SKIPPED' },
      ],
    },
    {
      name: 'data_quality',
      cases: [
        {
          className: 'data_quality.test_nulls',
          name: 'test_no_nulls[tenure]',
          status: 'REGRESSION',
          errorDetails: null,
        },
        { className: 'data_quality.test_nulls', name: 'test_no_nulls[age]', status: 'FIXED' },
      ],
    },
  ],
}

async function finishedBuild(t: Test, tests?: BuildScenario['tests']) {
  const j = await emulator(t, { quietPeriodSec: 0 })
  j.control.createJob('ds', FOLDER_XML)
  j.control.createJob('ds/train', pushJobXml())
  j.control.setScenario('ds/train', {
    result: tests ? 'FAILURE' : 'SUCCESS',
    durationMs: 1000,
    ...(tests ? { tests } : {}),
  })
  const api = createJenkinsApi({ url: j.url, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken })
  await api.trigger('ds/train', { DELIVERY_ID: 'd1' })
  j.control.advance(500)
  t.equal((await api.build('ds/train', 1)).building, true)
  t.equal(await api.testReport('ds/train', 1), null, 'no report while the build runs (the action is not there yet)')
  j.control.advance(2000)
  return { j, api }
}

t.test('the report of a finished build: counts, then the failed cases with their first error line', async (t) => {
  const { j, api } = await finishedBuild(t, CASES)
  const before = j.state.requests.length
  const report = await api.testReport('ds/train', 1)
  t.same(report, {
    total: 5,
    failed: 2,
    skipped: 1,
    failures: [
      { name: 'tests.test_model.test_auc_gate', error: 'AssertionError: AUC 0.784 is below the 0.8 gate' },
      { name: 'data_quality.test_nulls.test_no_nulls[tenure]', error: null },
    ],
  })
  const asked = j.state.requests.slice(before).map((r) => decodeURIComponent(r.path))
  t.same(
    asked,
    [
      '/job/ds/job/train/1/testReport/api/json?tree=failCount,passCount,skipCount',
      '/job/ds/job/train/1/testReport/api/json?tree=suites[cases[className,name,status,errorDetails]]',
    ],
    'two small requests, the tree keeps stack traces and output out',
  )

  // The emulator's report as junit-plugin writes it (TestResult, SuiteResult, CaseResult).
  const raw = (await j.call('/job/ds/job/train/1/testReport/api/json')).json()
  t.match(raw, { _class: 'hudson.tasks.junit.TestResult', failCount: 2, passCount: 2, skipCount: 1, empty: false })
  t.match(raw.suites[0].cases[1], {
    className: 'tests.test_model',
    name: 'test_auc_gate',
    status: 'FAILED',
    errorStackTrace: /assert auc/,
    skipped: false,
  })
  t.notOk('_class' in raw.suites[0], 'no _class on a typed list element (Stapler IF_NEEDED)')
  const build = (await j.call('/job/ds/job/train/1/api/json')).json()
  t.match(
    build.actions.find((a: { _class?: string }) => a._class === 'hudson.tasks.junit.TestResultAction'),
    { failCount: 2, skipCount: 1, totalCount: 5, urlName: 'testReport' },
  )
})

t.test('a green report costs one request: no cases asked for', async (t) => {
  const { j, api } = await finishedBuild(t, { total: 40, failed: 0, skipped: 3 })
  const before = j.state.requests.length
  t.same(await api.testReport('ds/train', 1), { total: 40, failed: 0, skipped: 3, failures: [] })
  t.equal(j.state.requests.length - before, 1)
})

t.test('a build without a JUnit report: 404 from Jenkins, null, no error', async (t) => {
  const { j, api } = await finishedBuild(t)
  t.equal((await j.call('/job/ds/job/train/1/testReport/api/json')).status, 404)
  t.equal(await api.testReport('ds/train', 1), null)
  j.control.failNext(1, 500)
  const err = await api.testReport('ds/train', 1).catch((e: unknown) => e)
  t.match(err, { kind: 'server' }, 'a failing Jenkins is an error, not "no report"')
})

t.test('many failures: at most 20 kept, each name and error line bounded', async (t) => {
  const cases = Array.from({ length: 30 }, (_, i) => ({
    className: 'tests.test_many',
    name: `test_${i}`,
    status: 'FAILED' as const,
    errorDetails: `ValueError: ${'x'.repeat(1000)}\nsecond line`,
  }))
  const { api } = await finishedBuild(t, { suites: [{ name: 'pytest', cases }] })
  const r = (await api.testReport('ds/train', 1))!
  t.equal(r.failed, 30)
  t.equal(r.failures!.length, 20)
  t.ok(r.failures!.every((f) => f.error!.length <= 300 && !f.error!.includes('second line')))
})
