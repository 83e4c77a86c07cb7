// Issue #16 (bench:load at load 31: one build left untriggered for minutes, nothing else to do): on shared
// work a pass whose claim fails (the database busy, a pool that could not connect in time) set no poll
// after it. When that pass was the poll's own, nothing woke the pipeline again: no step was running to end,
// no delivery came. Here every claim of builds fails for a while after the push: the build must still be
// triggered once they succeed, with nobody waking the pipeline. Its plan holds no build (as one planned behind a
// held build of its job): a plan's held build is sent by its planner without any claim.
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import { realTimers } from '../../src/work/timers.js'

t.test('PostgreSQL: a pass whose claim fails leaves a poll behind it', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  let failing = false
  let failed = 0
  const h = await startPipelineApp(t, {
    openStore: () => openPostgresStore({ url }),
    config: { store: { engine: 'postgres', url, postgres: { leaseMs: 300 } } },
    // Real timers: the polls are what this is about (the harness's default never fires them).
    timers: realTimers,
    wrapStore: (s) => ({
      ...s,
      planDelivery: (plan) => {
        plan.builds = plan.builds.map((b) => ({ ...b, intent: undefined }))
        delete plan.lease
        return s.planDelivery(plan)
      },
      claimDueBuilds: async (lease, limit, intent) => {
        if (!failing) return s.claimDueBuilds(lease, limit, intent)
        failed++
        throw new Error('the database could not be reached in time')
      },
    }),
  })
  failing = true
  const r = await h.push({ after: 'a'.repeat(40) }, 'guid-fail')
  t.equal(r.statusCode, 202)
  const triggered = () => h.jenkinsRequests().filter((x) => x.includes('buildWithParameters')).length
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))
  // Failing until four passes failed (the route's end, then a poll every 300 ms): the passes the polls start fail too.
  for (const end = Date.now() + 10_000; failed < 4 && Date.now() < end;) await wait(20)
  t.equal(triggered(), 0, 'not triggered while every claim fails')
  const whileFailing = failed
  t.ok(whileFailing >= 4, `passes failed to claim (${whileFailing})`)
  failing = false
  for (const end = Date.now() + 10_000; triggered() === 0 && Date.now() < end;) await wait(50)
  t.equal(triggered(), 1, 'claimed and triggered once the claims succeed again, without a wake')
})
