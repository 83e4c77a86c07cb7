// The runs of a build (migration 7) in SQLite: a database from before the migration keeps its builds.
// (One row per run, kept across restarts, runs on both engines: test/store/contract/builds.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import type { JenkinsRun } from '../../src/store/builds.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'

function tempFile(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-build-runs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'tamer.db')
}

const run = (queueId: number | null, buildNumber: number | null, source: JenkinsRun['source']): JenkinsRun => ({
  queueId,
  buildNumber,
  buildUrl: buildNumber ? `https://ci/job/j/${buildNumber}/` : null,
  source,
})

t.test('a version 6 database gains build_runs and missed_at (migration 7) and keeps its builds', async (t) => {
  const file = tempFile(t)
  const old = new BetterSqlite3(file)
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')
  for (const m of MIGRATIONS.filter((m) => m.version <= 6)) {
    old.exec(m.sql)
    old
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(m.version, m.name, new Date().toISOString())
  }
  old.exec(`INSERT INTO deliveries (id, provider, dedupe_key, event_type, tenant, status, headers, body, normalized, received_at, updated_at)
    VALUES ('d-old', 'github', 'k-old', 'push', 'default', 'processed', '{}', x'7b7d', '{"kind":"ignored","reason":"old"}', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`)
  old.exec(`INSERT INTO builds (id, delivery_id, event_index, rule, job, tenant, parameters, delivery_param, state, queue_id, build_number, attempts, accepted_at, triggered_at, created_at, updated_at)
    VALUES ('b-old', 'd-old', 0, 'r', 'j', 'default', '{"DELIVERY_ID":"d-old"}', 'd-old', 'triggering', NULL, NULL, 1, 0, 1000, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`)
  old.close()

  const store = openSqliteStore({ file })
  t.teardown(() => store.close())
  t.match(
    await store.getBuild('b-old'),
    { state: 'triggering', attempts: 1, triggeredAt: 1000, missedAt: null },
    'an uncertain trigger from before the upgrade is still one, never looked for yet',
  )
  t.same((await store.runsOf(['b-old'])).get('b-old'), [])
  await store.updateBuild('b-old', { state: 'queued', queueId: 3, missedAt: null, runs: [run(3, null, 'search')] })
  t.match((await store.runsOf(['b-old'])).get('b-old'), [{ job: 'j', queueId: 3, source: 'search', seenAt: /^\d{4}-/ }])
})
