// The whole pipeline on each engine: a signed push through the real routes → the rule → the job
// provisioned on the Jenkins emulator → exactly one buildWithParameters → followed to its result;
// a restart in between triggers nothing twice.
import t, { type Test } from 'tap'
import { openPostgresStore } from '../../../src/store/postgres/index.js'
import type { ServiceStore } from '../../../src/store/service-store.js'
import { freshDatabase } from '../../support/postgres.js'
import { startPipelineApp } from '../../support/pipeline-app.js'

async function pushToResult(t: Test, openStore?: () => Promise<ServiceStore>) {
  const h = await startPipelineApp(t, openStore ? { openStore } : {})
  h.jenkins.control.setDefaultScenario({ result: 'SUCCESS', durationMs: 1000, stages: ['Tests'] })
  const { statusCode, id } = await h.push({}, 'guid-1')
  t.equal(statusCode, 202)
  t.equal((await h.push({}, 'guid-2')).statusCode, 202, 'another push (another delivery GUID) of the same event')
  await h.drain()
  await h.restart()
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, 1, 'one build for the event')
  t.match(builds[0], { deliveryId: id, job: 'ds/churn-model/main', state: 'queued', attempts: 1 })
  h.advance(5_000)
  await h.drain()
  h.advance(5_000)
  await h.drain()
  t.match((await h.builds())[0], { state: 'finished', result: 'SUCCESS', buildNumber: 1 })
  t.same(
    h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')),
    ['POST /job/ds/job/churn-model/job/main/buildWithParameters 201'],
    'exactly one buildWithParameters',
  )
  t.equal((await h.store.getDispatch(id))?.outcome, 'triggered')
}

t.test('push → one buildWithParameters → result [sqlite]', (t) => pushToResult(t))

t.test('push → one buildWithParameters → result [postgres]', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  await pushToResult(t, () => openPostgresStore({ url }))
})
