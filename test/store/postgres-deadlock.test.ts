// Writer transactions that would take the same rows in opposite orders (issue #16): bench:load's two
// replicas deadlocked (40P01), one's branch pass holding the branch cursor and waiting for a build's notice
// decision the other had just inserted, while that one waited for the cursor; the victim's batch was
// answered 503. Every writer now takes rows in one order, and a transaction that still deadlocks is run
// again whole. Each test stages the interleaving with a third connection holding a build's row lock,
// and waits, from pg_stat_activity, until each writer is blocked where the race would block it.
import pg from 'pg'
import t, { type Test } from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import type { ServiceStore } from '../../src/store/service-store.js'
import { freshDatabase } from '../support/postgres.js'
import { delivery, emailNotice, planned } from './contract/engines.js'

const decision = (buildId: string) => ({
  buildId,
  threadKey: 'default/acme/r/main/j',
  outcome: 'first-failure' as const,
  notified: true,
  reason: 'first failure',
  decidedAt: 1_000,
})
const notice = (buildId: string, id: string) => emailNotice(buildId, id)
const push = {
  tenant: 'default',
  provider: 'github' as const,
  repository: 'acme/r',
  branch: 'main',
  deleted: false,
  commitSha: 'a'.repeat(40),
  authorName: 'Ada',
  authorEmail: 'ada@example.com',
  committedAt: null,
  at: '2026-01-01T00:00:00Z',
  defaultBranch: 'main',
}

/** Two builds of one delivery, their ids in order. */
async function twoBuilds(store: ServiceStore): Promise<[string, string]> {
  const { id: deliveryId } = await store.recordDelivery(delivery('d'))
  const builds = await store.planDelivery({
    deliveryId,
    outcome: 'triggered',
    evaluation: [],
    builds: [planned(deliveryId), planned(deliveryId, { eventIndex: 1, rule: 'r2', job: 'j2' })],
  })
  const [lo, hi] = builds.map((b) => b.id).sort()
  return [lo!, hi!]
}

/**
 * Resolves once `n` of the stores' writer sessions wait for a row (another transaction's, or a tuple's lock), polling
 * pg_stat_activity; fails after 10 s. Only rows: a moment's wait to extend a relation is also a 'Lock' wait, and
 * once counted made the test go on before the writer was blocked where it stages it.
 */
