// Issue #16 (bench:load: one PostgreSQL replica triggered a quarter as fast as SQLite): on shared work
// the step slots (32) counted the routes running too, so a burst of deliveries being routed left no
// slot to claim a planned build with, and triggers waited until every route had ended. Here 33 routes
// hang in their plan's write while one delivery's plan is committed: its build must still trigger.
import t from 'tap'
import type { DeliveryPlan } from '../../src/store/builds.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'

t.test('PostgreSQL: routes under way do not take the slots of build steps', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  // Every route's plan waits here until the test lets it write.
  const held = new Map<string, () => void>()
  let opened = false
  const h = await startPipelineApp(t, {
    openStore: () => openPostgresStore({ url }),
    wrapStore: (s) => ({
      ...s,
      planDelivery: async (plan: DeliveryPlan) => {
        if (!opened) await new Promise<void>((r) => held.set(plan.deliveryId, r))
        return s.planDelivery(plan)
      },
    }),
  })
  const openAll = () => {
    opened = true
    for (const r of held.values()) r()
  }
  t.teardown(openAll)
  const ids: string[] = []
  for (let i = 0; i < 34; i++) {
    const r = await h.push({ after: (i + 1).toString(16).padStart(40, 'a') }, `guid-${i}`)
    t.equal(r.statusCode, 202)
    ids.push(r.id)
  }
  const until = async (what: () => boolean) => {
    for (const end = Date.now() + 20_000; !what() && Date.now() < end;) {
      h.pipeline.wake()
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  await until(() => held.size === 34)
  t.equal(held.size, 34, 'all 34 routes are under way, each in its plan')
  held.get(ids[0]!)!() // the first plan is committed; 33 routes still run
  const triggered = () => h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length
  await until(() => triggered() > 0)
  t.equal(triggered(), 1, 'the planned build was triggered while 33 routes were still under way')
  openAll()
  await h.drain()
  t.equal(triggered(), 34, 'and every other once their routes ended')
})
