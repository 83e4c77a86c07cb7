// A job this process has not provisioned yet is made ready while the plan of its first build commits (issue #12):
// the first burst of a new job, or of a restarted process, no longer waits after the commit for the job's
// look-ups and creates before any trigger can leave.
import t from 'tap'
import type { ServiceStore } from '../../src/store/service-store.js'
import { startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { until } from '../support/until.js'

const sha = (i: number) => i.toString(16).padStart(40, 'e')

t.test("a new job is created in Jenkins before its first build's plan is committed", async (t) => {
  let h: PipelineHarness | null = null
  const created = () => h!.jenkinsRequests().includes('POST /job/ds/job/churn-model/createItem 200')
  const atCommit: boolean[] = []
  // Each plan goes to the store only once the job exists in Jenkins (or 10 s passed, when nothing provisions it).
  const held = (s: ServiceStore): ServiceStore => ({
    ...s,
    planDelivery: async (plan) => {
      atCommit.push(await until('the job created', created, 10_000).catch(() => false))
      return s.planDelivery(plan)
    },
  })
  h = await startPipelineApp(t, { wrapStore: held })
  await h.drain()
  const pushed = await Promise.all([0, 1, 2].map((i) => h!.push({ after: sha(i) })))
  t.same(
    pushed.map((p) => p.statusCode),
    [202, 202, 202],
  )
  await h.drain()
  t.ok(atCommit.length >= 3 && atCommit.every(Boolean), 'the job existed before each plan was written')
  const builds = await h.builds()
  t.same(
    builds.map((b) => [b.state, b.attempts]),
    [
      ['queued', 1],
      ['queued', 1],
      ['queued', 1],
    ],
  )
  const requests = h.jenkinsRequests()
  t.equal(requests.filter((r) => r.includes('/createItem')).length, 3, 'two folders and the job, each created once')
  t.equal(requests.filter((r) => r.includes('/buildWithParameters')).length, 3, 'one trigger per build')
})

t.test('a job the process has provisioned is not looked up again by later plans', async (t) => {
  const h = await startPipelineApp(t)
  await h.drain()
  await h.push({ after: sha(1) })
  await h.drain()
  // The first push's new branch rewrites the job's choices (issue #14), a look-up of its own, not a plan's: once
  // that is over (it came after the drain once, red in CI), what follows is the later plans' only.
  await h.service.branches.settled()
  const before = h.jenkinsRequests().length
  await Promise.all([2, 3, 4].map((i) => h.push({ after: sha(i) })))
  await h.drain()
  t.same(
    h
      .jenkinsRequests()
      .slice(before)
      .map((r) => r.replace(/ \d+$/, '')),
    Array.from({ length: 3 }, () => 'POST /job/ds/job/churn-model/job/main/buildWithParameters'),
    'only the triggers',
  )
})
