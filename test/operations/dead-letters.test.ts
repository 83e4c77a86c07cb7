// `tamer dead-letters [--retry]` and `tamer migrate`, in process (src/cli/main.ts) on the store of a real
// service: a chat endpoint that refuses a notice for good makes a dead letter; --retry puts it back and
// the notifier then sends it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t, { type Test } from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import type { ServiceStore } from '../../src/store/service-store.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import { freshDatabase } from '../support/postgres.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { runTamer } from '../support/cli.js'
import { startNotifyHarness } from '../support/notify/harness.js'

t.test('a dead notice is listed, retried (audited) and then sent', async (t) => {
  const n = await startNotifyHarness(t, ({ http }) => ({
    channels: [{ name: 'team', type: 'slack', url: `${http.url}/hook` }],
    rules: [{ channels: ['team'] }],
  }))
  n.http.answerNext({ status: 404, body: 'no such hook' })
  await n.build('FAILURE')
  const [dead] = await n.store.listNotifications({ state: 'dead', limit: 5 })
  t.ok(dead, 'a 404 makes the notice a dead letter')
  const env = { TAMER_DATA_DIR: n.h.dir, TAMER_ACTOR: 'ada' }

  const list = await runTamer(['dead-letters'], { env })
  t.equal(list.exitCode, 0, list.stderr)
  t.match(list.stdout, new RegExp(`^notification\\t${dead!.id}\\tdefault\\tteam\\tattempts 1\\t.*404`, 'm'))
  const json = JSON.parse((await runTamer(['dead-letters', '--json'], { env })).stdout)
  t.match(json, [{ kind: 'notification', id: dead!.id, target: 'team', attempts: 1 }])
  const metrics = (await n.h.app.inject({ url: '/metrics' })).body
  t.match(metrics, /^tamer_dead_letters\{queue="notifications"\} 1$/m, '/metrics counts it too')

  const retried = await runTamer(['dead-letters', '--retry'], { env })
  t.equal(retried.exitCode, 0, retried.stderr)
  t.match(retried.stderr, /1 of 1 put back to pending/)
  t.match(await n.store.getNotification(dead!.id), { state: 'pending', attempts: 0, lastError: null })
  const [entry] = await n.h.store.listAudit({ limit: 1 })
  t.match(entry, { actor: 'cli:ada', action: 'dead-letter.retry', target: dead!.id, detail: { kind: 'notification' } })
  await n.notifier.drain()
  t.match(await n.store.getNotification(dead!.id), { state: 'sent' }, 'sent once the endpoint takes it')
  t.equal((await runTamer(['dead-letters'], { env })).stdout, 'no dead letters\n')
})

t.test('tamer migrate: the schema of this Tamer, then exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-migrate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const out = await runTamer(['migrate'], { env: { TAMER_DATA_DIR: dir } })
  t.equal(out.exitCode, 0, out.stderr)
  t.match(out.stdout, /store migrated: sqlite .*tamer\.db/)
  t.ok(existsSync(join(dir, 'tamer.db')))
  const db = new BetterSqlite3(join(dir, 'tamer.db'), { readonly: true })
  const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()
  db.close()
  t.same(
    versions,
    MIGRATIONS.map((m) => m.version),
    'every migration ran',
  )
  t.equal((await runTamer(['migrate'], { env: { TAMER_DATA_DIR: dir } })).exitCode, 0, 'and again: nothing to do')
})

// Issue #16's poison, on both engines: a delivery whose route always throws (here its plan cannot be written) is
// tried pipeline.maxRouteAttempts times, each counted on the delivery, then `failed`: a dead letter that
// `--retry` puts back. The pushes around it are triggered meanwhile, untouched by it.
const POISON = 'dead'.repeat(10)
async function poison(t: Test, openStore?: () => Promise<ServiceStore>) {
  const h = await startPipelineApp(t, {
    ...(openStore ? { openStore } : {}),
    config: { pipeline: { maxRouteAttempts: 3 } },
    wrapStore: (s) => ({
      ...s,
      async planDelivery(plan) {
        if (plan.builds.some((b) => b.commitSha === POISON)) throw new Error('poison: this plan cannot be written')
        return s.planDelivery(plan)
      },
    }),
  })
  const before = await h.push({ after: '1'.repeat(40) })
  const bad = await h.push({ after: POISON })
  const after = await h.push({ after: '2'.repeat(40) })
  await h.drain()
  const jobs = () => h.jenkins.state.requests.filter((r) => r.path.includes('/buildWithParameters')).length
  t.equal(jobs(), 2, 'the deliveries around the poison are triggered at once')
  t.same(
    (await h.builds()).map((b) => b.deliveryId),
    [before.id, after.id],
  )
  t.equal((await h.store.getDelivery(bad.id))?.status, 'pending', 'one failed route: retried later')
  // The retries fall due (the backoff's timer, which the manual clock's timers leave to the test).
  for (let i = 0; i < 4; i++) {
    h.advance(60_000)
    h.pipeline.rescan()
    await h.drain()
  }
  t.equal((await h.store.getDelivery(bad.id))?.status, 'failed', 'failed after its retries')
  const letters = await h.store.deadLetters(10)
  t.match(letters, [{ kind: 'delivery', id: bad.id, target: 'acme-ds/churn-model', attempts: 3 }])
  t.match(letters[0]!.lastError, /poison: this plan cannot be written/)
  t.match((await h.app.inject({ url: '/metrics' })).body, /^tamer_dead_letters\{queue="deliveries"\} 1$/m)
  t.equal(h.logs.filter((l) => l.includes('delivery failed to route')).length, 3, 'three attempts, no more')
  // Another push still goes straight through.
  await h.push({ after: '3'.repeat(40) })
  await h.drain()
  t.equal(jobs(), 3)
  t.ok(await h.store.retryDelivery(bad.id), '--retry puts it back')
  t.match(await h.store.getDelivery(bad.id), { status: 'pending' })
  t.notOk(await h.store.retryDelivery(bad.id), 'once')
}

t.test('a poison delivery ends in dead letters after its retries, holding nothing up [sqlite]', async (t) => {
  await poison(t)
})

t.test('a poison delivery ends in dead letters after its retries, holding nothing up [postgres]', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  await poison(t, () => openPostgresStore({ url }))
})
