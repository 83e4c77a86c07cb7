// Issue #16: on shared work a claim writes the trigger's intent of a pending build (store/leases.ts ClaimIntent),
// and the claimer sends it. An uncertain trigger is never sent again before its request's timeout after
// triggeredAt (steps.ts resolveUncertain), so an intent that aged before its request left (the job's provisioning
// came between) is written again first: triggeredAt is when the request left, not when the build was claimed.
import t, { type Test } from 'tap'
import type { ServiceStore } from '../../src/store/service-store.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { INTENT_FRESH_MS } from '../../src/pipeline/steps.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'

async function run(t: Test, age: number) {
  const url = await freshDatabase(t)
  if (!url) return null
  let h: PipelineHarness | null = null
  const intents: number[] = []
  const wrap = (s: ServiceStore): ServiceStore => ({
    ...s,
    async claimDueBuilds(lease, limit, intent) {
      const c = await s.claimDueBuilds(lease, limit, intent)
      // The time between the claim and the request (a slow provisioning, a stalled process), on the test's clock.
      if (intent && (c.intents?.size ?? 0) > 0) {
        intents.push(intent.at)
        h?.advance(age)
      }
      return c
    },
  })
  h = await startPipelineApp(t, { openStore: () => openPostgresStore({ url }), wrapStore: wrap })
  t.equal((await h.push({}, `guid-${age}`)).statusCode, 202)
  await h.drain()
  const [b] = await h.builds()
  t.equal(intents.length, 1, 'the claim wrote the intent')
  t.equal(b?.state, 'queued', 'triggered')
  t.equal(h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length, 1, 'once')
  return { claimedAt: intents[0]!, triggeredAt: b?.triggeredAt, attempts: b?.attempts }
}

t.test('PostgreSQL: a claimed intent is sent as claimed, or written again first once it aged', async (t) => {
  const fresh = await run(t, 0)
  if (!fresh) return
  t.equal(fresh.triggeredAt, fresh.claimedAt, 'fresh: triggeredAt is the claim')
  t.equal(fresh.attempts, 1, 'one attempt')
  const aged = (await run(t, INTENT_FRESH_MS + 500))!
  t.equal(aged.triggeredAt, aged.claimedAt + INTENT_FRESH_MS + 500, 'aged: written again when the request left')
  t.equal(aged.attempts, 1, 'still one attempt')
})
