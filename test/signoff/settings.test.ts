// `.tamer.yml`'s `signoff` section and Tamer's defaults (issue #15): parties per environment, lower-cased
// and each once; a wrong shape names its line; a policy's parties are the default a file replaces per
// environment, unless the policy forbids `signoff`.
import t from 'tap'
import { effectiveSettings, parseRepoSettings } from '../../src/metrics/settings.js'

const refused = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message }
  }
  return null
}
const subject = { tenant: 'risk', repository: 'acme-ds/churn', rule: 'ds' }

t.test('parties per environment', async (t) => {
  t.same(parseRepoSettings('signoff:\n  production: [Ada@Example.com, bob@example.com, ada@example.com]\n').signoff, {
    production: ['ada@example.com', 'bob@example.com'],
  })
  t.same(parseRepoSettings('metrics: {}\n').signoff, {}, 'none named')
})

t.test('a wrong shape names its line', async (t) => {
  t.match(
    refused(() => parseRepoSettings('metrics: {}\nsignoff:\n  production: [not-an-address]\n')),
    {
      code: 'TAMER_REPO_SETTINGS',
      message: /^Invalid repository settings: \.tamer\.yml line 3, column 16: signoff\.production\.0: /,
    },
  )
  t.match(
    refused(() => parseRepoSettings('signoff:\n  production: []\n')),
    { message: /line 2.*signoff\.production/ },
  )
  t.match(
    refused(() => parseRepoSettings('signoff:\n  "prod uction": [a@b.c]\n')),
    { message: /line 2.*signoff/ },
  )
  t.match(
    refused(() => parseRepoSettings('signoff: [a@b.c]\n')),
    { message: /line 1, column 10: signoff/ },
  )
})

t.test("Tamer's defaults, replaced per environment, or forbidden", async (t) => {
  const policies = [{ tenant: 'risk', signoff: { production: ['Risk@example.com'], staging: ['qa@example.com'] } }]
  t.same(effectiveSettings(null, subject, policies).signoff, {
    production: ['risk@example.com'],
    staging: ['qa@example.com'],
  })
  t.same(effectiveSettings({ text: 'signoff:\n  production: [ada@example.com]\n' }, subject, policies).signoff, {
    production: ['ada@example.com'],
    staging: ['qa@example.com'],
  })
  t.same(effectiveSettings(null, { ...subject, tenant: 'other' }, policies).signoff, {}, 'another tenant')
  t.match(
    refused(() =>
      effectiveSettings({ text: 'metrics: {}\nsignoff:\n  production: [ada@example.com]\n' }, subject, [
        { ...policies[0]!, forbid: ['signoff'] },
      ]),
    ),
    {
      code: 'TAMER_REPO_SETTINGS',
      message: /line 3, column 3: signoff: Tamer's config \(metrics\.policies\) does not let/,
    },
  )
})
