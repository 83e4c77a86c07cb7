// Rules at config load: a job name pattern that renders an invalid Jenkins name is refused, naming the key.
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { ConfigError } from '../../src/errors.js'
import { renderJobName } from '../../src/jenkins/job-name.js'

function refused(f: () => unknown): ConfigError {
  try {
    f()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('config was accepted')
}

const rule = (over: Record<string, unknown>) => ({ rules: [{ template: 'tests-only', job: 'ds/{repo}', ...over }] })

t.test('invalid job names and bad rules are refused with the key', async (t) => {
  for (const [job, problem] of [
    ['ds//x', /empty name segment/],
    ['ds/a:b', /unsafe character/],
    ['ds/{nope}', /unknown placeholder/],
    ['/ds', /start or end/],
    ['ds/x.', /end with/],
  ] as const) {
    const err = refused(() => validateCheckedConfig(rule({ job })))
    t.equal(err.key, 'rules.0.job', job)
    t.match(err.message, problem)
  }
  t.equal(refused(() => validateCheckedConfig(rule({ branch: '(' }))).key, 'rules.0.branch')
  t.equal(refused(() => validateCheckedConfig(rule({ template: 'nope' }))).key, 'rules.0.template')
  t.ok(validateCheckedConfig(rule({})).rules[0])
})

t.test("a rule may add parameters but not replace the contract's", async (t) => {
  for (const name of [
    'COMMIT_SHA',
    'BRANCH',
    'PROVIDER',
    'REPO_URL',
    'DIFF_URL',
    'DELIVERY_ID',
    'CALLBACK_URL',
    'commit_sha',
  ]) {
    const err = refused(() => validateCheckedConfig(rule({ parameters: { [name]: 'x' } })))
    t.equal(err.key, `rules.0.parameters.${name}`, name)
    t.match(err.message, /is set by Tamer for every build .*a rule may add parameters, not replace these/)
  }
  const ok = validateCheckedConfig(
    rule({ parameters: { THRESHOLDS: '{"auc": 0.8}', DOCKER_IMAGE: 'r/m', MY_FLAG: '1' } }),
  )
  t.same(
    ok.rules[0]!.parameters,
    { THRESHOLDS: '{"auc": 0.8}', DOCKER_IMAGE: 'r/m', MY_FLAG: '1' },
    "THRESHOLDS, template options and new names are the rule's to set",
  )
})

t.test('placeholder values become safe segments', async (t) => {
  t.equal(renderJobName('ds/{repo}/{branch}', { repo: 'm', branch: 'feature/x:y' }), 'ds/m/feature-x-y')
  t.equal(renderJobName('{repository}/ci', { repository: 'acme/models' }), 'acme/models/ci')
  t.throws(() => renderJobName('t/{tag}', { tag: null }), {
    code: 'TAMER_JOB_NAME_UNRESOLVED',
    message: '{tag} has no value for this event',
  })
})
