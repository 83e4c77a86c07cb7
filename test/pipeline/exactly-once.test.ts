// Exactly once in effect: Tamer dies after Jenkins accepted buildWithParameters but
// before it recorded the queue item; after the restart it finds that request by its
// DELIVERY_ID instead of starting a second build. Plus: restarts resume following,
// and the signed callback.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { dieAfterAccept } from '../support/crash.js'
import { apiAuth, CALLBACK_SECRET, startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'

const JOB = 'ds/churn-model/main'

const accepted = (h: PipelineHarness) =>
  h.jenkins.state.requests.filter((r) => r.path.includes('/buildWithParameters') && r.status === 201).length

for (const late of [false, true]) {
  t.test(
    `killed between accept and record, restarted ${late ? 'after the queue item was forgotten' : 'while it is queued'}`,
    async (t) => {
      const kill = dieAfterAccept()
      const h = await startPipelineApp(t, { wrapStore: kill.wrap, emulator: { quietPeriodSec: 5 } })
      await h.push()
      await kill.dead
      // Held: the pipeline would resume the build at once, before this look at what the crash left.
      await h.restart({ holdPipeline: true })
      t.match((await h.builds())[0], { state: 'triggering', attempts: 1, queueId: null })
      t.equal(accepted(h), 1, 'Jenkins accepted it')
      if (late) h.advance(6 * 60_000) // build started and its LeftItem expired (5 min)
      await h.drain()
      const b = (await h.builds())[0]!
      // adopted: the queue item while it is queued, else the build found by its DELIVERY_ID parameter (followed at
      // once)
      t.equal(b.state, late ? 'finished' : 'queued', 'adopted the request Jenkins already had')
      t.equal(b.queueId, 1)
      t.equal(accepted(h), 1, 'no second trigger')
      h.advance(60_000)
      await h.drain()
      t.match((await h.builds())[0], { state: 'finished', result: 'SUCCESS', buildNumber: 1 })
      t.equal(h.jenkins.state.item(JOB)?.builds.length, 1, 'one build in Jenkins')
    },
  )
}

t.test('pending deliveries and builds resume after a restart', async (t) => {
  const h = await startPipelineApp(t)
  await h.push()
  await h.drain()
  await h.restart()
  h.advance(2_000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'running', buildNumber: 1 })
  h.advance(30_000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'finished', result: 'SUCCESS' })
})

const sign = (body: string, secret = CALLBACK_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

t.test('callback: signed report speeds up following; a bad signature is refused', async (t) => {
  const h = await startPipelineApp(t)
  h.jenkins.control.setDefaultScenario({ durationMs: Infinity, stages: ['Checkout', 'Model metric gate'] })
  const { id } = await h.push()
  await h.drain()
  h.advance(2_000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'running', buildNumber: 1 })
  const body = JSON.stringify({
    delivery_id: id,
    job: JOB,
    build_number: 1,
    result: 'FAILURE',
    failed_stage: 'Model metric gate',
    duration_ms: 1234,
  })
  const post = (sig: string, payload = body) =>
    h.app.inject({
      method: 'POST',
      url: '/api/jenkins/callback',
      headers: { 'content-type': 'application/json', 'x-tamer-signature': sig },
      payload,
    })
  t.equal((await post(sign(body, 'wrong'))).statusCode, 401)
  t.equal((await post('sha256=zz')).statusCode, 401)
  const other = JSON.stringify({ delivery_id: 'nope', job: JOB })
  t.equal((await post(sign(other), other)).statusCode, 404)
  const ok = await post(sign(body))
  t.equal(ok.statusCode, 202)
  const afterCallback = (await h.builds())[0]!
  t.equal(afterCallback.nextAttemptAt, h.clock.now(), 'polls right away')
  await h.drain()
  t.equal((await h.builds())[0]!.state, 'running', 'the post block runs while building is still true: not finished yet')
  h.jenkins.control.completeBuild(JOB, 1, 'FAILURE')
  h.advance(2_000)
  await h.drain()
  const done = (await h.builds())[0]!
  t.match(done, {
    state: 'finished',
    result: 'FAILURE',
    failingStage: 'Model metric gate',
    callback: { result: 'FAILURE' },
  })
  const one = await h.app.inject({ method: 'GET', url: `/api/builds/${done.id}`, headers: apiAuth() })
  t.notMatch(one.body, CALLBACK_SECRET)
})

t.test('callbacks are refused when no secret is configured', async (t) => {
  const h = await startPipelineApp(t, { jenkins: { callbackSecret: '' } })
  const body = JSON.stringify({ delivery_id: 'x', job: JOB })
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/jenkins/callback',
    headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body, '') },
    payload: body,
  })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'TAMER_CALLBACK_NOT_CONFIGURED')
})
