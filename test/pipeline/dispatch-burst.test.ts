// A burst of deliveries on its way to Jenkins (issue #12, item 4): routes hand their builds to at most
// `concurrency` (32) trigger steps at once, oldest first, and the trigger's intent is committed with the
// plan, so one commit less stands between a delivery and its buildWithParameters. Exactly once still
// holds: an intent the route did not send (it failed, or the process died) is an uncertain trigger.
import t from 'tap'
import type { ServiceStore } from '../../src/store/service-store.js'
import { startPipelineApp } from '../support/pipeline-app.js'

const sha = (i: number, fill: string) => i.toString(16).padStart(40, fill)

/** Each build's intent written on its own (state 'triggering' through updateBuild), counted. */
const intentWrites = (count: { n: number }) => (s: ServiceStore) =>
  ({
    ...s,
    updateBuild: async (id, patch) => {
      if (patch.state === 'triggering') count.n++
      return s.updateBuild(id, patch)
    },
  }) satisfies ServiceStore

t.test('a burst reaches Jenkins at most 32 triggers at once, each build planned with its intent', async (t) => {
  const writes = { n: 0 }
  const h = await startPipelineApp(t)
  await h.drain()
  // The burst waits in the store and is routed at once, as after a restart: 80 routes planning together.
  await h.restart({ store: intentWrites(writes), holdPipeline: true })
  // Each request takes a while, so triggers started together are in flight together.
  h.jenkins.control.slow(30)
  let inFlight = 0
  let most = 0
  h.jenkins.control.onRequest((r) => {
    if (r.path.includes('/buildWithParameters')) most = Math.max(most, ++inFlight)
  })
  h.jenkins.control.onResponse((r) => {
    if (r.path.includes('/buildWithParameters')) inFlight--
  })
  const N = 80
  const pushed = await Promise.all(Array.from({ length: N }, (_, i) => h.push({ after: sha(i, 'b') })))
  t.same(new Set(pushed.map((p) => p.statusCode)), new Set([202]))
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, N)
  t.same(new Set(builds.map((b) => b.state)), new Set(['queued']), 'every build triggered')
  t.ok(most <= 32, `at most 32 buildWithParameters in flight (saw ${most})`)
  t.ok(most > 1, 'triggers do overlap')
  t.equal(writes.n, 0, 'no intent written apart from the plan')
  t.same(new Set(builds.map((b) => b.attempts)), new Set([1]), 'one attempt each')
  const triggers = h.jenkinsRequests().filter((r) => r.includes('/buildWithParameters'))
  t.equal(triggers.length, N, 'one buildWithParameters per build')
  const ids = h.jenkins.state.queue.items.map((i) => i.params?.find((p) => p.name === 'DELIVERY_ID')?.value)
  t.equal(new Set(ids).size, N, 'each DELIVERY_ID queued once')
})

t.test(
  'an intent committed with the plan but never sent is an uncertain trigger: looked for, then sent once',
  async (t) => {
    // The route fails right after the plan's commit (as if the process died there): nothing reached Jenkins.
    let failRoutes = true
    const h = await startPipelineApp(t, {
      wrapStore: (s) =>
        ({
          ...s,
          planDelivery: async (plan) => {
            const builds = await s.planDelivery(plan)
            if (failRoutes) throw new Error('route ended after the plan was committed')
            return builds
          },
        }) satisfies ServiceStore,
    })
    await h.drain()
    const N = 3
    // One branch (one job) each: a build whose first look missed holds a later one of its job (push order, issue #16).
    for (let i = 0; i < N; i++)
      t.equal((await h.push({ ref: `refs/heads/release/${i}`, after: sha(i, 'c') })).statusCode, 202)
    await h.drain()
    failRoutes = false
    let builds = await h.builds()
    t.same(
      builds.map((b) => [b.state, b.attempts]),
      Array.from({ length: N }, () => ['triggering', 1]),
      'planned with the intent',
    )
    t.equal(h.jenkinsRequests().filter((r) => r.includes('/buildWithParameters')).length, 0, 'nothing sent')
    // Due at once to the passes: a first look misses, a second one the quiet period and the grace later (5 s + 10 s)
    // and only then is the trigger sent.
    for (let i = 0; i < 4; i++) {
      h.advance(16_000)
      await h.drain()
    }
    builds = await h.builds()
    t.ok(
      builds.every((b) => b.queueId !== null && !['triggering', 'waiting-for-jenkins'].includes(b.state)),
      'every build triggered in the end',
    )
    const triggers = h.jenkinsRequests().filter((r) => r.includes('/buildWithParameters'))
    t.equal(triggers.length, N, 'each sent once')
    const ids = h.jenkins.state.queue.items.map((i) => i.params?.find((p) => p.name === 'DELIVERY_ID')?.value)
    t.equal(new Set(ids).size, N, 'each DELIVERY_ID queued once')
  },
)
