// Issue #9, item 8: one signed Bitbucket Server `repo:refs_changed` with 2,000 changes made
// 2,000 builds and 3,160 createItem calls. Through the real route, the real pipeline and the
// Jenkins emulator, the delivery now starts at most pipeline.maxBuildsPerDelivery builds
// (default 50), and what was skipped is recorded and shown.
import t from 'tap'
import { rulesTest } from '../../src/pipeline/commands.js'
import { testConfig } from '../support/app.js'
import { SHA_A, SHA_B } from '../support/payloads.js'
import { apiAuth, startPipelineApp } from '../support/pipeline-app.js'
import { bitbucketServerRefsChanged } from '../support/payloads.js'
import { signedBitbucketServer } from '../support/sign.js'

// Two rules on every release branch: 2 candidate builds per event.
const RULES = [
  {
    name: 'release tests',
    repository: 'DS/*',
    branch: 'release/.*',
    events: ['push'],
    template: 'tests-only',
    job: 'bb/{repo}/{branch}',
  },
  {
    name: 'release checks',
    repository: 'DS/*',
    branch: 'release/.*',
    events: ['push'],
    template: 'tests-only',
    job: 'checks/{repo}/{branch}',
  },
]

const changes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ref: { id: `refs/heads/release/${i}`, displayId: `release/${i}`, type: 'BRANCH' },
    refId: `refs/heads/release/${i}`,
    fromHash: SHA_A,
    toHash: SHA_B,
    type: 'UPDATE',
  }))

t.test('a signed 2,000-change refs_changed starts at most 50 builds; the skip is recorded and shown', async (t) => {
  const h = await startPipelineApp(t, { rules: RULES })
  const d = signedBitbucketServer('repo:refs_changed', bitbucketServerRefsChanged({ changes: changes(2000) }))
  t.ok(d.body.length > 250_000, `a ${Math.round(d.body.length / 1024)} KB delivery`)
  const res = await h.app.inject({ method: 'POST', url: '/hooks/bitbucket', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 202, res.body)
  const id = res.json().id as string
  await h.drain()

  const builds = await h.builds()
  t.equal(builds.length, 50, 'pipeline.maxBuildsPerDelivery (default 50) builds')
  t.same([...new Set(builds.map((b) => b.parameters.BRANCH))].length, 25, 'the first 25 events, both rules each')
  t.ok(
    builds.every((b) => b.state === 'queued' || b.state === 'running' || b.state === 'finished'),
    'all of them triggered',
  )
  const requests = h.jenkins.state.requests.filter((r) => r.method === 'POST')
  const createItem = requests.filter((r) => r.path.includes('/createItem'))
  const created = createItem.map(
    (r) =>
      new URL(r.path, 'http://x').pathname.replace(/\/createItem$/, '') +
      '/' +
      new URL(r.path, 'http://x').searchParams.get('name'),
  )
  t.equal(new Set(created).size, createItem.length, 'no item is created twice')
  const jobs = createItem.filter((r) => !r.body.includes('folder.Folder'))
  t.ok(jobs.length <= 50, `${jobs.length} jobs created, at most the cap`)
  t.ok(createItem.length <= 50 + 4, `${createItem.length} createItem calls in all (jobs and their 4 folders)`)
  t.equal(requests.filter((r) => r.path.includes('/buildWithParameters')).length, 50, '50 triggers')

  const stored = (await h.app.inject({ method: 'GET', url: `/api/deliveries/${id}`, headers: apiAuth() })).json()
  t.equal(stored.normalized.events.length, 50, 'only the first 50 events are stored for routing')
  t.match(stored.skipped, {
    events: { kept: 50, skipped: 1950, reason: /pipeline\.maxEventsPerDelivery is 50.*first 50 of 2000/ },
    builds: { kept: 50, skipped: 50, reason: /pipeline\.maxBuildsPerDelivery is 50.*first 50 of 100/ },
  })
  const dispatch = await h.store.getDispatch(id)
  t.same(dispatch?.skipped, stored.skipped, 'recorded with the routing decision')

  const lines: string[] = []
  t.equal(await rulesTest(testConfig({ rules: RULES }), h.store, id, (s) => lines.push(s)), 0)
  const text = lines.join('')
  t.match(text, /skipped 1950 event\(s\): pipeline\.maxEventsPerDelivery is 50/)
  t.match(text, /skipped 50 build\(s\): pipeline\.maxBuildsPerDelivery is 50/)
  t.match(text, /MATCH release checks \(event 49\)\n(.*\n)*? +not started: pipeline\.maxBuildsPerDelivery is 50/)
})

t.test('a delivery under the caps records no skip', async (t) => {
  const h = await startPipelineApp(t, { rules: RULES, jenkins: null })
  const d = signedBitbucketServer('repo:refs_changed', bitbucketServerRefsChanged({ changes: changes(3) }))
  const res = await h.app.inject({ method: 'POST', url: '/hooks/bitbucket', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 202)
  await h.drain()
  t.equal((await h.builds()).length, 6)
  const stored = (
    await h.app.inject({ method: 'GET', url: `/api/deliveries/${res.json().id}`, headers: apiAuth() })
  ).json()
  t.same(stored.skipped, { events: null, builds: null })
  t.equal((await h.store.getDispatch(res.json().id))?.skipped, null)
})
