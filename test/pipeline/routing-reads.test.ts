// The pipeline routes a stored delivery from the id intake tells it, not by reading every pending
// row again on each wake (issue #12: up to 500 rows read and JSON-parsed per pass, 8.8 % of the
// main thread at 1,000 deliveries/s). The scan of the store stays for what no signal told: the
// deliveries stored before a restart.
import t from 'tap'
import type { ServiceStore } from '../../src/store/service-store.js'
import { startPipelineApp } from '../support/pipeline-app.js'

/** Deliveries read back one by one, and by the branch registry's cursor. */
interface ReadBacks {
  byId: number
  after: number
}

/** The branch registry's pages of ids behind its cursor (one per pass that finds work). */
const paged = (pages: { n: number }) => (s: ServiceStore) =>
  ({
    ...s,
    deliveryIdsAfter: async (seq: number, limit: number) => (pages.n++, s.deliveryIdsAfter(seq, limit)),
  }) satisfies ServiceStore

const counted =
  (reads: { scans: number; rows: number }, backs: ReadBacks = { byId: 0, after: 0 }) =>
  (s: ServiceStore) =>
    ({
      ...s,
      pendingDeliveries: async (limit: number) => {
        const rows = await s.pendingDeliveries(limit)
        reads.scans++
        reads.rows += rows.length
        return rows
      },
      getDelivery: async (id: string) => (backs.byId++, s.getDelivery(id)),
      deliveriesAfter: async (seq: number, limit: number) => (backs.after++, s.deliveriesAfter(seq, limit)),
    }) satisfies ServiceStore

t.test('deliveries told of by intake are routed without rescanning the pending rows', async (t) => {
  const reads = { scans: 0, rows: 0 }
  const h = await startPipelineApp(t, { wrapStore: counted(reads) })
  await h.drain()
  const before = { ...reads }
  const N = 40
  for (let i = 0; i < N; i++) {
    const r = await h.push({ after: i.toString(16).padStart(40, 'a') })
    t.equal(r.statusCode, 202)
  }
  await h.drain()
  const builds = await h.builds()
  t.equal(builds.length, N, 'every delivery was routed to its build')
  t.equal(new Set(builds.map((b) => b.deliveryId)).size, N, 'one build per delivery')
  t.same(reads, before, 'no pending row was read again after the start')
})

t.test('a delivery intake just stored is routed and its branch registered without reading it back', async (t) => {
  // No rule matches, so nothing else (reporter, gate, notices) reads the delivery: only routing and the registry
  // could. Each read back was an inflate and a JSON parse of its events on the main thread (issue #12).
  const reads = { scans: 0, rows: 0 }
  const backs = { byId: 0, after: 0 }
  const pages = { n: 0 }
  const h = await startPipelineApp(t, { rules: [], wrapStore: (s) => paged(pages)(counted(reads, backs)(s)) })
  await h.drain()
  const N = 30
  const ids: string[] = []
  for (let i = 0; i < N; i++) ids.push((await h.push({ after: i.toString(16).padStart(40, 'c') })).id)
  await h.drain()
  // The registry runs on its own signal: wait for it to take the last push.
  const last = (N - 1).toString(16).padStart(40, 'c')
  const heads = async () =>
    (await h.store.listBranches({ repository: 'acme-ds/churn-model', limit: 10 })).map((b) => b.commitSha)
  for (let i = 0; i < 200 && (await heads())[0] !== last; i++) await new Promise((r) => setTimeout(r, 25))
  t.same(await heads(), [last], 'the registry has the branch pushed, at its last push')
  t.same(backs, { byId: 0, after: 0 }, 'no delivery was read back, by id or behind the cursor')
  // A pass per commit reads one page: it used to read again to find nothing (two reads of the cursor and a page
  // more per commit on the event loop). One pass at the start, and at most one per push, each its own commit.
  t.ok(pages.n <= N + 1, `the registry read ${pages.n} pages of ids for ${N} pushes (at most ${N + 1})`)
  for (const id of ids) t.equal((await h.store.getDelivery(id))?.status, 'processed', `${id} was routed`)
})

t.test('after a restart the pending deliveries no signal told of are found by the scan', async (t) => {
  const reads = { scans: 0, rows: 0 }
  // The pipeline of the first process finds nothing, and its plans never commit: it stops before it routes what
  // was stored.
  const blind = (s: ServiceStore): ServiceStore => ({
    ...s,
    getDelivery: async () => null,
    pendingDeliveries: async () => [],
    planDelivery: async () => {
      throw new Error('the process stopped before the plan committed')
    },
  })
  const h = await startPipelineApp(t, { rules: [], wrapStore: blind })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await h.push({ after: i.toString(16).padStart(40, 'b') })).id)
  await h.drain()
  for (const id of ids) t.equal((await h.store.getDelivery(id))?.status ?? 'pending', 'pending')
  await h.restart({ store: counted(reads) })
  await h.drain()
  t.equal(reads.scans >= 1, true, 'the restarted pipeline scanned the store')
  for (const id of ids) t.not((await h.store.getDelivery(id))?.status, 'pending', `${id} was routed`)
})
