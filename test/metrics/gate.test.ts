// The metric gate end to end: a data-science repository with `.tamer.yml` on a real git server, the
// real service (SQLite, pipeline, Jenkins emulator), the template's signed metrics posts, the
// verdicts, the default branch's green baseline, the history API, and bad input of every kind.
import t from 'tap'
import { gitAvailable } from '../git/repo.js'
import { SECRETS } from '../support/app.js'
import { apiAuth } from '../support/pipeline-app.js'
import { FULL_NAME, sign, startMetricsHarness } from '../support/metrics.js'

const SETTINGS = `# thresholds of the churn model
metrics:
  thresholds:
    accuracy: '>= 0.85'
    rmse: { max: 12 }
    auc: { min: 0.7, maxDrop: 0.01 }
`
const repoPath = encodeURIComponent(FULL_NAME)

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('thresholds, the default-branch baseline, history and bad input', async (t) => {
    const m = await startMetricsHarness(t, {
      config: { api: { tokens: [SECRETS.api, { token: 'other-tenant-token', tenants: ['other'] }] } },
    })

    // main: the first green build, nothing to compare with yet.
    const main1 = await m.push('main', { '.tamer.yml': SETTINGS, 'model.py': 'v1\n' })
    t.ok(main1.build, 'a build was planned for main')
    t.equal(main1.build!.template, 'data-science')
    let r = await m.post(main1.build!, { accuracy: 0.9, rmse: 10, auc: 0.8, extra: { f1: 0.5 } })
    t.equal(r.statusCode, 200, JSON.stringify(r.body))
    t.equal(r.body.verdict, 'pass')
    t.same(r.body.reasons, [])
    t.equal(r.body.baseline, null)
    const results = r.body.results as Array<Record<string, unknown>>
    t.match(
      results.find((x) => x.name === 'auc'),
      {
        threshold: '>= 0.7, drop <= 0.01',
        pass: true,
        reason: /no green build of the default branch/,
      },
    )
    t.match(
      results.find((x) => x.name === 'extra.f1'),
      { value: 0.5, threshold: null, pass: null },
      'nested metrics',
    )
    await m.finish('SUCCESS')
    t.match(await m.h.store.getBuild(main1.build!.id), { state: 'finished', result: 'SUCCESS' })

    // A branch that regresses against main's latest green build.
    const feat = await m.push('feature/x', { 'model.py': 'v2\n' })
    r = await m.post(feat.build!, { accuracy: 0.9, rmse: 10, auc: 0.785 })
    t.equal(r.body.verdict, 'fail')
    t.match(r.body.reasons, [/^auc dropped 0\.015 from 0\.8 \(main @ [0-9a-f]{10}\), more than 0\.01$/])
    t.match(r.body.baseline, { buildId: main1.build!.id, branch: 'main', commitSha: main1.sha })
    t.match(
      (r.body.results as unknown[]).find((x) => (x as { name: string }).name === 'auc'),
      {
        value: 0.785,
        baseline: 0.8,
        delta: -0.015,
        pass: false,
      },
    )

    // Absolute thresholds, a missing metric, and values that are no numbers.
    r = await m.post(feat.build!, { accuracy: 0.8, rmse: 13, auc: 0.8 })
    t.same(r.body.reasons, ['accuracy 0.8 is below the minimum >= 0.85', 'rmse 13 is above the maximum <= 12'])
    r = await m.post(feat.build!, { accuracy: 0.9, auc: 0.8 })
    t.same(r.body.reasons, ['rmse is missing from the metrics (threshold <= 12)'])
    const cur = (await m.h.store.getBuild(feat.build!.id))!
    // Python's json.dump writes NaN and Infinity as bare tokens.
    const raw = `{"delivery_id": "${cur.parameters.DELIVERY_ID}", "job": "${cur.job}", "metrics": {"accuracy": NaN, "rmse": "high", "auc": -Infinity, "note": "a NaN in a string"}}`
    r = await m.post(feat.build!, null, raw)
    t.equal(r.statusCode, 200, JSON.stringify(r.body))
    t.same(r.body.reasons, [
      'accuracy is NaN, not a finite number (threshold >= 0.85)',
      'auc is -Infinity, not a finite number (threshold >= 0.7, drop <= 0.01)',
      'rmse is "high" (string), not a finite number (threshold <= 12)',
    ])

    // Refusals, each coded.
    const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
      m.h.app.inject({
        method: 'POST',
        url: '/api/jenkins/metrics',
        headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(payload), ...headers },
        payload,
      })
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20)
    let res = await post(big)
    t.equal(res.statusCode, 413)
    t.match(res.json(), { code: 'TAMER_PAYLOAD_TOO_LARGE', message: 'Body is larger than 1048576 bytes' })
    res = await post('{"delivery_id":"x","job":"y","metrics":{}}', { 'x-tamer-signature': 'sha256=' + '0'.repeat(64) })
    t.match(res.json(), { statusCode: 401, code: 'TAMER_BAD_SIGNATURE' })
    res = await post(`{"delivery_id":"${cur.parameters.DELIVERY_ID}","job":"${cur.job}","metrics":[1,2]}`)
    t.match(res.json(), { statusCode: 400, code: 'TAMER_BAD_METRICS' })
    res = await post('{"delivery_id":"nope","job":"nope","metrics":{}}')
    t.match(res.json(), { statusCode: 404, code: 'TAMER_NOT_FOUND' })
    res = await post('{"delivery_id": ')
    t.match(res.json(), { statusCode: 400, code: 'TAMER_MALFORMED_BODY' })

    // History: per branch, newest first, paged, tenant-scoped.
    res = await m.h.app.inject({ url: `/api/repos/${repoPath}/metrics?branch=main`, headers: apiAuth() })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json(), {
      items: [
        { buildId: main1.build!.id, branch: 'main', commitSha: main1.sha, verdict: 'pass', metrics: { auc: 0.8 } },
      ],
      nextCursor: null,
    })
    res = await m.h.app.inject({ url: `/api/repos/${repoPath}/metrics?branch=feature/x&limit=2`, headers: apiAuth() })
    const page1 = res.json()
    t.equal(page1.items.length, 2)
    t.same(page1.items[0].metrics, {}, 'the newest report had no finite values')
    t.type(page1.nextCursor, 'number')
    res = await m.h.app.inject({
      url: `/api/repos/${repoPath}/metrics?branch=feature/x&limit=2&cursor=${page1.nextCursor}`,
      headers: apiAuth(),
    })
    t.equal(res.json().items.length, 2)
    t.equal(res.json().nextCursor, null)
    res = await m.h.app.inject({
      url: `/api/repos/${repoPath}/metrics`,
      headers: { authorization: 'Bearer other-tenant-token' },
    })
    t.same(res.json(), { items: [], nextCursor: null }, "another tenant's token sees none")
    res = await m.h.app.inject({ url: `/api/repos/${repoPath}/metrics` })
    t.equal(res.statusCode, 401)
  })

  t.test('an invalid .tamer.yml ends the build before Jenkins runs it, naming the line', async (t) => {
    const m = await startMetricsHarness(t, {
      config: { metrics: { policies: [{ repository: 'acme-ds/*', forbid: ['thresholds.auc'] }] } },
    })
    const before = m.h.jenkinsRequests().filter((x) => x.includes('buildWithParameters')).length
    const bad = await m.push('main', { '.tamer.yml': 'metrics:\n  thresholds:\n    auc: [0.8\n' })
    t.match(await m.h.store.getBuild(bad.build!.id), {
      state: 'finished',
      result: 'FAILURE',
      failingStage: 'Repository settings (.tamer.yml)',
      lastError: /^Invalid repository settings: \.tamer\.yml line \d+, column \d+: not valid YAML/,
    })
    const wrong = await m.push('main', { '.tamer.yml': 'metrics:\n  thresholds:\n    auc: "about 0.8"\n' })
    t.match(await m.h.store.getBuild(wrong.build!.id), {
      state: 'finished',
      lastError: /\.tamer\.yml line 3, column 10: metrics\.thresholds\.auc: a threshold is '>= 0\.85'/,
    })
    const forbidden = await m.push('main', { '.tamer.yml': SETTINGS })
    t.match(await m.h.store.getBuild(forbidden.build!.id), {
      state: 'finished',
      result: 'FAILURE',
      lastError:
        /\.tamer\.yml line 6, column 10: metrics\.thresholds\.auc: Tamer's config \(metrics\.policies\) does not let/,
    })
    t.equal(
      m.h.jenkinsRequests().filter((x) => x.includes('buildWithParameters')).length,
      before,
      'Jenkins was never asked to run them',
    )
    const good = await m.push('main', { '.tamer.yml': "metrics:\n  thresholds:\n    accuracy: '>= 0.85'\n" })
    t.match(await m.h.store.getBuild(good.build!.id), { state: 'queued' }, 'a fixed file builds')
  })
}
