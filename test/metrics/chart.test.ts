// The metric chart (issue #15 item 2): the pure SVG function on known metrics (points in commit order,
// the threshold line at its y, labels escaped, an empty history), and GET /api/repos/:repo/metrics.svg
// through the real service on a real git server: the branch beside the default branch, tenant-scoped.
import t from 'tap'
import { chartFromReports, metricChartSvg, thresholdLines, CHART_HEIGHT } from '../../src/metrics/chart.js'
import type { MetricReport } from '../../src/store/metrics.js'
import { gitAvailable } from '../git/repo.js'
import { SECRETS } from '../support/app.js'
import { apiAuth } from '../support/pipeline-app.js'
import { FULL_NAME, startMetricsHarness } from '../support/metrics.js'

const report = (seq: number, branch: string, auc: number, threshold = '>= 0.7, drop <= 0.01'): MetricReport => ({
  seq,
  buildId: `b${seq}`,
  tenant: 'default',
  repository: 'acme/churn',
  branch,
  commitSha: `${seq}`.repeat(40).slice(0, 40),
  job: 'j',
  buildNumber: seq,
  metrics: { auc },
  pass: true,
  verdict: { results: [{ name: 'auc', threshold, baseline: 0.8 }] },
  reportedAt: '2026-12-06T00:00:00Z',
})

const circles = (svg: string, branch: string) => {
  const g = new RegExp(`<g class="series" data-branch="${branch}">(.*?)</g>`).exec(svg)?.[1] ?? ''
  return [...g.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }))
}

t.test('points in commit order, the default branch beside, threshold lines at their y', async (t) => {
  // Newest first, as the store lists them; main and the branch interleave on one axis.
  const branch = [report(5, 'feat', 0.75), report(3, 'feat', 0.79)]
  const main = [report(4, 'main', 0.82), report(1, 'main', 0.8)]
  const input = chartFromReports('auc', { name: 'feat', reports: branch }, { name: 'main', reports: main })
  t.same(
    input.series.map((s) => [s.branch, s.points.map((p) => p.value)]),
    [
      ['feat', [0.79, 0.75]],
      ['main', [0.8, 0.82]],
    ],
    'oldest first per branch',
  )
  t.same(
    input.thresholds.map((l) => [l.label, Number(l.value.toFixed(6))]),
    [
      ['>= 0.7', 0.7],
      ['drop <= 0.01', 0.79],
    ],
    'absolute bound, and the relative one from the default-branch value',
  )
  const svg = metricChartSvg(input)
  t.notMatch(svg, /<script|on[a-z]+=|href|<style|<foreignObject/i, 'no script, handler, link or style')
  const feat = circles(svg, 'feat')
  const mainPts = circles(svg, 'main')
  t.equal(feat.length, 2)
  t.equal(mainPts.length, 2)
  // x follows report order: main#1 < feat#3 < main#4 < feat#5.
  t.ok(mainPts[0]!.x < feat[0]!.x && feat[0]!.x < mainPts[1]!.x && mainPts[1]!.x < feat[1]!.x, 'commit order')
  // y falls as the value rises; 0.82 is the highest point, 0.7 (threshold) the lowest line.
  t.ok(mainPts[1]!.y < mainPts[0]!.y && feat[1]!.y > feat[0]!.y)
  const lineY = (label: string) => Number(new RegExp(`y1="([\\d.]+)"[^>]*/><text[^>]*>${label}<`).exec(svg)?.[1])
  const y07 = lineY('&gt;= 0.7')
  const y079 = lineY('drop &lt;= 0.01')
  t.ok(y07 > Math.max(...feat.map((p) => p.y), ...mainPts.map((p) => p.y)), 'the 0.7 line is below every point')
  t.ok(y07 < CHART_HEIGHT, 'inside the image')
  // 0.79 is the feature branch's first value: the same y.
  t.ok(Math.abs(y079 - feat[0]!.y) < 0.2, `drop line at 0.79 (${y079} vs ${feat[0]!.y})`)
})

t.test('labels are escaped', async (t) => {
  const evil = '"><script>alert(1)</script>'
  const svg = metricChartSvg({
    metric: `auc${evil}`,
    series: [{ branch: `x${evil}&`, points: [{ seq: 1, sha: evil, value: 1 }] }],
    thresholds: [{ label: `>= 0.5${evil}`, value: 0.5 }],
  })
  t.notMatch(svg, /<script/)
  t.notMatch(svg, /"><script/)
  t.match(svg, /&quot;&gt;&lt;script&gt;/)
  t.match(svg, /x&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;/)
})

t.test('an empty history is a "no metrics yet" SVG', async (t) => {
  const svg = metricChartSvg(chartFromReports('auc', { name: 'feat', reports: [] }, { name: 'main', reports: [] }))
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  t.match(svg, /no metrics yet for auc/)
  t.notMatch(svg, /<circle|NaN|Infinity/)
  // One point, and equal values: a finite scale, never NaN.
  const one = metricChartSvg(chartFromReports('auc', { name: 'main', reports: [report(1, 'main', 0.8, '')] }, null))
  t.notMatch(one, /NaN|Infinity/)
  t.equal(circles(one, 'main').length, 1)
  t.same(thresholdLines('>= 0.85, <= 12, rise <= 2', null), [
    { label: '>= 0.85', value: 0.85 },
    { label: '<= 12', value: 12 },
  ])
})

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('GET /api/repos/:repo/metrics.svg: the branch beside main, tenant-scoped', async (t) => {
    const m = await startMetricsHarness(t, {
      config: { api: { tokens: [SECRETS.api, { token: 'other-tenant-token', tenants: ['other'] }] } },
    })
    const settings = 'metrics:\n  thresholds:\n    auc: { min: 0.7, maxDrop: 0.01 }\n'
    const main1 = await m.push('main', { '.tamer.yml': settings, 'model.py': 'v1\n' })
    await m.post(main1.build!, { auc: 0.8, 'a<b': 1 })
    await m.finish('SUCCESS')
    const feat = await m.push('feature/x', { 'model.py': 'v2\n' })
    await m.post(feat.build!, { auc: 0.785 })
    const url = `/api/repos/${encodeURIComponent(FULL_NAME)}/metrics.svg?branch=feature/x`
    let res = await m.h.app.inject({ url, headers: apiAuth() })
    t.equal(res.statusCode, 200, 'an image')
    t.match(res.headers['content-type'], /^image\/svg\+xml/)
    t.equal(res.headers['content-security-policy'], "default-src 'none'")
    t.equal(circles(res.body, 'feature/x').length, 1)
    t.equal(circles(res.body, 'main').length, 1)
    t.match(res.body, />auc</, 'the thresholded metric by default')
    t.match(res.body, />&gt;= 0\.7</)
    t.match(res.body, />drop &lt;= 0\.01</)
    res = await m.h.app.inject({ url: url + '&metric=a%3Cb', headers: apiAuth() })
    t.match(res.body, />a&lt;b</, 'the metric asked for, escaped')
    t.equal(circles(res.body, 'main').length, 1)
    res = await m.h.app.inject({ url: url.replace('feature/x', 'nobranch'), headers: apiAuth() })
    t.equal(res.statusCode, 200)
    t.match(res.body, /no metrics yet|<circle/, 'a branch without reports still answers an image')
    res = await m.h.app.inject({ url, headers: { authorization: 'Bearer other-tenant-token' } })
    t.equal(res.statusCode, 404, "another tenant's repository is not found")
    t.match(res.json(), { code: 'TAMER_NOT_FOUND' })
    res = await m.h.app.inject({ url })
    t.equal(res.statusCode, 401)
  })
}
