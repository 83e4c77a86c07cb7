// Issue #17: a trigger whose outcome is unknown (Tamer died during buildWithParameters, or no
// answer came) is resolved without a window: the queue, then every build since the intent
// (`allBuilds`, not the newest 100 of `builds`), and it is posted again only when a second
// look, the quiet period plus jenkins.uncertainGraceMs after the first miss, misses too.
// Every run Jenkins has of a DELIVERY_ID is recorded and shown by /api/builds.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { dieAfterAccept, dieAfterIntent } from '../support/crash.js'
import { basic, raw } from '../support/jenkins-emulator/http-client.js'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { INTENT_FRESH_MS } from '../../src/pipeline/steps.js'
import { apiAuth, CALLBACK_SECRET, startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'

const JOB = 'ds/churn-model/main'
const JOB_PATH = '/job/ds/job/churn-model/job/main'
// Tamer's defaults: quiet period 5 s + grace 10 s between the two looks.
const SETTLE_MS = 15_000

/** How many times Jenkins has this DELIVERY_ID: builds of the job plus items still queued. */
function runsInJenkins(h: PipelineHarness, deliveryParam: string): number {
  const has = (params: { name: string; value: string | boolean }[] | null) =>
    params?.some((p) => p.name === 'DELIVERY_ID' && p.value === deliveryParam) ?? false
  const job = h.jenkins.state.item(JOB)
  const built = job?.builds.filter((b) => has(b.params)).length ?? 0
  const queued = h.jenkins.state.queue.items.filter(
    (i) => i.job === job && !i.cancelled && !i.build && has(i.params),
  ).length
  return built + queued
}

/** A person (or another tool) starts the job with these parameters, bypassing Tamer. */
async function startByHand(h: PipelineHarness, params: Record<string, string>) {
  const res = await raw(h.jenkins.url, `${JOB_PATH}/buildWithParameters`, {
    method: 'POST',
    auth: basic(DEFAULT_USER.id, DEFAULT_USER.apiToken),
    form: params,
  })
  if (res.status !== 201) throw new Error(`buildWithParameters answered ${res.status}`)
}

async function apiBuild(h: PipelineHarness, id: string) {
  return (await h.app.inject({ method: 'GET', url: `/api/builds/${id}`, headers: apiAuth() })).json()
}

t.test(
  'more than 100 builds of the job since the uncertain trigger: found past the newest 100, not posted again',
  async (t) => {
    const kill = dieAfterAccept()
    const h = await startPipelineApp(t, { wrapStore: kill.wrap })
    await h.push()
    await kill.dead
    const mine = (await h.builds())[0]!
    h.advance(1_000) // queued with quiet period 0: built
    for (let i = 0; i < 150; i++) await startByHand(h, { ...mine.parameters, DELIVERY_ID: `by-hand-${i}` })
    h.advance(10_000)
    t.equal(h.jenkins.state.item(JOB)?.builds.length, 151, "151 builds: Tamer's first, then 150 others")
    await h.restart()
    await h.drain()
    const b = (await h.builds())[0]!
    t.match(b, { state: 'finished', buildNumber: 1, queueId: 1, attempts: 1 }, 'adopted build #1')
    t.equal(runsInJenkins(h, mine.parameters.DELIVERY_ID!), 1, 'built exactly once')
    const pages = h.jenkins.state.requests.filter((r) => decodeURIComponent(r.path).includes('tree=allBuilds['))
    t.same(
      pages.map((r) => /\{(\d+),(\d+)\}/.exec(decodeURIComponent(r.path))?.slice(1)),
      [
        ['0', '100'],
        ['100', '200'],
      ],
      'allBuilds paged to the builds older than the intent',
    )
    t.match((await apiBuild(h, b.id)).runs, [{ queueId: 1, buildNumber: 1, source: 'search' }])
  },
)

t.test('in neither the queue nor the builds (the queue→build gap): looked for again, then adopted', async (t) => {
  const kill = dieAfterAccept()
  // A busy Jenkins: 8 s between the item leaving the queue and its build existing.
  const h = await startPipelineApp(t, { wrapStore: kill.wrap, emulator: { executableGapMs: 8_000 } })
  await h.push()
  await kill.dead
  const mine = (await h.builds())[0]!
  h.advance(1_000) // left the queue, no build yet
  await h.restart()
  await h.drain()
  let b = (await h.builds())[0]!
  t.match(b, { state: 'triggering', attempts: 1, lastError: /looking again/ }, 'one miss is not proof')
  t.equal(b.missedAt, h.clock.now())
  t.equal(b.nextAttemptAt, h.clock.now() + SETTLE_MS, 'looks again after the quiet period plus the grace interval')
  t.equal(h.jenkins.state.item(JOB)?.builds.length, 0, 'the build does not exist yet')
  h.advance(SETTLE_MS - 1)
  await h.drain()
  t.equal((await h.builds())[0]!.state, 'triggering', 'nothing before then')
  h.advance(1)
  await h.drain()
  b = (await h.builds())[0]!
  t.match(
    b,
    { state: 'finished', buildNumber: 1, queueId: 1, attempts: 1, missedAt: null, lastError: null },
    'adopted, then followed to its end',
  )
  t.equal(runsInJenkins(h, mine.parameters.DELIVERY_ID!), 1, 'built exactly once')
})

t.test('a request that never left is posted again after two misses, never after one', async (t) => {
  const kill = dieAfterIntent()
  const h = await startPipelineApp(t, { wrapStore: kill.wrap })
  await h.push()
  await kill.dead
  await h.restart()
  const id = (await h.builds())[0]!.parameters.DELIVERY_ID!
  await h.drain()
  t.match((await h.builds())[0], { state: 'triggering', attempts: 1, missedAt: h.clock.now() })
  t.equal(runsInJenkins(h, id), 0, 'not posted on the first miss')
  h.advance(SETTLE_MS)
  await h.drain()
  const b = (await h.builds())[0]!
  t.match(b, { state: 'queued', attempts: 2, queueId: 1, missedAt: null })
  t.equal(runsInJenkins(h, id), 1)
  const looks = h.logs.filter((l) => l.includes('looked in Jenkins for an uncertain trigger')).map((l) => JSON.parse(l))
  t.match(
    looks,
    [
      { found: 0, look: 1 },
      { found: 0, look: 2 },
    ],
    'two looks, each logged with its cost',
  )
  t.ok(
    looks.every((l) => l.requests === 2),
    'a look on a quiet job: the queue and one page of builds',
  )
  t.match((await apiBuild(h, b.id)).runs, [{ queueId: 1, buildNumber: null, source: 'trigger' }])
})

t.test(
  'never posted again before the request timeout after it was sent, whatever the quiet period and grace',
  async (t) => {
    // The sender may still be getting it to Jenkins: a replica whose lease ended mid-request on a loaded machine
    // (test/pipeline/replicas.test.ts, quiet period 1 s + grace 1 s against a 10 s request timeout).
    const kill = dieAfterIntent()
    const h = await startPipelineApp(t, {
      wrapStore: kill.wrap,
      jenkins: { quietPeriodSec: 0, uncertainGraceMs: 0, requestTimeoutMs: 10_000 },
    })
    await h.push()
    await kill.dead
    const sent = (await h.builds())[0]!.triggeredAt!
    await h.restart()
    const id = (await h.builds())[0]!.parameters.DELIVERY_ID!
    await h.drain()
    h.advance(1)
    await h.drain()
    // A claim's intent (PostgreSQL) may be up to INTENT_FRESH_MS older than its request: counted in.
    const until = sent + 10_000 + INTENT_FRESH_MS
    t.match((await h.builds())[0], { state: 'triggering', attempts: 1, nextAttemptAt: until })
    t.equal(runsInJenkins(h, id), 0, 'not posted while the first request could still land')
    h.advance(until - 1 - h.clock.now())
    await h.drain()
    t.equal(runsInJenkins(h, id), 0, 'nor a moment before that')
    h.advance(1)
    await h.drain()
    t.match((await h.builds())[0], { state: 'queued', attempts: 2 })
    t.equal(runsInJenkins(h, id), 1, 'posted once its time had run out')
  },
)

t.test('no answer (timeout) but Jenkins queued it: the retry adopts it instead of posting again', async (t) => {
  // 1 s, not less: the first push's requests (provisioning, crumb, trigger) must be answered in time on a
  // loaded machine (at load 20-30 a 200 ms limit timed out the first trigger itself); the slowed one takes 2 s.
  const h = await startPipelineApp(t, { jenkins: { requestTimeoutMs: 1_000 } })
  await h.push()
  await h.drain() // provisions the job and triggers a first push
  t.equal(runsInJenkins(h, (await h.builds())[0]!.parameters.DELIVERY_ID!), 1, 'the first push triggered in time')
  h.jenkins.control.slow(2_000)
  await h.push({ after: 'c'.repeat(40) })
  await h.drain()
  let b = (await h.builds())[1]!
  t.match(b, { state: 'triggering', lastError: /^timeout/ }, 'an unanswered POST stays uncertain')
  h.jenkins.control.slow(0)
  const id = b.parameters.DELIVERY_ID!
  // The emulator answers the abandoned request late, as a slow Jenkins would: it is queued.
  for (let i = 0; i < 500 && runsInJenkins(h, id) === 0; i++) await new Promise((r) => setTimeout(r, 20))
  t.equal(runsInJenkins(h, id), 1, 'Jenkins took it')
  h.advance(1_000)
  await h.drain()
  b = (await h.builds())[1]!
  t.match(b, { state: 'running', queueId: 2, buildNumber: 2, attempts: 1 }, 'adopted')
  h.advance(5_000)
  await h.drain()
  t.equal(runsInJenkins(h, id), 1, 'built exactly once')
})

t.test('a double Jenkins did run shows in /api/builds: found by the search, and from a callback', async (t) => {
  const kill = dieAfterAccept()
  const h = await startPipelineApp(t, { wrapStore: kill.wrap })
  await h.push()
  await kill.dead
  const mine = (await h.builds())[0]!
  h.advance(3_000) // build #1 ran and finished
  await startByHand(h, mine.parameters) // a person re-runs it with the same parameters: #2
  h.advance(3_000)
  await h.restart()
  await h.drain()
  const b = (await h.builds())[0]!
  t.match(b, { state: 'finished', buildNumber: 1 }, 'follows the first')
  t.ok(
    h.logs.some((l) => l.includes('more than one run of this DELIVERY_ID')),
    'warned',
  )
  const one = await apiBuild(h, b.id)
  t.match(
    one.runs,
    [
      { queueId: 1, buildNumber: 1, source: 'search' },
      { queueId: 2, buildNumber: 2, source: 'search' },
    ],
    'both runs recorded',
  )

  // A third run by hand, reported only by the template's callback.
  await startByHand(h, mine.parameters)
  h.advance(1_000)
  const body = JSON.stringify({
    delivery_id: mine.parameters.DELIVERY_ID,
    job: JOB,
    build_number: 3,
    build_url: `${h.jenkins.url}${JOB_PATH}/3/`,
    result: 'SUCCESS',
  })
  const sig = `sha256=${createHmac('sha256', CALLBACK_SECRET).update(body).digest('hex')}`
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/jenkins/callback',
    headers: { 'content-type': 'application/json', 'x-tamer-signature': sig },
    payload: body,
  })
  t.equal(res.statusCode, 202)
  const list = (
    await h.app.inject({ method: 'GET', url: `/api/builds?delivery=${b.deliveryId}`, headers: apiAuth() })
  ).json()
  t.same(
    list.items[0].runs.map((r: { buildNumber: number; source: string }) => [r.buildNumber, r.source]),
    [
      [1, 'search'],
      [2, 'search'],
      [3, 'callback'],
    ],
    'the list shows every run, not only the one followed',
  )
  t.equal((await h.builds())[0]!.buildNumber, 1, 'the record still follows the first')
})

t.test('one run learned twice (its queue id from the trigger, its number from a callback) is one run', async (t) => {
  const h = await startPipelineApp(t)
  h.jenkins.control.setDefaultScenario({ durationMs: 60_000 })
  const { id } = await h.push()
  await h.drain()
  h.advance(1_000)
  // the callback comes before Tamer polled the queue item
  const body = JSON.stringify({ delivery_id: id, job: JOB, build_number: 1 })
  const sig = `sha256=${createHmac('sha256', CALLBACK_SECRET).update(body).digest('hex')}`
  await h.app.inject({
    method: 'POST',
    url: '/api/jenkins/callback',
    headers: { 'content-type': 'application/json', 'x-tamer-signature': sig },
    payload: body,
  })
  await h.drain()
  const b = (await h.builds())[0]!
  t.match((await apiBuild(h, b.id)).runs, [{ queueId: 1, buildNumber: 1, source: 'trigger' }])
  t.equal((await apiBuild(h, b.id)).runs.length, 1)
})
