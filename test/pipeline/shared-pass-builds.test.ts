// Issue #16 (bench:load, replicas at 0.1-0.2 CPU): on shared work every pass claimed, and with two replicas each
// stored delivery's NOTIFY woke both: 0.55-0.60 claims per delivery, most of them empty. Now the replica that stores
// a delivery holds it from its commit and routes it (holdStoredDeliveries), its plan holds the builds it commits
// with their intent and the planner sends them (DeliveryPlan.lease): no claim between a push and its trigger.
// Here the routes hang in their plan's write while deliveries come in; then each is planned and triggered.
import t from 'tap'
import type { DeliveryPlan } from '../../src/store/builds.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'

t.test('PostgreSQL: a stored delivery is routed and triggered by its replica without a claim', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const held: (() => void)[] = []
  let holding = true
  let deliveryClaims = 0
  let buildClaims = 0
  let notified = 0
  const h = await startPipelineApp(t, {
    openStore: () => openPostgresStore({ url }),
    wrapStore: (s) => ({
      ...s,
      claimPendingDeliveries: (lease, limit) => (deliveryClaims++, s.claimPendingDeliveries(lease, limit)),
      // The claim's intent passed on: the path production takes (a wrapper that dropped it tested the step's).
      claimDueBuilds: (lease, limit, intent) => (buildClaims++, s.claimDueBuilds(lease, limit, intent)),
      planDelivery: async (plan: DeliveryPlan) => {
        if (holding) await new Promise<void>((r) => held.push(r))
        return s.planDelivery(plan)
      },
      onWork: (l) =>
        s.onWork(
          (kinds, own) => (kinds.includes('delivery') || kinds.includes('build') ? notified++ : 0, l(kinds, own)),
        ),
    }),
  })
  await h.drain() // the start's pass is behind
  // LISTEN's connection tells every kind once when it is up: counted before, not during, the pushes.
  for (const end = Date.now() + 20_000; notified === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 20))
  t.ok(notified > 0, 'listening')
  const before = { deliveries: deliveryClaims, builds: buildClaims, notified }
  for (let i = 0; i < 3; i++) {
    t.equal((await h.push({ after: (i + 1).toString(16).padStart(40, 'd') }, `builds-${i}`)).statusCode, 202)
    for (const end = Date.now() + 20_000; held.length <= i && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 20))
  }
  t.equal(held.length, 3, 'each delivery is in its plan')
  t.equal(deliveryClaims - before.deliveries, 0, 'routed by the replica that stored it, unclaimed')
  t.equal(buildClaims - before.builds, 0, 'and no builds claimed')
  holding = false
  for (const r of held) r()
  for (
    const end = Date.now() + 20_000;
    h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length < 3 && Date.now() < end;
  )
    await new Promise((r) => setTimeout(r, 20))
  const triggered = h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length
  t.equal(triggered, 3, 'each build triggered')
  t.equal(buildClaims - before.builds, 0, 'by its planner, unclaimed')
  t.equal(notified - before.notified, 0, 'and no other replica was woken for any of it')
  await h.drain()
  t.equal(h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length, 3, 'once each')
})
