// The precompute shared by replicas on one PostgreSQL (src/diffs/shared-precompute.ts,
// store/postgres/diff-jobs.ts): each queued push is diffed by one replica only, a killed replica's
// claimed jobs are taken over when their leases end, a job that keeps ending its replicas is given
// up, the queue stays bounded, and a stopping replica leaves what it queued to the others. Two
// stores (two pools) on one real database stand for two replicas; the diff service is a recording
// PushDiffService, as in precompute.test.ts (the real one is test/http/diffs-stored.test.ts).
import pg from 'pg'
import t from 'tap'
import { createSharedDiffPrecompute } from '../../src/diffs/shared-precompute.js'
import type { PushDiffService } from '../../src/diffs/service.js'
import { logSink } from '../support/log-sink.js'
import { createLeaseKeeper } from '../../src/store/lease-keeper.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import type { StoredDelivery } from '../../src/store/store.js'
import { freshDatabase } from '../support/postgres.js'
import { until } from '../support/until.js'

const deliveries = { getDelivery: async (id: string) => ({ id }) as StoredDelivery }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Every diff is recorded with the replica that made it; each takes `ms`. */
function recorder(ms = 5) {
  const made: { replica: string; id: string }[] = []
  const service = (replica: string): PushDiffService => ({
    variant: 'test',
    async diffsOf(d) {
      made.push({ replica, id: d.id })
      await sleep(ms)
      return []
    },
    ready: () => Promise.reject(new Error('not used by precompute')),
    computing: () => false,
  })
  return { made, service }
}

let url: string | null = null
t.before(async () => {
  url = await freshDatabase(t)
})

interface Tap {
  teardown(fn: () => unknown): void
}

async function replica(t: Tap, name: string, service: PushDiffService, over: { queueLimit?: number } = {}) {
  const store = await openPostgresStore({ url: url! })
  const { logs, logger } = logSink()
  const leases = createLeaseKeeper({ store, leaseMs: 30_000, logger })
  leases.start()
  const precompute = createSharedDiffPrecompute({
    service,
    deliveries,
    jobs: store.diffJobs!,
    leases,
    logger,
    queueLimit: over.queueLimit,
  })
  const unlisten = store.onWork((kinds) => kinds.includes('diff') && precompute.wake())
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await precompute.stop()
    await leases.stop()
    unlisten()
    await store.close()
  }
  t.teardown(close)
  return { name, store, leases, precompute, logs, close }
}
async function sql(text: string): Promise<pg.QueryResult> {
  const db = new pg.Client({ connectionString: url! })
  await db.connect()
  try {
    return await db.query(text)
  } finally {
    await db.end()
  }
}
const jobsLeft = async () => Number((await sql('SELECT count(*) AS n FROM diff_jobs')).rows[0].n)
// One database for the file: each test starts with no jobs (the tables exist once a store opened).
t.beforeEach(async () => {
  if (url) await sql('DELETE FROM diff_jobs').catch(() => {})
})

t.test('two replicas: every queued push is diffed once, by one of them, and both take jobs', async (t) => {
  if (!url) return
  const r = recorder(20)
  const a = await replica(t, 'a', r.service('a'))
  const b = await replica(t, 'b', r.service('b'))
  const ids = Array.from({ length: 24 }, (_, i) => `two-${i}`)
  ids.forEach((id, i) => (i % 2 ? a : b).precompute.enqueue(id, `tenant-${i % 3}`))
  await until('24 diffs', () => r.made.length >= 24)
  await Promise.all([a.precompute.idle(), b.precompute.idle()])
  await sleep(100)
  t.same(r.made.map((m) => m.id).sort(), [...ids].sort(), 'each push diffed exactly once')
  t.ok(r.made.some((m) => m.replica === 'a') && r.made.some((m) => m.replica === 'b'), 'both replicas diffed')
  t.equal(await jobsLeft(), 0, 'no job row left behind')
})

t.test('a replica killed holding jobs: another diffs them once their leases end', async (t) => {
  if (!url) return
  const r = recorder()
  const dead = await openPostgresStore({ url: url! })
  t.teardown(() => dead.close())
  await dead.diffJobs!.queueDiffJobs(
    [
      { deliveryId: 'orphan-1', tenant: 't' },
      { deliveryId: 'orphan-2', tenant: 'u' },
    ],
    64,
  )
  const now = Date.now()
  // The dead replica claimed both and never renewed: its leases end 400 ms from now.
  const held = await dead.diffJobs!.claimDiffJobs({ owner: 'dead', now, until: now + 400 }, 5, 3, [])
  t.equal(held.due.length, 2, 'claimed by the replica that dies')
  const b = await replica(t, 'b', r.service('b'))
  b.precompute.wake()
  await sleep(100)
  t.same(r.made, [], 'not while the lease lasts')
  await until('the orphans diffed', () => r.made.length >= 2)
  t.same(r.made.map((m) => m.id).sort(), ['orphan-1', 'orphan-2'], 'taken over when the lease ended, without a NOTIFY')
  await b.precompute.idle()
  t.equal(await jobsLeft(), 0)
})

