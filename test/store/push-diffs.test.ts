// Stored push diffs in SQLite: a database from before migration 5 gains the table and keeps its data.
// (The round trip, replace and restart run on both engines: test/store/contract/records.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'

function tempFile(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-push-diffs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'tamer.db')
}

t.test('a version 4 database gains push_diffs (migration 5) and keeps its deliveries', async (t) => {
  const file = tempFile(t)
  const old = new BetterSqlite3(file)
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')
  for (const m of MIGRATIONS.filter((m) => m.version <= 4)) {
    old.exec(m.sql)
    old
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(m.version, m.name, new Date().toISOString())
  }
  old
    .prepare(
      `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, headers, body, normalized, received_at, updated_at)
     VALUES ('d-old', 'github', 'k-old', NULL, 'push', 'default', 'acme/r', 'processed', '{}', x'7b7d', '{"kind":"ignored","reason":"old"}', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`,
    )
    .run()
  t.equal(
    old.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'push_diffs'").pluck().get(),
    0,
    'no table before',
  )
  old.close()

  const store = openSqliteStore({ file })
  t.teardown(() => store.close())
  t.match(await store.getDelivery('d-old'), { id: 'd-old', repository: 'acme/r' }, 'the old delivery is still there')
  await store.savePushDiff({
    deliveryId: 'd-old',
    variant: 'native-x-f1',
    payload: Buffer.from([1, 2, 3]),
    rawBytes: 3,
  })
  t.same([...(await store.getPushDiff('d-old', 'native-x-f1'))!.payload], [1, 2, 3])
  const db = new BetterSqlite3(file, { readonly: true })
  t.teardown(() => db.close())
  t.same(
    db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
    MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
    'every later migration too',
  )
  t.equal(db.prepare('SELECT name FROM schema_migrations WHERE version = 5').pluck().get(), 'push-diffs')
  t.equal(
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'push_diffs' AND sql IS NOT NULL")
      .pluck()
      .get(),
    'push_diffs_created',
    'migration 6: the age index retention deletes by',
  )
})
