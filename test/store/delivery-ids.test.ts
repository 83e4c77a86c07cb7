// A delivery's id on SQLite is a version 7 UUID, time first (delivery-row.ts newDeliveryId): each insert goes
// into the id index (and its plan's into dispatches') where the last ones went, not onto a leaf of its own.
import t from 'tap'
import { newDeliveryId } from '../../src/store/sqlite/delivery-row.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { delivery } from './contract/engines.js'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('ids are version 7 UUIDs in the order of their times, never the same', async (t) => {
  const start = Date.UTC(2026, 11, 8)
  const ids = Array.from({ length: 2000 }, (_, i) => newDeliveryId(start + Math.floor(i / 4)))
  for (const id of ids) t.match(id, V7)
  t.equal(new Set(ids).size, ids.length)
  // Ids of later milliseconds sort after earlier ones (within one millisecond, in any order).
  const byTime = ids.filter((_, i) => i % 4 === 0)
  t.same([...byTime].sort(), byTime)
  t.equal(
    newDeliveryId(start).slice(0, 13),
    `${start.toString(16).padStart(12, '0').slice(0, 8)}-${start.toString(16).slice(-4)}`,
  )
})

t.test('the store gives each new delivery such an id', async (t) => {
  const store = openSqliteStore({ file: ':memory:' })
  t.teardown(() => store.close())
  const first = await store.recordDelivery(delivery('a'))
  const again = await store.recordDelivery(delivery('a'))
  t.match(first.id, V7)
  t.same(again, { id: first.id, duplicate: true })
  t.equal((await store.getDelivery(first.id))?.id, first.id)
})
