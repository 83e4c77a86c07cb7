// Runs of a branch from Tamer (issue #14): POST /api/repos/:repo/branches/:branch/runs through the
// real service, real SQLite and the Jenkins emulator. A run takes the push's durable path (stored
// once, triggered once with the branch's head, followed to its end); bad requests are coded.
import t from 'tap'
import { SECRETS } from '../support/app.js'
import { apiAuth, startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { SHA_B, SHA_C, ZERO } from '../support/payloads.js'

const NASTY = 'feature/ü; rm -rf ~'
const enc = encodeURIComponent
const RULES = [
  {
    name: 'tests',
    repository: 'acme-ds/*',
    branch: 'main',
    events: ['push'],
    template: 'tests-only',
    job: 'tests/{repo}',
    parameters: { THRESHOLDS: '{"auc": 0.8}' },
  },
  { name: 'other', repository: 'elsewhere/*', events: ['push'], template: 'tests-only', job: 'other/{repo}' },
]
const operate = { authorization: 'Bearer operate-token' }

async function setUp(t: { teardown(fn: () => unknown): void }): Promise<PipelineHarness> {
  const h = await startPipelineApp(t, {
    rules: RULES,
    config: {
      tenants: [{ name: 'risk', repositories: ['risk-team/*'] }],
      api: {
        tokens: [
          SECRETS.api,
          { token: 'operate-token', scope: 'operate' },
          { token: 'risk-operate', scope: 'operate', tenants: ['risk'] },
        ],
      },
    },
  })
  // The nasty branch is created (a push the rule's branch filter does not start anything for).
  await h.push({ ref: `refs/heads/${NASTY}`, before: ZERO, after: SHA_C, created: true, commits: [] })
  await h.drain()
  await h.service.branches.catchUp()
  return h
}

const runUrl = (branch: string, repo = 'acme-ds/churn-model') => `/api/repos/${enc(repo)}/branches/${enc(branch)}/runs`

t.test('a run starts the rule on the branch head, once, and is followed to its end', async (t) => {
  const h = await setUp(t)
  t.equal((await h.builds()).length, 0, 'the push itself matched no rule (branch main only)')
  const post = (headers: Record<string, string>, body: unknown = { rule: 'tests' }) =>
    h.app.inject({ method: 'POST', url: runUrl(NASTY), headers, payload: body as object })

  const res = await post({ ...operate, 'idempotency-key': 'k-1' }, { rule: 'tests', parameters: { THRESHOLDS: '{}' } })
  t.equal(res.statusCode, 202, res.body)
  const run = res.json()
  t.match(run, { duplicate: false, branch: NASTY, commitSha: SHA_C, rule: 'tests', job: 'tests/churn-model' })
  const again = await post(
    { ...operate, 'idempotency-key': 'k-1' },
    { rule: 'tests', parameters: { THRESHOLDS: '{}' } },
  )
  t.match(again.json(), { duplicate: true, deliveryId: run.deliveryId }, 'a retried request is the same run')

  await h.drain()
  h.advance(2_100)
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, 1, 'one build')
  t.match(builds[0], { rule: 'tests', branch: NASTY, commitSha: SHA_C, job: 'tests/churn-model', state: 'running' })
  t.match(builds[0]!.parameters, { BRANCH: NASTY, COMMIT_SHA: SHA_C, THRESHOLDS: '{}', DIFF_URL: '' })
  const item = h.jenkins.state.item('tests/churn-model')!
  t.equal(item.builds.length, 1, 'Jenkins got one build')
  t.same(
    item.builds[0]!.params!.find((p) => p.name === 'BRANCH')?.value,
    NASTY,
    'the branch name reached Jenkins as it is',
  )
  h.jenkins.control.completeBuild('tests/churn-model', 1, 'FAILURE')
  h.advance(120_000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'finished', result: 'FAILURE' })

  // The branch list shows the last build of the rule on the branch.
  const list = await h.app.inject({ url: `/api/repos/${enc('acme-ds/churn-model')}/branches`, headers: apiAuth() })
  const nasty = list.json().items.find((b: { branch: string }) => b.branch === NASTY)
  t.match(nasty.lastBuilds, [{ rule: 'tests', result: 'FAILURE', commitSha: SHA_C }])

  const audit = await h.store.listAudit({ limit: 10 })
  t.match(audit[0], { action: 'branch.run', actor: 'config:api.tokens[1]', target: `acme-ds/churn-model@${NASTY}` })
})

t.test('bad runs are refused with coded errors and start nothing', async (t) => {
  const h = await setUp(t)
  const post = (url: string, headers: Record<string, string>, body: unknown = { rule: 'tests' }) =>
    h.app.inject({ method: 'POST', url, headers, payload: body as object })

  t.equal((await post(runUrl(NASTY), apiAuth())).statusCode, 403, 'a read token may not run')
  const otherRule = await post(runUrl(NASTY), operate, { rule: 'other' })
  t.equal(otherRule.statusCode, 400)
  t.equal(otherRule.json().code, 'TAMER_BAD_RUN_REQUEST')
  t.match(otherRule.json().message, /no rule "other" runs for acme-ds\/churn-model \(rules that do: tests\)/)
  const contract = await post(runUrl(NASTY), operate, { rule: 'tests', parameters: { BRANCH: 'main' } })
  t.equal(contract.statusCode, 400)
  t.match(contract.json().message, /does not let a run set BRANCH/)
  const unknownParam = await post(runUrl(NASTY), operate, { rule: 'tests', parameters: { FOO: 'x' } })
  t.equal(unknownParam.statusCode, 400)
  const unknownBranch = await post(runUrl('never-pushed'), operate)
  t.equal(unknownBranch.statusCode, 404)
  t.equal((await post(runUrl('main', 'nobody/nothing'), operate)).statusCode, 404, 'an unknown repository')
  const risk = await post(runUrl(NASTY), { authorization: 'Bearer risk-operate' })
  t.equal(risk.statusCode, 404, "another tenant's repository is not found")

  // The branch is deleted: 409, nothing started.
  await h.push({ ref: `refs/heads/${NASTY}`, before: SHA_C, after: ZERO, deleted: true, commits: [] })
  await h.drain()
  await h.service.branches.catchUp()
  const gone = await post(runUrl(NASTY), operate)
  t.equal(gone.statusCode, 409)
  t.equal(gone.json().code, 'TAMER_BRANCH_GONE')
  t.match(gone.json().message, `Branch "${NASTY}" of acme-ds/churn-model no longer exists`)
  await h.drain()
  t.equal((await h.builds()).length, 0, 'nothing was built')
  t.equal(h.jenkins.state.requests.filter((r) => r.method === 'POST').length, 0, 'Jenkins was not called')
})

t.test('a rule is picked by job, or is the only one', async (t) => {
  const h = await setUp(t)
  await h.push({ ref: 'refs/heads/main', before: SHA_C, after: SHA_B })
  await h.drain()
  const byJob = await h.app.inject({
    method: 'POST',
    url: runUrl('main'),
    headers: operate,
    payload: { job: 'tests/churn-model' },
  })
  t.equal(byJob.statusCode, 202, byJob.body)
  t.match(byJob.json(), { rule: 'tests', commitSha: SHA_B })
  const none = await h.app.inject({ method: 'POST', url: runUrl('main'), headers: operate, payload: {} })
  t.equal(none.statusCode, 202, 'no body: the one rule that runs for the repository')
})