async function lockWaits(c: pg.Client, n: number): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const { rows } = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
         AND application_name = 'tamer-writer' AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')`,
    )
    if (Number(rows[0]!.n) >= n) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${n} sessions never waited for a lock`)
}

/** Resolves once at most `n` sessions (the test's own) are connected to the database (fails after 10 s). */
async function sessionsGone(c: pg.Client, n: number): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const { rows } = await c.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()',
    )
    if (Number(rows[0]!.n) <= n) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('the closed stores are still connected')
}

async function connected(url: string, t: Test): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  t.teardown(() => c.end())
  return c
}

t.test("two replicas' batches with a branch pass and a notice decision in opposite orders: no deadlock", async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const a = await openPostgresStore({ url })
  const b = await openPostgresStore({ url })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  const [lo, hi] = await twoBuilds(a)
  const blocker = await connected(url, t)
  const watch = await connected(url, t)
  // Holds `hi`: deciding it (its foreign key's share lock) waits until the blocker commits.
  await blocker.query('BEGIN')
  await blocker.query('SELECT 1 FROM builds WHERE id = $1 FOR UPDATE', [hi])
  // A slot write takes each writer's first batch; the writes queued behind it share the next transaction.
  const fromA = Promise.allSettled([
    a.recordScheduleSlot('k', '2026-01-01T00:00:01Z'),
    a.recordDecision(decision(lo), [notice(lo, 'a-lo')], 1_000),
    a.recordDecision(decision(hi), [notice(hi, 'a-hi')], 1_000),
    a.applyBranchChanges([push], 1),
  ])
  await lockWaits(watch, 1)
  const fromB = Promise.allSettled([
    b.recordScheduleSlot('k', '2026-01-01T00:00:02Z'),
    b.applyBranchChanges([push], 1),
    b.recordDecision(decision(lo), [notice(lo, 'b-lo')], 1_000),
  ])
  await lockWaits(watch, 2)
  // In queue order, A held `lo`'s decision and would now wait for the cursor B held while waiting for `lo`.
  await blocker.query('COMMIT')
  const [settledA, settledB] = await Promise.all([fromA, fromB])
  t.same(
    [...settledA, ...settledB].map((r) => (r.status === 'rejected' ? String(r.reason) : r.status)),
    Array(7).fill('fulfilled'),
    "both replicas' batches committed",
  )
  const value = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? r.value : null)
  t.same(
    [value(settledA[1]!), value(settledA[2]!), value(settledB[2]!)],
    [true, true, false],
    "`lo` decided once, by A (B's waited and found it), `hi` by A",
  )
  t.equal(await a.branchCursor(), 1, 'the branch pass applied')
  const { rows } = await watch.query<{ id: string }>('SELECT id FROM notifications ORDER BY id')
  t.same(
    rows.map((r) => r.id),
    ['a-hi', 'a-lo'],
    'one notice per decision',
  )
  // A deadlock rerun would also have ended well: PostgreSQL's count of the database's deadlocks tells them apart.
  // A backend reports it at the latest when it ends: the stores are closed and their sessions waited out.
  await Promise.all([a.close(), b.close()])
  await sessionsGone(watch, 2)
  const { rows: stats } = await watch.query<{ deadlocks: string }>(
    'SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()',
  )
  t.equal(Number(stats[0]!.deadlocks), 0, 'no deadlock was detected')
})

t.test('a deadlocked batch is run again whole: its callers are answered once, from the commit', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const a = await openPostgresStore({ url })
  t.teardown(() => a.close())
  const [lo, hi] = await twoBuilds(a)
  const other = await connected(url, t)
  const watch = await connected(url, t)
  await other.query('BEGIN')
  await other.query('SELECT 1 FROM builds WHERE id = $1 FOR UPDATE', [hi])
  const fromA = Promise.allSettled([
    a.recordScheduleSlot('k', '2026-01-01T00:00:01Z'),
    a.recordDecision(decision(lo), [notice(lo, 'a-lo')], 1_000),
    a.recordDecision(decision(hi), [notice(hi, 'a-hi')], 1_000),
  ])
  // A decided `lo` and waits for `hi`; deciding `lo` here closes the cycle. A waited first, so its deadlock check
  // (deadlock_timeout after it began waiting) finds the cycle and A's transaction is the one rolled back.
  await lockWaits(watch, 1)
  await other.query(
    `INSERT INTO notice_decisions (build_id, thread_key, outcome, notified, reason, decided_at)
     VALUES ($1, 'x', NULL, 0, 'decided elsewhere', 1)`,
    [lo],
  )
  // A's second attempt now waits for this decision of `lo`, and for `hi`.
  await other.query('COMMIT')
  const settled = await fromA
  t.same(
    settled.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status)),
    ['fulfilled', 'fulfilled', 'fulfilled'],
    'the batch committed on its second attempt',
  )
  const value = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? r.value : null)
  t.same([value(settled[1]!), value(settled[2]!)], [false, true], '`lo` was decided elsewhere, `hi` by A')
  const { rows } = await watch.query<{ id: string }>('SELECT id FROM notifications ORDER BY id')
  t.same(
    rows.map((r) => r.id),
    ['a-hi'],
    "the rolled-back attempt's notice of `lo` is gone; `hi`'s stored once",
  )
  const slots = await watch.query<{ n: string }>('SELECT count(*) AS n FROM schedule_slots')
  t.equal(Number(slots.rows[0]!.n), 1, 'the batch before it committed once')
})

t.test("a branch pass waiting for the cursor holds up no delivery's commit", async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const b = await openPostgresStore({ url })
  t.teardown(() => b.close())
  const other = await connected(url, t)
  const watch = await connected(url, t)
  // Another replica's branch pass, between taking the cursor and its commit.
  await other.query('BEGIN')
  await other.query(
    `INSERT INTO branch_cursor (id, delivery_seq) VALUES (1, 0)
     ON CONFLICT (id) DO UPDATE SET delivery_seq = branch_cursor.delivery_seq`,
  )
  const applied = b.applyBranchChanges([push], 1)
  await lockWaits(watch, 1)
  // Was one transaction with the branch pass, so it waited for the other replica's commit (bench:load: two
  // replicas stored no faster than one).
  const stored = await Promise.race([
    b.recordDelivery(delivery('while-the-cursor-is-held')).then(() => 'stored'),
    new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5_000)),
  ])
  t.equal(stored, 'stored', 'the delivery committed while the branch pass waited')
  await other.query('COMMIT')
  t.same(await applied, [{ tenant: 'default', provider: 'github', repository: 'acme/r' }], 'then the pass applied')
})
