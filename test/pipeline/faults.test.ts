// Jenkins faults: every one is retried with backoff, never dropped, and visible in
// /api/builds as waiting-for-jenkins until Jenkins takes the build.
import t, { type Test } from 'tap'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { apiAuth, startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { freshDatabase } from '../support/postgres.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import type { ServiceStore } from '../../src/store/service-store.js'

const JOB = 'ds/churn-model/main'
const triggers = (h: PipelineHarness) => h.jenkins.state.requests.filter((r) => r.path.includes('/buildWithParameters'))

async function waitingInApi(t: Test, h: PipelineHarness, error: RegExp) {
  const res = await h.app.inject({ method: 'GET', url: '/api/builds?state=waiting-for-jenkins', headers: apiAuth() })
  t.equal(res.json().items.length, 1, 'visible as waiting-for-jenkins')
  t.match(res.json().items[0].lastError, error)
  t.notMatch(res.body, DEFAULT_USER.apiToken, 'no credentials in the API answer')
}

t.test('Jenkins unreachable: waits, backs off, triggers once Jenkins is back', async (t) => {
  const h = await startPipelineApp(t)
  await h.jenkins.control.down()
  await h.push()
  await h.drain()
  await waitingInApi(t, h, /^unreachable/)
  const first = (await h.builds())[0]!
  t.equal(first.nextAttemptAt! - h.clock.now(), 1000, 'first retry after the base delay')
  h.advance(1000)
  await h.drain()
  const second = (await h.builds())[0]!
  t.equal(second.attempts, 2)
  t.equal(second.nextAttemptAt! - h.clock.now(), 2000, 'then doubled')
  await h.jenkins.control.up()
  h.advance(2000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'queued', queueId: 1, lastError: null })
  t.equal(triggers(h).length, 1)
  t.notOk(
    h.logs.some((l) => l.includes(DEFAULT_USER.apiToken)),
    'no credentials in logs',
  )
})

t.test('401: a wrong token is retried, not dropped', async (t) => {
  const h = await startPipelineApp(t, { jenkins: { token: 'wrong-token-value' } })
  await h.push()
  await h.drain()
  await waitingInApi(t, h, /unauthorized \(HTTP 401\)/)
  h.advance(1000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'waiting-for-jenkins', attempts: 2 })
  t.notOk(
    h.logs.some((l) => l.includes('wrong-token-value')),
    'no credentials in logs',
  )
})

t.test('403 no valid crumb: a password without crumbs is refused and retried; with crumbs it works', async (t) => {
  const h = await startPipelineApp(t, { jenkins: { token: DEFAULT_USER.password } })
  // provisioning reads first (GET needs no crumb), the first POST is refused
  await h.push()
  await h.drain()
  await waitingInApi(t, h, /forbidden \(HTTP 403\)/)
  // The first POST (the branch registry's rewrite of the job may provision again after it, issue #14).
  t.match(
    h.jenkinsRequests().find((r) => r.startsWith('POST ')),
    /^POST .* 403$/,
  )

  const ok = await startPipelineApp(t, { jenkins: { token: DEFAULT_USER.password, tokenIsPassword: true } })
  await ok.push()
  await ok.drain()
  t.match((await ok.builds())[0], { state: 'queued' })
  const trigger = ok.jenkinsRequests().indexOf('POST /job/ds/job/churn-model/job/main/buildWithParameters 201')
  // Reads need no crumb and may come between (the job is provisioned ahead while the plan commits, and the branch
  // registry reads it): the request before the trigger that needed one, or fetched one, is the crumb's.
  const crumbOrPost = ok
    .jenkinsRequests()
    .slice(0, trigger)
    .filter((r) => r.startsWith('POST ') || r.startsWith('GET /crumbIssuer/'))
  t.equal(crumbOrPost.at(-1), 'GET /crumbIssuer/api/json 200', 'a fresh crumb before the POST')
})

t.test('500: retried with backoff until Jenkins answers', async (t) => {
  const h = await startPipelineApp(t)
  await h.push()
  await h.drain() // provisions and triggers the first push
  // The triggers only: the branch registry's rewrite of the job's choices (issue #14) may read its config first.
  h.jenkins.control.failNext(2, 500, /\/buildWithParameters$/)
  await h.push({ after: 'a'.repeat(40) })
  await h.drain()
  await waitingInApi(t, h, /server \(HTTP 500\)/)
  h.advance(1000)
  await h.drain()
  h.advance(2000)
  await h.drain()
  const builds = await h.builds()
  t.match(builds[1], { state: 'queued', lastError: null })
  t.ok(builds[1]!.attempts >= 2, 'took more than one attempt')
  t.same(triggers(h).filter((r) => r.status === 201).length, 2, 'each build accepted by Jenkins exactly once')
})

