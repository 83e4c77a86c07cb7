// What is PostgreSQL's own (issue #16): replicas sharing one database store a redelivery once;
// migrations run once however many replicas start together; a database from a newer Tamer is
// refused naming both versions; an unreachable server is named by host and port, never with the
// password, and `tamer serve` exits 2; a server lost mid-run makes intake answer 503 until it is back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../src/store/postgres/migrations.js'
import { openStore } from '../../src/store/open.js'
import { runTamer } from '../support/cli.js'
import { freshDatabase } from '../support/postgres.js'
import { delivery } from './contract/engines.js'
import { startPipelineApp } from '../support/pipeline-app.js'

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

t.test('two replicas record the same deliveries at once: each stored once, the other answer a duplicate', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const a = await openPostgresStore({ url, maxBatch: 16 })
  const b = await openPostgresStore({ url, maxBatch: 16 })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  const keys = Array.from({ length: 60 }, (_, i) => `shared-${i}`)
  // Opposite orders: the batches take the unique index's locks in key order, so neither deadlocks.
  const [fromA, fromB] = await Promise.all([
    Promise.all(keys.map((k) => a.recordDelivery(delivery(k)))),
    Promise.all([...keys].reverse().map((k) => b.recordDelivery(delivery(k)))),
  ])
  fromB.reverse()
  for (let i = 0; i < keys.length; i++) {
    t.equal(fromA[i]!.id, fromB[i]!.id, `${keys[i]}: one id`)
    t.equal([fromA[i]!.duplicate, fromB[i]!.duplicate].filter((d) => !d).length, 1, `${keys[i]}: stored once`)
  }
  t.equal((await a.listDeliveries({ limit: 1000 })).length, keys.length)
  // One delivery, each replica once, many times over: never two rows, always one duplicate.
  for (let i = 0; i < 20; i++) {
    const d = delivery(`race-${i}`)
    const results = await Promise.all([a.recordDelivery(d), b.recordDelivery({ ...d })])
    t.equal(results[0].id, results[1].id)
    t.same(results.map((r) => r.duplicate).sort(), [false, true], `race-${i}: one duplicate: true`)
  }
})

t.test("two replicas' branch passes apply the same pushes at once: no failure, applied once", async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const a = await openPostgresStore({ url })
  const b = await openPostgresStore({ url })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  const key = { tenant: 'default', provider: 'github' as const, repository: 'acme/r' }
  const push = (i: number) => ({
    ...key,
    branch: 'main',
    deleted: false,
    commitSha: i.toString(16).padStart(40, '0'),
    authorName: 'Ada',
    authorEmail: 'ada@example.com',
    committedAt: null,
    at: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
    defaultBranch: 'main',
  })
  // Each pass of bench:load's two replicas read the same deliveries; both deleted and inserted the repository's
  // row at once, and one failed on its unique key (its writer's whole batch rolled back and ran again).
  for (let i = 1; i <= 20; i++) {
    const both = await Promise.allSettled([a.applyBranchChanges([push(i)], i), b.applyBranchChanges([push(i)], i)])
    t.same(
      both.map((r) => r.status),
      ['fulfilled', 'fulfilled'],
      `pass ${i}: both passes end without an error`,
    )
  }
  t.equal(await a.branchCursor(), 20)
  t.match(await a.getBranch(key, 'main'), { deletedAt: null, commitSha: (20).toString(16).padStart(40, '0') })
})

t.test('replicas starting together migrate once; the version is recorded', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url })))
  for (const s of stores) await s.close()
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  t.teardown(() => c.end())
  const { rows } = await c.query('SELECT version, name FROM schema_migrations ORDER BY version')
  t.same(
    rows.map((r) => r.version),
    PG_MIGRATIONS.map((m) => m.version),
    'each migration once',
  )
})

t.test('a database migrated by a newer Tamer is refused, naming both versions', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  await (await openPostgresStore({ url })).close()
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')`)
  await c.end()
  await t.rejects(openPostgresStore({ url }), {
    code: 'TAMER_SCHEMA_TOO_NEW',
    message: new RegExp(`version 999.*up to version ${PG_SCHEMA_VERSION}`),
  })
})

