// The pipeline's side of the store on both engines: plans (once per delivery, once per event and
// job), build patches and their runs, what is due, notices decided once, the outbox of host posts.
import t from 'tap'
import type { JenkinsRun, PlannedBuild } from '../../../src/store/builds.js'
import type { ServiceStore } from '../../../src/store/service-store.js'
import { delivery, eachEngine, emailNotice, planned } from './engines.js'

async function planOne(store: ServiceStore, key: string, over: Partial<PlannedBuild> = {}) {
  const { id } = await store.recordDelivery(delivery(key))
  const builds = await store.planDelivery({
    deliveryId: id,
    outcome: 'triggered',
    evaluation: [{ rule: 'r', matched: true }],
    builds: [planned(id, over)],
  })
  return { deliveryId: id, build: builds[0]! }
}

const run = (queueId: number | null, buildNumber: number | null, source: JenkinsRun['source']): JenkinsRun => ({
  queueId,
  buildNumber,
  buildUrl: buildNumber ? `https://ci/job/j/${buildNumber}/` : null,
  source,
})

eachEngine(t, 'one row per run, whichever of its ids came first; kept across a restart', async (t, engine) => {
  let store = await engine.open()
  const { build: b } = await planOne(store, 'k')
  const runs = async () => (await store.runsOf([b.id])).get(b.id)!.map((r) => [r.queueId, r.buildNumber, r.source])
  await store.updateBuild(b.id, { state: 'queued', queueId: 5, runs: [run(5, null, 'trigger')] })
  await store.updateBuild(b.id, { runs: [run(null, 9, 'callback')] })
  t.same(
    await runs(),
    [
      [5, null, 'trigger'],
      [null, 9, 'callback'],
    ],
    'not known yet to be one run',
  )
  await store.updateBuild(b.id, { state: 'running', buildNumber: 9, runs: [run(5, 9, 'queue')] })
  t.same(await runs(), [[5, 9, 'trigger']], 'the queue item says queue id 5 is build 9: one run, as first seen')
  await store.updateBuild(b.id, { runs: [run(5, 9, 'search'), run(7, 10, 'search'), run(null, null, 'search')] })
  const expected = [
    [5, 9, 'trigger'],
    [7, 10, 'search'],
  ]
  t.same(await runs(), expected, 'a second run is added; a sighting without ids is not')
  t.match(await store.getBuild(b.id), { state: 'running', queueId: 5, buildNumber: 9, missedAt: null })
  await store.updateBuild('no-such-build', { runs: [run(1, 1, 'search')] })
  t.same(
    [...(await store.runsOf(['no-such-build', b.id])).entries()].map(([k, v]) => [k, v.length]),
    [
      ['no-such-build', 0],
      [b.id, 2],
    ],
  )
  await store.close()
  store = await engine.open()
  t.same(await runs(), expected, 'survives a restart')
})

eachEngine(t, 'a delivery is planned once; an event once per job; patches and reads', async (t, engine) => {
  const store = await engine.open()
  const { deliveryId, build } = await planOne(store, 'a', { eventKey: 'ev-1', template: 'tests-only' })
  t.match(build, {
    deliveryId,
    state: 'pending',
    attempts: 0,
    eventKey: 'ev-1',
    parameters: { DELIVERY_ID: deliveryId },
    acceptedAt: Number,
    createdAt: /^\d{4}-/,
  })
  t.equal((await store.getDelivery(deliveryId))?.status, 'processed')
  const again = await store.planDelivery({
    deliveryId,
    outcome: 'triggered',
    evaluation: [],
    builds: [planned(deliveryId)],
  })
  t.same(
    again.map((b) => b.id),
    [build.id],
    'planning again is a no-op',
  )
  const other = await store.recordDelivery(delivery('b'))
  const none = await store.planDelivery({
    deliveryId: other.id,
    outcome: 'triggered',
    evaluation: [],
    builds: [planned(other.id, { eventKey: 'ev-1', template: 'tests-only' })],
  })
  t.same(none, [], 'the same event for the same job is not planned twice')
  t.match(await store.getDispatch(other.id), { outcome: 'already planned by another delivery', skipped: null })
  t.match(await store.getDispatch(deliveryId), { outcome: 'triggered', evaluation: [{ rule: 'r', matched: true }] })

  await store.updateBuild(build.id, {
    state: 'finished',
    result: 'FAILURE',
    tests: { total: 3, failed: 1, skipped: 0 },
    callback: { result: 'FAILURE', failedStage: 'Tests', durationMs: 1200, at: '2026-01-01T00:00:00Z' },
    durationMs: 1200,
    nextAttemptAt: null,
    triggeredAt: 1_700_000_000_000,
  })
  t.match(await store.getBuild(build.id), {
    state: 'finished',
    result: 'FAILURE',
    tests: { total: 3, failed: 1, skipped: 0 },
    callback: { failedStage: 'Tests' },
    triggeredAt: 1_700_000_000_000,
  })
  t.equal((await store.findBuildByDeliveryParam('j', deliveryId))?.id, build.id)
  t.equal(await store.findBuildByDeliveryParam('other', deliveryId), null)
  t.same(await store.knownJobs(), [{ job: 'j', template: 'tests-only' }])
  t.same(await store.activeBuilds(), [])
  t.equal((await store.listBuilds({ limit: 10, state: 'finished', tenants: ['default'] })).length, 1)
  t.equal((await store.listBuilds({ limit: 10, deliveryId: other.id })).length, 0)
})

