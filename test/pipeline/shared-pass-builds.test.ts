// Issue #16 (bench:load, 0.2 CPU per replica): on shared work every pass claimed due builds, the pass a
// stored delivery wakes too, although a stored delivery makes no build due: its plan does, and the route's end
// wakes the pass that claims it. With two replicas those claims raced the routing replica's (0.36 empty build
// claims per delivery against one replica's 0.17). Here the routes hang in their plan's write while deliveries
// come in: the passes they wake claim deliveries, no builds; the routes' ends then claim and trigger each.
import t from 'tap'
import type { DeliveryPlan } from '../../src/store/builds.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'

t.test('PostgreSQL: a pass for a stored delivery claims no builds', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const held: (() => void)[] = []
  let holding = true
  let deliveryClaims = 0
  let buildClaims = 0
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
    }),
  })
  await h.drain() // the start's pass is behind
  const before = { deliveries: deliveryClaims, builds: buildClaims }
  for (let i = 0; i < 3; i++) {
    t.equal((await h.push({ after: (i + 1).toString(16).padStart(40, 'd') }, `builds-${i}`)).statusCode, 202)
    for (const end = Date.now() + 20_000; held.length <= i && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 20))
  }
  t.equal(held.length, 3, 'each delivery was claimed and its route is in its plan')
  t.ok(deliveryClaims - before.deliveries >= 3, 'by passes that claimed deliveries')
  t.equal(buildClaims - before.builds, 0, 'and no builds')
  holding = false
  for (const r of held) r()
  await h.drain()
  const triggered = h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length
  t.equal(triggered, 3, "the routes' ends claimed and triggered each build")
})
