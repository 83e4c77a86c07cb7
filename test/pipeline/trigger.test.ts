// Push → rules → provision → buildWithParameters → queue item → build → result, against the emulator.
import t from 'tap'
import { startPipelineApp, apiAuth, DS_RULE } from '../support/pipeline-app.js'
import { SHA_A, SHA_B } from '../support/payloads.js'

t.test('a push provisions the job in folders, triggers it once and follows it to its result', async (t) => {
  const h = await startPipelineApp(t)
  h.jenkins.control.setDefaultScenario({
    result: 'FAILURE',
    durationMs: 4000,
    stages: ['Checkout', 'Unit tests', 'Deploy'],
    failingStage: 'Unit tests',
    tests: { total: 57, failed: 3, skipped: 2 },
  })
  const { statusCode, id } = await h.push()
  t.equal(statusCode, 202)
  await h.drain()
  const [b, ...rest] = await h.builds()
  t.equal(rest.length, 0)
  t.match(b, {
    deliveryId: id,
    job: 'ds/churn-model/main',
    template: 'tests-only',
    state: 'queued',
    queueId: 1,
    attempts: 1,
  })
  t.match(b!.parameters, {
    DELIVERY_ID: id,
    COMMIT_SHA: SHA_B,
    BRANCH: 'main',
    PROVIDER: 'github',
    REPO_URL: 'https://github.com/acme-ds/churn-model.git',
    CALLBACK_URL: 'https://tamer.example.com/api/jenkins/callback',
  })
  t.ok(h.jenkins.state.item('ds/churn-model/main'), 'job created inside folders')
  t.equal((await h.store.getDelivery(id))?.status, 'processed')
  t.equal((await h.store.getDispatch(id))?.outcome, 'triggered')
  const triggers = h.jenkinsRequests().filter((r) => r.includes('buildWithParameters'))
  t.same(triggers, ['POST /job/ds/job/churn-model/job/main/buildWithParameters 201'])
  t.notOk(
    h.jenkinsRequests().some((r) => r.includes('crumbIssuer')),
    'API token: no crumb requests',
  )

  // the queue item leaves, the build runs; mid-run polls see building:true
  h.advance(2_000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'running', buildNumber: 1 })
  h.advance(2_100)
  await h.drain()
  const running = (await h.builds())[0]!
  t.equal(running.state, 'running', 'still polling with backoff')
  t.equal(running.tests, null, 'no test counts while the build runs')
  h.advance(10_000)
  await h.drain()
  const done = (await h.builds())[0]!
  t.match(done, {
    state: 'finished',
    result: 'FAILURE',
    failingStage: 'Unit tests',
    durationMs: 4000,
    tests: { total: 57, failed: 3, skipped: 2 },
  })
  t.match(done.logTail, /Finished: FAILURE$/)

  const list = await h.app.inject({ method: 'GET', url: '/api/builds', headers: apiAuth() })
  t.equal(list.statusCode, 200)
  t.match(list.json().items[0], { id: done.id, state: 'finished', result: 'FAILURE', job: 'ds/churn-model/main' })
  const one = await h.app.inject({ method: 'GET', url: `/api/builds/${done.id}`, headers: apiAuth() })
  t.match(one.json(), { id: done.id, buildNumber: 1, parameters: { DELIVERY_ID: id } })
  const subject = {
    tenant: 'default',
    provider: 'github',
    repository: 'acme-ds/churn-model',
    ref: 'refs/heads/main',
    branch: 'main',
    commitSha: SHA_B,
    pullRequest: null,
  }
  t.match(
    one.json(),
    { ...subject, eventKey: `github|acme-ds/churn-model|refs/heads/main|${SHA_A}|${SHA_B}` },
    "the build's typed subject, in /api/builds/:id",
  )
  t.match(list.json().items[0], subject, 'and in /api/builds')
  t.equal((await h.app.inject({ method: 'GET', url: '/api/builds' })).statusCode, 401)
})

t.test('no rule matched is recorded; one push may start several jobs', async (t) => {
  const h = await startPipelineApp(t, {
    rules: [
      DS_RULE,
      {
        name: 'notebooks',
        repository: '/^acme-ds\\/.*$/',
        paths: ['notebooks/**'],
        template: 'data-science',
        job: 'nb/{repo}',
      },
      { name: 'docs only', paths: ['docs/**'], template: 'tests-only', job: 'docs/{repo}' },
    ],
  })
  await h.push()
  const other = await h.push({ ref: 'refs/heads/feature/x', commits: [] })
  await h.drain()
  const builds = await h.builds()
  t.same(builds.map((b) => b.job).sort(), ['ds/churn-model/main', 'nb/churn-model'])
  t.equal((await h.store.getDispatch(other.id))?.outcome, 'no rule matched')
  t.equal((await h.store.getDelivery(other.id))?.status, 'processed')
})

t.test('without Jenkins configured Tamer records what it would have triggered', async (t) => {
  const h = await startPipelineApp(t, { jenkins: null })
  const { id } = await h.push()
  await h.drain()
  const [b] = await h.builds()
  t.match(b, { state: 'not-triggered', job: 'ds/churn-model/main', parameters: { DELIVERY_ID: id } })
  t.equal((await h.store.getDispatch(id))?.outcome, 'recorded')
  t.equal(h.jenkins.state.requests.length, 0)
})
