// The runs of a build (migration 7): every queue item and build Tamer learns of for its
// DELIVERY_ID, one row each however it was learned (by queue id, by number, or both), kept
// across restarts; a database from before the migration keeps its builds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import type { JenkinsRun } from '../../src/store/builds.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import type { NewDelivery } from '../../src/store/store.js'

function tempFile(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-build-runs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'tamer.db')
}

const delivery: NewDelivery = {
  provider: 'github',
  dedupeKey: 'k',
  hostDeliveryId: 'k',
  eventType: 'push',
  tenant: 'default',
  repository: 'acme/r',
  status: 'pending',
  headers: {},
  body: Buffer.from('{}'),
  normalized: { kind: 'ignored', reason: 'test' },
  receivedAt: new Date().toISOString(),
}

const run = (queueId: number | null, buildNumber: number | null, source: JenkinsRun['source']): JenkinsRun => ({
  queueId,
  buildNumber,
  buildUrl: buildNumber ? `https://ci/job/j/${buildNumber}/` : null,
  source,
})

t.test('one row per run, whichever of its ids came first; kept across a restart', async (t) => {
  const file = tempFile(t)
  let store = openSqliteStore({ file })
  const { id: deliveryId } = await store.recordDelivery(delivery)
  const [b] = await store.planDelivery({
    deliveryId,
    outcome: 'triggered',
    evaluation: [],
    builds: [
      {
        deliveryId,
        eventIndex: 0,
        rule: 'r',
        job: 'j',
        template: null,
        tenant: 'default',
        repository: 'acme/r',
        parameters: { DELIVERY_ID: deliveryId },
        state: 'pending',
        eventKey: null,
        provider: 'github',
        ref: 'refs/heads/main',
        branch: 'main',
        commitSha: null,
        pullRequest: null,
        acceptedAt: Date.now(),
      },
    ],
  })
  const runs = async () => (await store.runsOf([b!.id])).get(b!.id)!.map((r) => [r.queueId, r.buildNumber, r.source])

  await store.updateBuild(b!.id, { state: 'queued', queueId: 5, runs: [run(5, null, 'trigger')] })
  await store.updateBuild(b!.id, { runs: [run(null, 9, 'callback')] })
  t.same(
    await runs(),
    [
      [5, null, 'trigger'],
      [null, 9, 'callback'],
    ],
    'not known yet to be one run',
  )
  await store.updateBuild(b!.id, { state: 'running', buildNumber: 9, runs: [run(5, 9, 'queue')] })
  t.same(await runs(), [[5, 9, 'trigger']], 'the queue item says queue id 5 is build 9: one run, as first seen')
  await store.updateBuild(b!.id, { runs: [run(5, 9, 'search'), run(7, 10, 'search'), run(null, null, 'search')] })
  t.same(
    await runs(),
    [
      [5, 9, 'trigger'],
      [7, 10, 'search'],
    ],
    'a second run is added; a sighting without ids is not',
  )
  t.match(await store.getBuild(b!.id), { state: 'running', queueId: 5, buildNumber: 9, missedAt: null })
  await store.updateBuild('no-such-build', { runs: [run(1, 1, 'search')] })
  t.same(
    [...(await store.runsOf(['no-such-build', b!.id])).entries()].map(([k, v]) => [k, v.length]),
    [
      ['no-such-build', 0],
      [b!.id, 2],
    ],
  )
  await store.close()

  store = openSqliteStore({ file })
  t.teardown(() => store.close())
  t.same(
    await runs(),
    [
      [5, 9, 'trigger'],
      [7, 10, 'search'],
    ],
    'survives a restart',
  )
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
