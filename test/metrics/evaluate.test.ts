// The report reader and the verdict on names that are also Object.prototype's: metrics, not lookups.
import t from 'tap'
import { evaluateMetrics } from '../../src/metrics/evaluate.js'
import { readMetricsReport } from '../../src/metrics/report.js'
import { parseRepoSettings } from '../../src/metrics/settings.js'

t.test('metrics named __proto__, toString or constructor are plain metrics', async (t) => {
  const r = readMetricsReport(
    Buffer.from(
      '{"delivery_id":"d","job":"j","metrics":{"__proto__":{"x":1},"toString":2,"constructor":"c","hasOwnProperty":3}}',
    ),
    100,
  )
  t.same(Object.keys(r.metrics).sort(), ['__proto__.x', 'constructor', 'hasOwnProperty', 'toString'])
  const v = evaluateMetrics(r.metrics, {}, null)
  t.equal(v.pass, true, 'nothing is thresholded, so nothing fails')
  t.same(
    v.results.map((x) => [x.name, x.value, x.threshold]),
    [
      ['__proto__.x', 1, null],
      ['constructor', null, null],
      ['hasOwnProperty', 3, null],
      ['toString', 2, null],
    ],
  )
  const s = parseRepoSettings('metrics:\n  thresholds:\n    toString: ">= 5"\n')
  const judged = evaluateMetrics(r.metrics, s.thresholds, {
    buildId: 'b',
    branch: 'main',
    commitSha: null,
    buildNumber: null,
    metrics: JSON.parse('{"valueOf": 1}'),
  })
  t.same(judged.reasons, ['toString 2 is below the minimum >= 5'])
})

t.test('more metrics than allowed, or a name too long, is refused', async (t) => {
  const many = JSON.stringify({
    delivery_id: 'd',
    job: 'j',
    metrics: Object.fromEntries([...Array(11).keys()].map((i) => [`m${i}`, i])),
  })
  t.throws(() => readMetricsReport(Buffer.from(many), 10), {
    code: 'TAMER_BAD_METRICS',
    message: /more than 10 metrics/,
  })
  const long = JSON.stringify({ delivery_id: 'd', job: 'j', metrics: { ['a'.repeat(201)]: 1 } })
  t.throws(() => readMetricsReport(Buffer.from(long), 10), { code: 'TAMER_BAD_METRICS' })
  t.throws(() => readMetricsReport(Buffer.from('[]'), 10), { code: 'TAMER_BAD_METRICS' })
})
