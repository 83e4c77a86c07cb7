// A delivery whose plan (the pipeline's early route) shares its commit is inserted processed, not inserted pending and
// updated in the same commit (writer.ts, issue #12); when the plans' part of that commit fails, it stays pending,
// for a pass or a restart to route.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t, { type Test } from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { DeliveryPlan } from '../../src/store/builds.js'
import { delivery, planned } from './contract/engines.js'

interface Row {
  status: string
  received_at: string
  updated_at: string
  dispatched: number
}

/** Stores a delivery with its plan queued in the same turn (so in the same commit), and reads its row back. */
async function storeWithPlan(t: Test, plan: (id: string) => DeliveryPlan) {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-routed-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.db')
  const store = openSqliteStore({ file })
  let planning: Promise<unknown> | null = null
  store.onDeliveryQueued!((id) => void (planning = store.planDelivery(plan(id)).catch((err: unknown) => err)))
  const receivedAt = '2026-01-01T00:00:00.000Z'
  const recorded = await store.recordDelivery(
    delivery('k1', { receivedAt, normalized: { kind: 'events', events: [], skipped: [] } as never }),
  )
  const planResult = await planning
  await store.close()
  const db = new BetterSqlite3(file, { readonly: true })
  const row = db
    .prepare(
      `SELECT status, received_at, updated_at, (SELECT count(*) FROM dispatches WHERE delivery_id = d.id) AS dispatched
       FROM deliveries d WHERE id = ?`,
    )
    .get(recorded.id) as Row
  db.close()
  return { row, planResult, receivedAt }
}

const plan = (id: string, over: Partial<DeliveryPlan> = {}): DeliveryPlan => ({
  deliveryId: id,
  outcome: 'no rule matched',
  evaluation: [],
  builds: [],
  ifStored: true,
  ...over,
})

t.test('stored with its plan: processed in one insert, at the plan’s time', async (t) => {
  const { row, planResult, receivedAt } = await storeWithPlan(t, (id) => plan(id))
  t.same(planResult, [], 'the plan was written')
  t.equal(row.status, 'processed')
  t.equal(row.dispatched, 1, 'its dispatch row in the same commit')
  t.not(row.updated_at, receivedAt, 'updated when planned, as the plan’s update set it')
})

t.test('the plans’ part of the commit fails: the delivery is stored pending', async (t) => {
  // A build without parameters throws in the writer: the plans' part rolls back alone.
  const { row, planResult, receivedAt } = await storeWithPlan(t, (id) =>
    plan(id, { outcome: 'triggered', builds: [planned(id, { parameters: undefined as never })] }),
  )
  t.type(planResult, Error, 'the plan failed')
  t.equal(row.status, 'pending', 'left for a pass to route')
  t.equal(row.dispatched, 0)
  t.equal(row.updated_at, receivedAt)
})
