// The durable inbox: survives restarts, stores each delivery once, even under concurrency.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import type { NewDelivery } from '../../src/store/store.js'
import { startTestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import { signedGitHub, signedGitLab } from '../support/sign.js'

function delivery(key: string, over: Partial<NewDelivery> = {}): NewDelivery {
  return {
    provider: 'github',
    dedupeKey: key,
    hostDeliveryId: key,
    eventType: 'push',
    tenant: 'default',
    repository: 'acme/r',
    status: 'pending',
    headers: { 'x-github-event': 'push' },
    body: Buffer.from('{}'),
    normalized: { kind: 'ignored', reason: 'test' },
    receivedAt: new Date().toISOString(),
    ...over,
  }
}

t.test('deliveries survive a restart, none doubled, redelivery after restart is a duplicate', async (t) => {
  const h = await startTestApp(t)
  const sent = Array.from({ length: 20 }, (_, i) =>
    signedGitHub('push', P.githubPush({ after: `${i}`.padStart(40, 'a') }), { delivery: `d-${i}` }),
  )
  const ids: string[] = []
  for (const d of sent) {
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
    ids.push(res.json().id)
  }
  await h.restart()
  const all = await h.store.listDeliveries({ limit: 100 })
  t.equal(all.length, 20)
  t.same(new Set(all.map((d) => d.id)), new Set(ids))
  const again = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: sent[3]!.headers,
    payload: sent[3]!.body,
  })
  t.same(again.json(), { id: ids[3], duplicate: true })
  t.equal((await h.store.listDeliveries({ limit: 100 })).length, 20)
})

t.test('200 concurrent deliveries over real HTTP: all stored exactly once', async (t) => {
  const h = await startTestApp(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`
  const sent = Array.from({ length: 200 }, (_, i) =>
    i % 2 === 0
      ? {
          route: 'github',
          d: signedGitHub('push', P.githubPush({ after: `${i}`.padStart(40, 'b') }), { delivery: `c-${i}` }),
        }
      : {
          route: 'gitlab',
          d: signedGitLab('Push Hook', P.gitlabPush({ after: `${i}`.padStart(40, 'b') }), { idempotencyKey: `c-${i}` }),
        },
  )
  // Each delivery twice, all at once: the duplicates race their originals.
  const requests = [...sent, ...sent].map(({ route, d }) =>
    fetch(`${url}/hooks/${route}`, { method: 'POST', headers: d.headers, body: d.body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { id: string; duplicate?: boolean },
    })),
  )
  const results = await Promise.all(requests)
  t.equal(results.filter((r) => r.status === 202).length, 200, '200 accepted')
  t.equal(results.filter((r) => r.status === 200 && r.body.duplicate).length, 200, '200 duplicates')
  for (let i = 0; i < 200; i++) t.equal(results[i]!.body.id, results[i + 200]!.body.id)
  const stored = await h.store.listDeliveries({ limit: 1000 })
  t.equal(stored.length, 200)
  t.equal(new Set(stored.map((d) => `${d.provider}:${d.dedupeKey}`)).size, 200)
})

t.test('group commit: one batch holds many deliveries and duplicates inside a batch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = openSqliteStore({ file: join(dir, 'db.sqlite'), maxBatch: 7 })
  const results = await Promise.all([
    ...Array.from({ length: 30 }, (_, i) => store.recordDelivery(delivery(`k${i % 20}`))),
  ])
  t.equal(results.filter((r) => !r.duplicate).length, 20)
  t.equal(results.filter((r) => r.duplicate).length, 10)
  for (let i = 20; i < 30; i++) t.equal(results[i]!.id, results[i - 20]!.id)
  await store.close()
  await t.rejects(store.recordDelivery(delivery('late')), /closed/)
})

t.test('WAL with synchronous=FULL by default; migrations run once and are recorded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'db.sqlite')
  const store = openSqliteStore({ file })
  await store.recordDelivery(delivery('x'))
  await store.close()
  const reopened = openSqliteStore({ file })
  await reopened.close()
  const db = new BetterSqlite3(file, { readonly: true })
  t.teardown(() => db.close())
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.same(
    db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
    MIGRATIONS.map((m) => m.version),
  )
  t.equal(db.prepare('SELECT count(*) FROM deliveries').pluck().get(), 1)
  const check = openSqliteStore({ file: ':memory:' })
  t.teardown(() => check.close())
  await check.checkWritable()
})

t.test('list filters and pagination', async (t) => {
  const store = openSqliteStore({ file: ':memory:' })
  t.teardown(() => store.close())
  for (let i = 0; i < 7; i++)
    await store.recordDelivery(
      delivery(`p${i}`, {
        provider: i % 2 ? 'gitlab' : 'github',
        tenant: i < 3 ? 'a' : 'b',
        status: i === 6 ? 'ignored' : 'pending',
        repository: `r${i % 3}`,
      }),
    )
  t.equal((await store.listDeliveries({ limit: 10, provider: 'gitlab' })).length, 3)
  t.equal((await store.listDeliveries({ limit: 10, status: 'ignored' })).length, 1)
  t.equal((await store.listDeliveries({ limit: 10, repository: 'r0' })).length, 3)
  t.equal((await store.listDeliveries({ limit: 10, tenants: ['a'] })).length, 3)
  t.equal((await store.listDeliveries({ limit: 10, tenants: [] })).length, 0)
  const first = await store.listDeliveries({ limit: 4 })
  const second = await store.listDeliveries({ limit: 4, before: first[3]!.seq })
  t.equal(first.length, 4)
  t.equal(second.length, 3)
  t.same(
    [...first, ...second].map((d) => d.dedupeKey),
    ['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0'],
  )
})