eachEngine(t, 'due builds: most overdue first, and when the next one falls due', async (t, engine) => {
  const store = await engine.open()
  const a = (await planOne(store, 'd1')).build
  const b = (await planOne(store, 'd2')).build
  const c = (await planOne(store, 'd3')).build
  await store.updateBuild(a.id, { state: 'waiting-for-jenkins', nextAttemptAt: 5_000 })
  await store.updateBuild(b.id, { state: 'queued', nextAttemptAt: 1_000 })
  await store.updateBuild(c.id, { state: 'running', nextAttemptAt: 9_000 })
  const { due, nextAt } = await store.dueBuilds(6_000, 10)
  t.same(
    due.map((x) => x.id),
    [b.id, a.id],
  )
  t.equal(nextAt, 9_000)
  t.same((await store.dueBuilds(6_000, 1)).due.length, 1)
  t.same(
    (await store.activeBuilds()).map((x) => x.id),
    [a.id, b.id, c.id],
  )
})

eachEngine(t, 'a finished build is decided once; its notices go through the outbox', async (t, engine) => {
  const store = await engine.open()
  const { build } = await planOne(store, 'n1')
  await store.updateBuild(build.id, { state: 'finished', result: 'FAILURE' })
  t.same(
    (await store.undecidedBuilds(10)).map((b) => b.id),
    [build.id],
  )
  const decision = {
    buildId: build.id,
    threadKey: 'default/acme/r/main/j',
    outcome: 'first-failure' as const,
    notified: true,
    reason: 'first failure',
    decidedAt: 1_000,
  }
  const notice = emailNotice(build.id, 'n-1')
  t.equal(await store.recordDecision(decision, [notice], 1_000), true)
  t.equal(await store.recordDecision(decision, [{ ...notice, id: 'n-2' }], 1_000), false, 'decided once')
  t.same(await store.undecidedBuilds(10), [])
  t.match(await store.lastNotifiedDecision(decision.threadKey), { buildId: build.id, notified: true, decidedAt: 1_000 })
  t.equal(await store.decisionsAfter(decision.threadKey, build.id), 0)
  const { due, nextAt } = await store.dueNotifications(2_000, 10)
  t.match(due, [{ id: 'n-1', state: 'pending', recipients: ['a@example.com'], payload: { text: 'hi' } }])
  t.equal(nextAt, null)
  t.equal(await store.updateNotification('n-1', 'pending', { state: 'sending', attempts: 1 }), true)
  t.equal(await store.updateNotification('n-1', 'pending', { state: 'sent' }), false, 'not in `from` any more')
  t.equal(await store.abandonInterruptedSends('restarted', 3_000), 1)
  t.match(await store.getNotification('n-1'), { state: 'dead', lastError: 'restarted', attempts: 1 })
  t.equal((await store.listNotifications({ limit: 10, state: 'dead' })).length, 1)
  t.equal((await store.listNotifications({ limit: 10, tenants: ['other'] })).length, 0)
})

