// The early route (issue #12, item 4): on SQLite a delivery is routed as it is queued, and its plan
// (`ifStored`) joins the delivery's own commit, so its trigger goes one writer round trip sooner. Writes never
// commit ahead of a delivery queued before them; a plan whose delivery is not stored (a duplicate, a batch that
// failed) writes nothing, and a delivery whose early route failed is routed as before once it is committed.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryNotStoredError } from '../../src/store/builds.js'
import type { ServiceStore } from '../../src/store/service-store.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import { githubPing } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

const sha = (i: number) => i.toString(16).padStart(40, 'e')

/** Counts the plans the store refused because their delivery was not stored. */
const refusals = (count: { n: number }) => (s: ServiceStore) =>
  ({
    ...s,
    planDelivery: async (plan) => {
      try {
        return await s.planDelivery(plan)
      } catch (err) {
        if (err instanceof DeliveryNotStoredError) count.n++
        throw err
      }
    },
  }) satisfies ServiceStore

const triggersOf = (h: { jenkins: { state: { queue: { items: { params: unknown }[] } } } }) =>
  h.jenkins.state.queue.items.map(
    (i) => (i.params as { name: string; value: unknown }[] | null)?.find((p) => p.name === 'DELIVERY_ID')?.value,
  )

t.test('a delivery is planned, with its intent, in the commit that stores it', async (t) => {
  // When intake hears its delivery is committed, the delivery's build is committed too.
  const seen: string[][] = []
  let store: ServiceStore | null = null
  const h = await startPipelineApp(t, {
    wrapStore: (s) =>
      (store = {
        ...s,
        recordDelivery: async (d) => {
          const r = await s.recordDelivery(d)
          seen.push((await s.listBuilds({ deliveryId: r.id, limit: 10 })).map((b) => b.state))
          return r
        },
      }),
  })
  t.ok(store)
  await h.drain()
  const N = 5
  const pushed = await Promise.all(Array.from({ length: N }, (_, i) => h.push({ after: sha(i) })))
  t.same(new Set(pushed.map((p) => p.statusCode)), new Set([202]))
  t.same(
    seen,
    Array.from({ length: N }, () => ['triggering']),
    'each build committed with its delivery',
  )
  await h.drain()
  const builds = await h.builds()
  t.same(new Set(builds.map((b) => b.state)), new Set(['queued']), 'every build triggered')
  t.same(new Set(builds.map((b) => b.attempts)), new Set([1]), 'one attempt each')
  t.equal(h.jenkinsRequests().filter((r) => r.includes('/buildWithParameters')).length, N, 'one request per build')
})

t.test('a redelivery routed early writes nothing: one build, one trigger', async (t) => {
  const refused = { n: 0 }
  const h = await startPipelineApp(t, { wrapStore: refusals(refused) })
  await h.drain()
  // The same GUID twice in one batch: the second is a duplicate, and its early plan (under an id no row got) is
  // refused.
  const [a, b] = await Promise.all([h.push({ after: sha(1) }, 'guid-1'), h.push({ after: sha(1) }, 'guid-1')])
  t.same([a!.statusCode, b!.statusCode].sort(), [200, 202])
  t.equal(a!.id, b!.id, 'the duplicate answers the first one’s id')
  t.equal(refused.n, 1, 'the duplicate’s plan was refused')
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, 1)
  t.equal(builds[0]!.deliveryId, a!.id)
  t.same(triggersOf(h), [a!.id], 'triggered once')
})

t.test('a burst behind full batches: every early plan commits with or after its delivery, none refused', async (t) => {
  const refused = { n: 0 }
  const dir = mkdtempSync(join(tmpdir(), 'tamer-early-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const N = 3
  // A ping and a burst queued in one turn, one delivery and one other write per commit: the ping (not routed) goes
  // first and the plans were queued behind every delivery, so each waits for its delivery's commit (the plans
  // used to go with the commit before, and be refused).
  const held: (() => void)[] = []
  const h = await startPipelineApp(t, {
    wrapStore: (s) => ({
      ...refusals(refused)(s),
      recordDelivery: (d) =>
        new Promise((resolve, reject) => {
          held.push(() => void s.recordDelivery(d).then(resolve, reject))
          if (held.length === N + 1) for (const go of held.splice(0)) go()
        }),
    }),
    openStore: async () => openSqliteStore({ file: join(dir, 'tamer.db'), maxBatch: 1 }),
  })
  await h.drain()
  const ping = signedGitHub('ping', githubPing())
  const pinged = h.app.inject({ method: 'POST', url: '/hooks/github', headers: ping.headers, payload: ping.body })
  // The ping's request reaches the store first.
  while (held.length === 0) await new Promise((r) => setImmediate(r))
  const pushed = await Promise.all(Array.from({ length: N }, (_, i) => h.push({ after: sha(i) })))
  t.equal((await pinged).statusCode, 200)
  t.same(new Set(pushed.map((p) => p.statusCode)), new Set([202]))
  t.equal(refused.n, 0, 'no early plan went ahead of its delivery')
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, N, 'every delivery planned')
  t.same(new Set(builds.map((b) => b.state)), new Set(['queued']), 'every build triggered')
  t.same(new Set(builds.map((b) => b.attempts)), new Set([1]), 'one attempt each')
  t.same(triggersOf(h).sort(), pushed.map((p) => p.id).sort(), 'each DELIVERY_ID triggered once')
  const deliveries = await h.store.listDeliveries({ limit: 10 })
  t.same(deliveries.map((d) => d.status).sort(), ['ping', ...Array.from({ length: N }, () => 'processed')].sort())
})