t.test('a job whose replicas died mid-diff maxAttempts times is given up with a warning', async (t) => {
  if (!url) return
  const r = recorder()
  const dead = await openPostgresStore({ url: url! })
  t.teardown(() => dead.close())
  await dead.diffJobs!.queueDiffJobs([{ deliveryId: 'poison', tenant: 't' }], 64)
  for (let i = 0; i < 3; i++) {
    const now = Date.now() + i * 10
    // The last dead claim's lease outlasts b's first claim: b gives the job up when that lease ends (it waited
    // a whole lease, 30 s, when its claim came first: red at times).
    const leaseEnd = now + (i === 2 ? 500 : 1)
    const c = await dead.diffJobs!.claimDiffJobs({ owner: `dead-${i}`, now, until: leaseEnd }, 1, 3, [])
    t.same(
      c.due.map((j) => [j.deliveryId, j.attempts]),
      [['poison', i + 1]],
      `attempt ${i + 1}`,
    )
    await sleep(5)
  }
  const b = await replica(t, 'b', r.service('b'))
  b.precompute.wake()
  await until('the warning', () => b.logs.some((l) => l.includes('given up')), 10_000)
  await b.precompute.idle()
  t.same(r.made, [], 'not diffed a fourth time')
  const line = JSON.parse(b.logs.find((l) => l.includes('given up'))!) as Record<string, unknown>
  t.match(line, { deliveryId: 'poison', attempts: 3, level: 40 })
  t.equal(await jobsLeft(), 0, 'and gone')
})

t.test("tenants take turns across claims; the queue is bounded by dropping the longest tenant's oldest", async (t) => {
  if (!url) return
  const store = await openPostgresStore({ url: url! })
  t.teardown(() => store.close())
  const jobs = store.diffJobs!
  await jobs.queueDiffJobs(
    ['a1', 'a2', 'a3', 'a4'].map((deliveryId) => ({ deliveryId, tenant: 'alpha' })),
    5,
  )
  await jobs.queueDiffJobs(
    [
      { deliveryId: 'b1', tenant: 'beta' },
      { deliveryId: 'a1', tenant: 'alpha' },
    ],
    5,
  )
  await jobs.queueDiffJobs([{ deliveryId: 'b2', tenant: 'beta' }], 5)
  const order: string[] = []
  for (let i = 0; i < 6; i++) {
    const now = Date.now()
    const c = await jobs.claimDiffJobs({ owner: 'o', now, until: now + 60_000 }, 1, 3, [])
    order.push(...c.due.map((j) => j.deliveryId))
    for (const j of c.due) await jobs.finishDiffJob(j.deliveryId, 'o')
  }
  // a1 queued twice is one job; past 5 waiting, alpha's oldest (a1) went; beta, new, starts at the lowest
  // tag and the tenants alternate from there (equal tags: first queued first).
  t.same(order, ['b1', 'a2', 'b2', 'a3', 'a4'])
  const now = Date.now()
  await jobs.queueDiffJobs(
    [
      { deliveryId: 'c1', tenant: 'gamma' },
      { deliveryId: 'c2', tenant: 'gamma' },
    ],
    5,
  )
  const busy = await jobs.claimDiffJobs({ owner: 'o', now, until: now + 60_000 }, 5, 3, ['gamma'])
  t.same(busy.due, [], 'a tenant at its cap on this replica is passed over')
  await jobs.finishDiffJob('c1', 'someone-else')
  const both = await jobs.claimDiffJobs({ owner: 'o', now, until: now + 60_000 }, 5, 3, [])
  t.same(
    both.due.map((j) => j.deliveryId),
    ['c1'],
    'one per tenant a claim; a finish by another owner removed nothing',
  )
})

t.test('a replica stopping with pushes not yet queued leaves them to the others', async (t) => {
  if (!url) return
  const r = recorder()
  const a = await replica(t, 'a', r.service('a'))
  a.precompute.enqueue('left-1', 't')
  a.precompute.enqueue('left-2', 't')
  await a.close()
  t.same(r.made, [], 'a diffed nothing')
  const b = await replica(t, 'b', r.service('b'))
  b.precompute.wake()
  await until('both diffed by b', () => r.made.length >= 2)
  t.same(r.made.map((m) => `${m.replica}:${m.id}`).sort(), ['b:left-1', 'b:left-2'])
})

t.test('the jobs are a queue in /metrics: waiting and diffing, with the oldest age', async (t) => {
  if (!url) return
  const store = await openPostgresStore({ url: url! })
  t.teardown(() => store.close())
  const before = Date.now()
  await store.diffJobs!.queueDiffJobs(
    ['m1', 'm2', 'm3'].map((deliveryId) => ({ deliveryId, tenant: 't' })),
    64,
  )
  const now = Date.now()
  await store.diffJobs!.claimDiffJobs({ owner: 'o', now, until: now + 60_000 }, 1, 3, [])
  const diffs = (await store.queueStats()).filter((s) => s.queue === 'diffs')
  t.match(diffs, [
    { state: 'waiting', depth: 2 },
    { state: 'diffing', depth: 1 },
  ])
  for (const s of diffs) t.ok(Date.parse(s.oldestAt!) >= before - 1, `${s.state}: oldest queued in this test`)
})