eachEngine(t, 'host posts: stored once per target and version, moved between states', async (t, engine) => {
  const store = await engine.open()
  const post = (id: string, version: number) => ({
    id,
    buildId: 'b-1',
    tenant: 'default',
    provider: 'github',
    repository: 'acme/r',
    kind: 'status' as const,
    target: 'abc ci/tamer',
    version,
    payload: { state: 'pending' },
    credential: 'reporting.hosts.0',
  })
  t.equal(await store.recordHostPosts([post('p1', 1), post('p2', 2)]), 2)
  t.equal(await store.recordHostPosts([post('p3', 2)]), 0, 'the same target and version: left as is')
  t.equal(await store.newestHostPostVersion('github', 'acme/r', 'abc ci/tamer'), 2)
  t.equal(await store.newestHostPostVersion('github', 'acme/r', 'other'), null)
  t.equal(await store.updateHostPost('p1', 'pending', { state: 'superseded' }), true)
  t.equal(await store.updateHostPost('p2', 'pending', { state: 'sending', attempts: 1, nextAttemptAt: 50 }), true)
  t.equal(await store.resumeInterruptedHostPosts(100), 1)
  const { due } = await store.dueHostPosts(100, 10)
  t.match(due, [{ id: 'p2', state: 'pending', attempts: 1, nextAttemptAt: null, payload: { state: 'pending' } }])
  t.equal(
    await store.updateHostPost('p2', 'pending', { state: 'sent', answer: { status: 201, id: 7, url: null } }),
    true,
  )
  t.match(await store.hostPostsOfBuild('b-1'), [
    { id: 'p1', state: 'superseded' },
    { id: 'p2', state: 'sent', answer: { status: 201, id: 7 } },
  ])
})

eachEngine(
  t,
  "a build planned with its trigger's intent: stored 'triggering' under the intent's id",
  async (t, engine) => {
    const store = await engine.open()
    const id = '00000000-0000-4000-8000-00000000000a'
    const at = Date.now() - 1000
    const { build: b } = await planOne(store, 'intent', { intent: { id, at } })
    t.match(b, { id, state: 'triggering', attempts: 1, triggeredAt: at, missedAt: null, nextAttemptAt: null })
    const { due } = await store.dueBuilds(Date.now(), 10)
    t.same(
      due.map((x) => x.id),
      [id],
      'due to whoever did not plan it (an uncertain trigger)',
    )
    const { build: plain } = await planOne(store, 'plain')
    t.match(plain, { state: 'pending', attempts: 0, triggeredAt: null })
    t.not(plain.id, id)
  },
)

eachEngine(
  t,
  "an intent behind a held build of its job is not committed: planned pending, for its trigger step's order check",
  async (t, engine) => {
    const store = await engine.open()
    const { build: first } = await planOne(store, 'held-first')
    const at = Date.now() - 1000
    const intent = (n: number) => ({ id: `00000000-0000-4000-8000-00000000010${n}`, at })
    await store.updateBuild(first.id, { state: 'waiting-for-jenkins', attempts: 1, nextAttemptAt: Date.now() + 60_000 })
    const { build: behind } = await planOne(store, 'held-behind', { intent: intent(1) })
    t.match(
      behind,
      { state: 'pending', attempts: 0, triggeredAt: null },
      'no intent behind a build waiting for Jenkins',
    )
    t.not(behind.id, intent(1).id)
    const { build: otherJob } = await planOne(store, 'held-other', { job: 'k', intent: intent(2) })
    t.match(otherJob, { id: intent(2).id, state: 'triggering' }, "another job's intent is committed")
    await store.updateBuild(first.id, { state: 'queued', queueId: 1, nextAttemptAt: null })
    await store.updateBuild(behind.id, { state: 'queued', queueId: 2 })
    const { build: after } = await planOne(store, 'held-after', { intent: intent(3) })
    t.match(after, { id: intent(3).id, state: 'triggering' }, 'committed once nothing earlier of the job is held')
  },
)

eachEngine(t, 'builds read by id together: those that exist, in the order asked', async (t, engine) => {
  const store = await engine.open()
  const { build: a } = await planOne(store, 'g1')
  const { build: b } = await planOne(store, 'g2')
  t.same(
    (await store.getBuilds([b.id, 'no-such-build', a.id])).map((x) => x.id),
    [b.id, a.id],
  )
  t.same(await store.getBuilds([]), [])
})
