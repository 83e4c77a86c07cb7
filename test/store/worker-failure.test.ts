// The store's threads starting while a table is gone: the checkpointer, which has no statements of its
// own to prepare, neither dies nor takes the process down (an unhandled worker error did); closing
// such a store does not hang.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'

t.test('a table gone while the threads start: no crash, close returns', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-worker-failure-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.db')
  await openSqliteStore({ file }).close()
  const store = openSqliteStore({ file })
  // Gone while its threads are still starting (they load their module first, well over the time this takes).
  const other = new BetterSqlite3(file)
  other.exec('ALTER TABLE deliveries RENAME TO deliveries_gone')
  other.close()
  // Long enough for a checkpointer that prepared the same statements to have died (its round is 250 ms).
  await new Promise((r) => setTimeout(r, 1_000))
  const closed = await Promise.race([
    store.close().then(() => 'closed'),
    new Promise((r) => setTimeout(() => r('hung'), 10_000).unref()),
  ])
  t.equal(closed, 'closed')
})
