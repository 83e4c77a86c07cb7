// The durable inbox: survives restarts, stores each delivery once, even under concurrency.
// (What both engines share runs in test/store/contract/ on SQLite and PostgreSQL; here, SQLite's own.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { startTestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import { signedGitHub, signedGitLab } from '../support/sign.js'
import { delivery } from './contract/engines.js'

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

t.test('deliveries and the writes queued meanwhile share one commit; a failing part rolls back alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-shared-commit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.db')
  const store = openSqliteStore({ file })
  const token = {
    id: 'tok-1',
    name: 'one',
    access: 'read' as const,
    tenants: null,
    hash: 'a'.repeat(64),
    createdAt: new Date().toISOString(),
    createdBy: 'test',
  }
  const audit = { actor: 'test', action: 'token.create', target: 'tok-1', tenant: null, detail: {} }
  await store.createApiToken(token, audit)
  // An open read transaction keeps the checkpointer from restarting the WAL while commits are counted.
  const reader = new BetterSqlite3(file, { readonly: true })
  reader.exec('BEGIN')
  reader.prepare('SELECT count(*) FROM deliveries').get()
  const commitsBefore = walCommits(file)
  // A heartbeat holds the writer, so what follows queues and goes in the next message together.
  let held = store.checkWritable()
  const stored = [store.recordDelivery(delivery('shared-1')), store.recordAudit({ ...audit, action: 'x' })]
  stored.push(store.recordDelivery(delivery('shared-2')))
  await held
  await Promise.all(stored)
  t.equal(walCommits(file) - commitsBefore, 2, 'one commit for the heartbeat, one for the deliveries and the write')
  // A part that fails rolls back alone: the deliveries of its commit are stored.
  held = store.checkWritable()
  const third = store.recordDelivery(delivery('shared-3'))
  const again = store.createApiToken(token, audit) // the same id: a constraint failure
  await held
  t.match(await third, { duplicate: false }, 'the delivery is committed')
  await t.rejects(again, /UNIQUE|constraint/i, 'the failing write is refused on its own')
  reader.exec('COMMIT')
  reader.close()
  await store.close()
  const db = new BetterSqlite3(file, { readonly: true })
  t.equal(db.prepare("SELECT count(*) FROM deliveries WHERE dedupe_key LIKE 'shared-%'").pluck().get(), 3)
  t.equal(db.prepare('SELECT count(*) FROM api_tokens').pluck().get(), 1, 'the failed write left nothing')
  db.close()
})

/**
 * Commits in the WAL: each ends with a frame whose "database size" field is set; frames left from
 * before the WAL last restarted carry other salts (https://www.sqlite.org/fileformat.html#the_write_ahead_log).
 */
function walCommits(file: string): number {
  const wal = readFileSync(`${file}-wal`)
  const pageSize = wal.readUInt32BE(8)
  const salts = wal.subarray(16, 24)
  let commits = 0
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (!wal.subarray(at + 8, at + 16).equals(salts)) break
    if (wal.readUInt32BE(at + 4) > 0) commits++
  }
  return commits
}