t.test('PostgreSQL unreachable: the error names host and port, never the password; serve exits 2', async (t) => {
  const port = await closedPort()
  const url = `postgres://tamer:hunter2-very-secret@127.0.0.1:${port}/tamer`
  const config = {
    dataDir: '/nonexistent',
    store: { engine: 'postgres' as const, url, sqlite: { synchronous: 'FULL' as const, maxBatch: 1 } },
  }
  const err = await openStore({
    ...config,
    store: { ...config.store, postgres: { maxBatch: 1, poolSize: 2, leaseMs: 30_000 } },
  }).then(
    () => null,
    (e: Error & { code?: string }) => e,
  )
  t.match(err, { code: 'TAMER_DATABASE_UNREACHABLE', message: new RegExp(`127\\.0\\.0\\.1:${port}/tamer`) })
  t.notMatch(err?.message, /hunter2/)

  const dir = mkdtempSync(join(tmpdir(), 'tamer-pg-serve-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'tamer.yaml'), 'store:\n  engine: postgres\n')
  const res = await runTamer(['serve', '-c', join(dir, 'tamer.yaml')], {
    cwd: dir,
    env: { PATH: process.env.PATH, TAMER_DATABASE_URL: url, TAMER_DATA_DIR: dir },
  })
  t.equal(res.exitCode, 2)
  t.match(res.stderr, new RegExp(`Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}.*TAMER_DATABASE_UNREACHABLE`))
  t.notMatch(res.stderr + res.stdout, /hunter2/)

  writeFileSync(join(dir, 'tamer.yaml'), 'store:\n  engine: postgres\n')
  const missing = await runTamer(['serve', '-c', join(dir, 'tamer.yaml')], {
    cwd: dir,
    env: { PATH: process.env.PATH, TAMER_DATA_DIR: dir },
  })
  t.equal(missing.exitCode, 2)
  t.match(missing.stderr, /store\.url: is required when store\.engine is postgres/)
})

t.test(
  'PostgreSQL lost mid-run: intake answers 503 (nothing acknowledged), then recovers without a restart',
  async (t) => {
    const url = await freshDatabase(t)
    if (!url) return
    // A TCP proxy in front of the server: cutting it drops every connection, as a failover or a network cut does.
    const target = new URL(url)
    let up = true
    const sockets = new Set<Socket>()
    const proxy = createServer((client) => {
      if (!up) return void client.destroy()
      const server = connect(Number(target.port || 5432), target.hostname)
      for (const s of [client, server]) {
        sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => (sockets.delete(s), client.destroy(), server.destroy()))
      }
      client.pipe(server).pipe(client)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    t.teardown(() => (proxy.close(), sockets.forEach((s) => s.destroy())))
    const via = new URL(url)
    via.hostname = '127.0.0.1'
    via.port = String((proxy.address() as { port: number }).port)
    const h = await startPipelineApp(t, { jenkins: null, openStore: () => openPostgresStore({ url: via.toString() }) })
    t.equal((await h.push({ after: '1'.repeat(40) }, 'before-cut')).statusCode, 202)

    up = false
    for (const s of sockets) s.destroy()
    const cut = await h.push({ after: '2'.repeat(40) }, 'during-cut')
    t.equal(cut.statusCode, 503, 'not acknowledged while the database is gone')
    const ready = await h.app.inject({ url: '/readyz' })
    t.equal(ready.statusCode, 503, '/readyz fails too')

    up = true
    let again = 0
    for (let i = 0; i < 100 && again !== 202; i++) {
      again = (await h.push({ after: '2'.repeat(40) }, 'during-cut')).statusCode
      if (again !== 202) await new Promise((r) => setTimeout(r, 100))
    }
    t.equal(again, 202, 'the redelivery is stored once the database is back, without a restart')
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    const { rows } = await c.query('SELECT host_delivery_id FROM deliveries ORDER BY seq')
    await c.end()
    t.same(
      rows.map((r: { host_delivery_id: string }) => r.host_delivery_id),
      ['before-cut', 'during-cut'],
      'both stored, each once',
    )
  },
)

t.test('a write that fails among writes run side by side fails alone; the others are committed', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const store = await openPostgresStore({ url })
  t.teardown(() => store.close())
  const ids = await Promise.all(['x', 'y', 'z'].map(async (k) => (await store.recordDelivery(delivery(k))).id))
  const plan = (deliveryId: string) =>
    store.planDelivery({ deliveryId, outcome: 'no rule matched', evaluation: [], builds: [] })
  // Queued together, so they share a transaction: the plan of a delivery that was never stored breaks its foreign
  // key, the transaction is rolled back, and it runs again with each part in its savepoint.
  const results = await Promise.allSettled([plan(ids[0]!), plan('never-stored'), plan(ids[1]!), plan(ids[2]!)])
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  )
  const check = new pg.Client({ connectionString: url })
  await check.connect()
  t.teardown(() => check.end())
  const { rows } = await check.query<{ delivery_id: string }>('SELECT delivery_id FROM dispatches ORDER BY delivery_id')
  t.same(
    rows.map((r) => r.delivery_id),
    [...ids].sort(),
    'the three stored deliveries are planned; nothing of the failed one',
  )
})
