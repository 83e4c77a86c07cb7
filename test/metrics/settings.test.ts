// `.tamer.yml` read, checked and joined with Tamer's metrics.policies: every refusal names its line.
import t from 'tap'
import { effectiveSettings, parseRepoSettings } from '../../src/metrics/settings.js'
import { toThreshold } from '../../src/metrics/thresholds.js'

const refused = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message }
  }
  return null
}

t.test('the threshold forms', async (t) => {
  t.same(
    parseRepoSettings(
      "metrics:\n  thresholds:\n    a: '>= 0.85'\n    b: '< 1e-3'\n    c: 0.5\n    d: {max: 12, maxRise: 1}\n",
    ).thresholds,
    {
      a: { min: 0.85 },
      b: { max: 0.001, maxExclusive: true },
      c: { min: 0.5 },
      d: { max: 12, maxRise: 1 },
    },
  )
  t.same(parseRepoSettings('').thresholds, {}, 'an empty file sets nothing')
  t.same(parseRepoSettings('# only a comment\n').thresholds, {})
  t.equal(toThreshold({ maxDrop: -1 }), null)
  t.equal(toThreshold('about 3'), null)
})

t.test('what is not YAML, or not the schema, is refused naming the line', async (t) => {
  t.match(
    refused(() => parseRepoSettings('metrics:\n  thresholds:\n    auc: [0.8\n')),
    {
      code: 'TAMER_REPO_SETTINGS',
      message: /^Invalid repository settings: \.tamer\.yml line \d+, column \d+: not valid YAML: /,
    },
  )
  t.match(
    refused(() => parseRepoSettings('metrics:\n  thresholds:\n    auc: 1\n    auc: 2\n')),
    {
      message: /line 4, column 5: not valid YAML: Map keys must be unique/,
    },
  )
  t.match(
    refused(() => parseRepoSettings('metrics:\n  thresholds:\n    auc: {min: 0.8, minimum: 1}\n')),
    {
      message:
        ".tamer.yml line 3, column 10: metrics.thresholds.auc: a threshold is '>= 0.85', '<= 12', a number (a minimum) or {min, max, maxDrop, maxRise}",
    },
  )
  t.match(
    refused(() => parseRepoSettings('metrics:\n  thresholds:\n    auc: {maxDrop: "0.1"}\n')),
    {
      message: /line 3, column 10: metrics\.thresholds\.auc: a threshold is/,
    },
  )
  t.match(
    refused(() => parseRepoSettings('metric:\n  thresholds: {}\n')),
    { message: /line 1, column 1: /, code: 'TAMER_REPO_SETTINGS' },
  )
  t.match(
    refused(() => parseRepoSettings('- a\n- b\n')),
    { message: /line 1: must be a mapping/ },
  )
  t.match(
    refused(() => parseRepoSettings('notify:\n  to: [not-an-address]\n')),
    { message: /line 2, column 8: notify\.to\.0: / },
  )
  t.match(
    refused(() => parseRepoSettings('a: &x [*x]\n')),
    { code: 'TAMER_REPO_SETTINGS' },
    'no crash on odd YAML',
  )
})

t.test("Tamer's policies: defaults in order, and what they forbid", async (t) => {
  const subject = {
    tenant: 'risk',
    repository: 'risk-team/model',
    rule: 'ds',
    thresholdsParameter: '{"auc": 0.6, "f1": 0.4}',
  }
  const policies = [
    { tenant: 'risk', thresholds: { auc: { min: 0.8 } }, forbid: ['thresholds.auc'] },
    { repository: 'other/*', thresholds: { auc: 0.99 } },
    { rule: 'ds', forbid: ['notify'] },
  ]
  t.same(effectiveSettings(null, subject, policies).thresholds, { auc: { min: 0.8 }, f1: { min: 0.4 } })
  t.same(
    effectiveSettings({ text: "metrics:\n  thresholds:\n    f1: '>= 0.5'\n" }, subject, policies).thresholds,
    { auc: { min: 0.8 }, f1: { min: 0.5 } },
    'the file overrides what is not forbidden',
  )
  t.match(
    refused(() =>
      effectiveSettings({ text: "metrics:\n  thresholds:\n    f1: 0.5\n    auc: '>= 0.1'\n" }, subject, policies),
    ),
    {
      code: 'TAMER_REPO_SETTINGS',
      message:
        /\.tamer\.yml line 4, column 10: metrics\.thresholds\.auc: Tamer's config \(metrics\.policies\) does not let this repository set the threshold of auc/,
    },
  )
  t.match(
    refused(() => effectiveSettings({ text: 'notify:\n  to: [a@example.com]\n' }, subject, policies)),
    {
      message: /line 2, column 3: notify: .* does not let this repository name recipients/,
    },
  )
  t.same(
    effectiveSettings(
      { text: 'notify:\n  to: [a@example.com]\n' },
      { ...subject, tenant: 'default', rule: 'x' },
      policies,
    ).notifyTo,
    ['a@example.com'],
    'policies of other tenants and rules do not apply',
  )
})
