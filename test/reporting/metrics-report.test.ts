// Issue #15 item 5 in the reporter: the metric gate's verdict as its own commit status (`tamer/metrics`,
// through the GitHub stand-in, with the real service and a real git server) and the metric table in the
// living PR comment, escaped (a metric name is the repository's text).
import t from 'tap'
import { evaluateMetrics } from '../../src/metrics/evaluate.js'
import { metricTable, metricTableMarkdown } from '../../src/metrics/table.js'
import { toThreshold } from '../../src/metrics/thresholds.js'
import { commentBody } from '../../src/reporting/comment.js'
import { gitAvailable } from '../git/repo.js'
import { GitHubStandIn } from '../support/hosts/github.js'
import { FULL_NAME, sign, startMetricsHarness } from '../support/metrics.js'
import { PARITY_FILES, PARITY_SETTINGS, REFERENCE } from '../support/parity.js'

const TOKEN = 'ghp_metricsStandInToken0123456789abcdefgh'

t.test('the PR comment carries the metric table, escaped', async (t) => {
  const v = evaluateMetrics(
    { auc: 0.785, 'f1|<img src=x>': 0.5 },
    { auc: toThreshold({ min: 0.7, maxDrop: 0.01 })! },
    {
      buildId: 'm',
      branch: 'main',
      commitSha: 'a'.repeat(40),
      buildNumber: 3,
      metrics: { auc: 0.8 },
    },
  )
  const body = commentBody({
    pr: { number: 7, title: 'tune', source: 'feature/x', target: 'main' },
    sha: 'b'.repeat(40),
    builds: [],
    diff: null,
    diffLink: null,
    limit: 65_536,
    now: 0,
    timeoutMs: 1,
    metrics: [metricTableMarkdown(metricTable(v))],
  })
  t.match(body, /\*\*Metric gate: failed\*\* \(compared with main @ aaaaaaaaaa \(#3\)\)/)
  t.match(body, /\| metric \| value \| threshold \| default branch \| delta \| result \|/)
  t.match(body, /\| auc \| 0\.785 \| >= 0\.7, drop &lt;= 0\.01 \| 0\.8 \| -0\.015 \| ❌ fail \|/)
  t.match(body, /\| f1\\\|&lt;img src=x> \| 0\.5 \|/, 'the pipe and the tag of a metric name escaped')
  t.notMatch(body, /<img/)
})

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('tamer/metrics: the verdict as a commit status beside the build status', async (t) => {
    const stand = await new GitHubStandIn({ repositories: [FULL_NAME], tokens: [TOKEN] }).start()
    t.teardown(() => stand.close())
    const m = await startMetricsHarness(t, {
      config: { reporting: { hosts: [{ provider: 'github', apiUrl: stand.url, token: TOKEN }] } },
    })
    const settings = "metrics:\n  thresholds:\n    auc: '>= 0.85'\n" + PARITY_SETTINGS
    const main1 = await m.push('main', { ...PARITY_FILES, '.tamer.yml': settings, 'model.py': 'v1\n' })
    await m.post(main1.build!, { auc: 0.8 })
    // The parity stage's post (issue #15 item 3): one row fewer than the reference.
    const b = (await m.h.store.getBuild(main1.build!.id))!
    const body = JSON.stringify({
      delivery_id: b.parameters.DELIVERY_ID,
      job: b.job,
      predictions: REFERENCE.split('\n').slice(0, 3).join('\n'),
    })
    const res = await m.h.app.inject({
      method: 'POST',
      url: '/api/jenkins/parity',
      headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body) },
      payload: body,
    })
    t.equal(res.json().verdict, 'fail')
    await m.finish('FAILURE')
    await m.h.service.reporter.drain()
    const s = stand.statusesOf(FULL_NAME, main1.sha, 'tamer/metrics')
    t.ok(s.length >= 1, 'a tamer/metrics status')
    t.match(s.at(-1), { state: 'failure', description: 'Metric gate failed: auc 0.8 is below the minimum >= 0.85' })
    t.ok(stand.statusesOf(FULL_NAME, main1.sha, 'tamer/ds').length >= 1, 'beside the build status')
    const p = stand.statusesOf(FULL_NAME, main1.sha, 'tamer/parity')
    t.ok(p.length >= 1, 'a tamer/parity status of its own')
    t.match(p.at(-1), {
      state: 'failure',
      description: 'Parity failed: row count: 3 in the reference, 2 from the image',
    })
    t.same(stand.violations, [])
  })
}
