// Issue #16: on shared work the trigger's intent of a pending build is written by the plan that inserts it (under
// the plan's lease, DeliveryPlan.lease) or, for one planned without it (as behind a held build of its job), by the
// claim that takes it (store/leases.ts ClaimIntent); the planner or the claimer sends it. An uncertain trigger is
// never sent again before its request's timeout after triggeredAt (steps.ts resolveUncertain), so an intent that
// aged before its request left (the job's provisioning came between) is written again first: triggeredAt is when
// the request left, not when the build was planned or claimed.
import t, { type Test } from 'tap'
import type { ServiceStore } from '../../src/store/service-store.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { INTENT_FRESH_MS } from '../../src/pipeline/steps.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'

async function run(t: Test, age: number, by: 'plan' | 'claim') {
  const url = await freshDatabase(t)
  if (!url) return null
  let h: PipelineHarness | null = null
  const intents: number[] = []
  let claims = 0
  const wrap = (s: ServiceStore): ServiceStore => ({
    ...s,
    async planDelivery(plan) {
      if (by === 'claim') {
        // Planned pending, without an intent or a lease: the claim's to write.
        plan.builds = plan.builds.map((b) => ({ ...b, intent: undefined }))
        delete plan.lease
      }
      const builds = await s.planDelivery(plan)
      const at = plan.builds[0]?.intent?.at
      // The time between the plan and the request (a slow provisioning, a stalled process), on the test's clock.
      if (at !== undefined && plan.lease && builds.some((b) => b.state === 'triggering')) {
        intents.push(at)
        h?.advance(age)
      }
      return builds
    },
    async claimDueBuilds(lease, limit, intent) {
      const c = await s.claimDueBuilds(lease, limit, intent)
      claims += c.due.length
      if (intent && (c.intents?.size ?? 0) > 0) {
        intents.push(intent.at)
        h?.advance(age)
      }
      return c
    },
  })
  h = await startPipelineApp(t, { openStore: () => openPostgresStore({ url }), wrapStore: wrap })
  t.equal((await h.push({}, `guid-${by}-${age}`)).statusCode, 202)
  await h.drain()
  const [b] = await h.builds()
  t.equal(intents.length, 1, `the ${by} wrote the intent`)
  t.equal(claims, by === 'plan' ? 0 : 1, by === 'plan' ? 'sent by its planner, never claimed' : 'claimed')
  t.equal(b?.state, 'queued', 'triggered')
  t.equal(h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length, 1, 'once')
  return { writtenAt: intents[0]!, triggeredAt: b?.triggeredAt, attempts: b?.attempts }
}

for (const by of ['plan', 'claim'] as const)
  t.test(`PostgreSQL: an intent the ${by} wrote is sent as written, or written again first once it aged`, async (t) => {
    const fresh = await run(t, 0, by)
    if (!fresh) return
    t.equal(fresh.triggeredAt, fresh.writtenAt, `fresh: triggeredAt is the ${by}'s`)
    t.equal(fresh.attempts, 1, 'one attempt')
    const aged = (await run(t, INTENT_FRESH_MS + 500, by))!
    t.equal(aged.triggeredAt, aged.writtenAt + INTENT_FRESH_MS + 500, 'aged: written again when the request left')
    t.equal(aged.attempts, 1, 'still one attempt')
  })
