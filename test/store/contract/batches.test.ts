// Writes queued together share one transaction on both engines (issue #16); on PostgreSQL its parts
// run side by side on a pipelined connection (src/store/postgres/lanes.ts). Whatever runs beside
// what, one build's writes land in the order they were queued, and every write is answered.
import t from 'tap'
import type { ServiceStore } from '../../../src/store/service-store.js'
import { delivery, eachEngine, planned } from './engines.js'

async function planOne(store: ServiceStore, key: string): Promise<string> {
  const { id } = await store.recordDelivery(delivery(key))
  const [b] = await store.planDelivery({
    deliveryId: id,
    outcome: 'triggered',
    evaluation: [],
    builds: [planned(id, { job: `j-${id}` })],
  })
  return b!.id
}

eachEngine(
  t,
  "one build's writes queued at once land in their order, beside other builds' and plans",
  async (t, engine) => {
    const store = await engine.open()
    const builds = await Promise.all(['a', 'b', 'c'].map((k) => planOne(store, k)))
    const fresh = await Promise.all(['d', 'e', 'f'].map((k) => store.recordDelivery(delivery(k))))
    // Not awaited one by one: each build's three writes queue together. The first records a run first (more
    // statements before its UPDATE), so a later write of the same build would overtake it if it could.
    const writes: Promise<unknown>[] = []
    builds.forEach((id, i) => {
      writes.push(
        store.updateBuild(id, {
          state: 'queued',
          queueId: 10 + i,
          runs: [{ queueId: 10 + i, buildNumber: null, buildUrl: null, source: 'trigger' }],
        }),
        store.updateBuild(id, { state: 'running', buildNumber: 100 + i }),
        store.updateBuild(id, { attempts: 7 }),
      )
    })
    const plans = fresh.map(({ id }) =>
      store.planDelivery({
        deliveryId: id,
        outcome: 'triggered',
        evaluation: [],
        builds: [planned(id, { job: `j-${id}` })],
      }),
    )
    await Promise.all(writes)
    t.same(
      (await Promise.all(plans)).map((p) => p.length),
      [1, 1, 1],
      'each plan answered with its build',
    )
    for (const [i, id] of builds.entries()) {
      const b = (await store.getBuild(id))!
      t.same([b.state, b.buildNumber, b.attempts], ['running', 100 + i, 7], `build ${i}: the last write is the state`)
    }
  },
)

eachEngine(
  t,
  'builds read at once are each answered with their own row (PostgreSQL: one statement)',
  async (t, engine) => {
    const store = await engine.open()
    const [a, b] = await Promise.all(['g', 'h'].map((k) => planOne(store, k)))
    await store.updateBuild(b!, { attempts: 3 })
    const got = await Promise.all([a!, 'no-such-build', b!, a!].map((id) => store.getBuild(id)))
    t.same(
      got.map((x) => x && [x.id, x.attempts]),
      [[a, 0], null, [b, 3], [a, 0]],
    )
  },
)