t.test('404: the job vanished, is provisioned again and the trigger retried once', async (t) => {
  const h = await startPipelineApp(t)
  await h.push()
  await h.drain()
  h.advance(10_000)
  await h.drain()
  h.jenkins.control.vanishJob('ds')
  await h.push({ after: 'b'.repeat(40) })
  await h.drain()
  const builds = await h.builds()
  t.match(builds[1], { state: 'queued', attempts: 1, lastError: null })
  t.ok(h.jenkins.state.item(JOB), 'folders and job created again')
  t.same(
    triggers(h).map((r) => r.status),
    [201, 404, 201],
  )
})

t.test('a duplicate delivery never triggers twice; two quick pushes give two builds', async (t) => {
  const h = await startPipelineApp(t)
  const a = await h.push({}, 'host-delivery-1')
  const dup = await h.push({}, 'host-delivery-1')
  t.equal(a.statusCode, 202)
  t.equal(dup.statusCode, 200, 'intake answers the duplicate as such')
  // the same commit pushed again onto another base (a reset, then a push) is a different event
  // whose Jenkins parameters differ only in DELIVERY_ID
  await h.push({ before: '1'.repeat(40) }, 'host-delivery-2')
  await h.drain()
  h.advance(5_000)
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, 2)
  t.same(
    builds.map((b) => b.buildNumber),
    [1, 2],
    'identical parameters except DELIVERY_ID: not merged by Jenkins',
  )
  t.equal(triggers(h).length, 2)
})

t.test('the same push from a repo hook and an org hook: two deliveries, one build', async (t) => {
  const h = await startPipelineApp(t)
  const payload = githubPush()
  const ids: string[] = []
  for (const hookId of ['1001', '2002']) {
    // One GUID per event, shared by every hook (https://github.com/github/docs/issues/32822).
    const d = signedGitHub('push', payload, { delivery: 'one-event-guid', hookId })
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202, `hook ${hookId}: its own delivery`)
    ids.push(res.json().id)
  }
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, 1, 'one build')
  t.equal(builds[0]!.deliveryId, ids[0])
  t.equal(triggers(h).length, 1, 'one buildWithParameters')
  t.equal((await h.store.getDispatch(ids[1]!))?.outcome, 'already planned by another delivery')
  t.equal((await h.store.getDelivery(ids[1]!))?.status, 'processed')
})

// Issue #16's outage, on both engines: Jenkins is down while the first half of a burst on three branches
// arrives and comes back for the second half. Every build is triggered once, and on each branch (one job per
// branch) in push order: the second half's builds do not overtake the first half's retries.
async function outage(t: Test, openStore?: () => Promise<ServiceStore>) {
  const h = await startPipelineApp(t, openStore ? { openStore } : {})
  const branches = ['main', 'release/1', 'release/2']
  const pushes = Array.from({ length: 12 }, (_, i) => ({
    ref: `refs/heads/${branches[i % 3]}`,
    after: (i + 1).toString(16).padStart(40, '0'),
  }))
  await h.jenkins.control.down()
  const ids: string[] = []
  for (const [i, p] of pushes.entries()) {
    if (i === 6) {
      // a retry while still down, then Jenkins is back for the second half
      h.advance(1_000)
      await h.drain()
      const first = await h.builds()
      t.equal(first.length, 6)
      t.ok(
        first.every((b) => b.state === 'waiting-for-jenkins' || b.state === 'pending'),
        'the first half waits for Jenkins',
      )
      await h.jenkins.control.up()
    }
    const r = await h.push(p, `outage-${i}`)
    t.equal(r.statusCode, 202)
    ids.push(r.id)
    await h.drain()
  }
  for (let i = 0; i < 20 && (await h.builds()).some((b) => b.state !== 'queued' && b.state !== 'running'); i++) {
    h.advance(1_000)
    await h.drain()
  }
  const sent = triggers(h)
    .filter((r) => r.status === 201)
    .map((r) => new URLSearchParams(r.body).get('DELIVERY_ID'))
  const builds = await h.builds()
  const jobOf = new Map(builds.map((b) => [b.deliveryId, b.job]))
  t.same([...sent].sort(), [...ids].sort(), 'every delivery triggered exactly once')
  for (const [i, branch] of branches.entries()) {
    const mine = ids.filter((_, k) => k % 3 === i)
    t.equal(new Set(mine.map((id) => jobOf.get(id))).size, 1, `${branch}: one job`)
    t.same(
      sent.filter((id) => jobOf.get(id!) === jobOf.get(mine[0]!)),
      mine,
      `${branch}: in push order`,
    )
  }
}

t.test('Jenkins down for the first half of a burst [sqlite]: each build once, in push order per branch', (t) =>
  outage(t),
)

t.test(
  'Jenkins down for the first half of a burst [postgres]: each build once, in push order per branch',
  async (t) => {
    const url = await freshDatabase(t)
    if (!url) return
    await outage(t, () => openPostgresStore({ url }))
  },
)
