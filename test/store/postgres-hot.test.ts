// What a trigger costs PostgreSQL (issue #16, migration 7): a claim, a heartbeat and a release change only
// the lease columns, which no index covers, so each is a HOT update (the row rewritten in place, no index
// entry added); and the statements of a trigger's path find their rows through an index, the claim and the
// push-order check through the partial indexes made for them. Counted from PostgreSQL's own statistics,
// which a backend reports when it ends: the store is closed before they are read.
import pg from 'pg'
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { delivery, planned } from './contract/engines.js'

interface Counts {
  n_tup_upd: number
  n_tup_hot_upd: number
  seq_scan: number
  due: number
  held: number
}

/** The builds table's counters once `done` says they include every update the store made (waits up to 10 s). */
async function buildCounts(url: string, done: (c: Counts) => boolean): Promise<Counts> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    for (let waited = 0; ; waited += 100) {
      await c.query('SELECT pg_stat_clear_snapshot()')
      const { rows } = await c.query<Record<keyof Counts, string>>(
        `SELECT n_tup_upd, n_tup_hot_upd, seq_scan,
           (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'builds_due') AS due,
           (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'builds_held') AS held
         FROM pg_stat_user_tables WHERE relname = 'builds'`,
      )
      const counts = Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)])) as unknown as Counts
      if (done(counts) || waited >= 10_000) return counts
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    await c.end()
  }
}

t.test("a build's claim, heartbeat and release are HOT updates; its trigger path reads through indexes", async (t) => {
  const base = await freshDatabase(t)
  if (!base) return
  // No sequential scan unless no index can serve: a statement that scans builds had no index to use.
  const url = `${base}?options=${encodeURIComponent('-c enable_seqscan=off')}`
  // Migrated first, apart: building an index scans its table.
  await (await openPostgresStore({ url: base })).close()
  const before = await buildCounts(url, (c) => c.seq_scan > 0)
  const store = await openPostgresStore({ url })
  const { id: deliveryId } = await store.recordDelivery(delivery('hot'))
  const plan = { deliveryId, outcome: 'triggered' as const, evaluation: [], builds: [planned(deliveryId)] }
  const [b] = await store.planDelivery(plan)
  t.same(
    (await store.planDelivery(plan)).map((x) => x.id),
    [b!.id],
    'planned again: the builds read back by delivery',
  )
  const lease = { owner: 'r1', now: 1_000, until: 31_000 }
  t.same(
    (await store.claimDueBuilds(lease, 8)).due.map((x) => x.id),
    [b!.id],
    'claimed',
  )
  t.equal(await store.heldBuildBefore('j', b!.seq + 1), null, 'nothing held before it')
  t.same((await store.dueBuilds(1_000, 8)).due.length, 1, "due, read in a claim's order")
  t.same((await store.activeBuilds()).length, 1, 'active')
  await store.renewLeases('r1', 61_000)
  await store.releaseWork('build', b!.id, 'r1')
  t.same((await store.claimDueBuilds({ ...lease, owner: 'r2' }, 8)).due.length, 1, 'released: free for another')
  t.equal(await store.releaseLeases('r2'), 1, "r2's shutdown gives back the one it holds")
  await store.close()
  // Five lease changes: r1's claim, heartbeat and release, r2's claim and shutdown.
  const counts = await buildCounts(url, (c) => c.n_tup_upd >= 5 && c.due >= 3 && c.held >= 1)
  t.equal(counts.n_tup_upd, 5, 'five updates of the build')
  t.equal(counts.n_tup_hot_upd, 5, 'each of them HOT: no index entry written')
  t.equal(counts.seq_scan - before.seq_scan, 0, 'no statement scanned the builds table')
  t.ok(counts.due >= 3, 'both claims and the due read walked builds_due')
  t.ok(counts.held >= 1, 'the push-order check walked builds_held')
})
