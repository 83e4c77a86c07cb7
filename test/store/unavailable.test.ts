// Issue #9, item 6: when the store cannot commit (full, locked, read-only), deliveries get a
// coded 503 with Retry-After so the host delivers again, /readyz fails, and nothing is stored.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import BetterSqlite3 from 'better-sqlite3'
import t, { type Test } from 'tap'
import { createLogger } from '../../src/logging.js'
import { storeFailure } from '../../src/store/failures.js'
import { openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/index.js'
import { composeForTest, testConfig } from '../support/app.js'
import * as P from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

async function start(
  t: Test,
  options: (file: string) => Promise<Omit<SqliteStoreOptions, 'file'>> | Omit<SqliteStoreOptions, 'file'> = () => ({}),
) {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-unavailable-'))
  const file = join(dir, 'tamer.db')
  const s = openSqliteStore({ file, ...(await options(file)) })
  const logs: string[] = []
  const sink = new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) })
  // 256 KB bodies at most: readiness then wants 512 KB of room.
  const { app } = await composeForTest(testConfig({ server: { maxBodyBytes: 256 * 1024 } }), {
    store: s,
    logger: createLogger('info', sink),
  })
  t.teardown(async () => {
    await app.close()
    await s.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const post = (payload: unknown, delivery?: string) => {
    const d = signedGitHub('push', payload, { delivery })
    return app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  }
  const count = async () => (await s.listDeliveries({ limit: 100 })).length
  return { app, file, post, count, logs }
}

/** The store's page count once migrated: made, closed, then read with a plain connection. */
async function migratedPages(file: string): Promise<number> {
  await openSqliteStore({ file }).close()
  const db = new BetterSqlite3(file)
  const pages = db.pragma('page_count', { simple: true }) as number
  db.close()
  return pages
}

t.test('a full database: 503 TAMER_STORE_UNAVAILABLE with Retry-After, nothing stored, /readyz fails', async (t) => {
  // Room for small deliveries only: 24 pages (96 KB at 4 KB pages) past the migrated database.
  const h = await start(t, async (file) => ({ maxPageCount: (await migratedPages(file)) + 24 }))
  const small = await h.post(P.githubPush())
  t.equal(small.statusCode, 202, 'a small delivery still fits')

  // 200 KB that deflate cannot shrink below the room left (bodies from 16 KB are stored deflated).
  const big = P.githubPush({ padding: randomBytes(150 * 1024).toString('base64') })
  const res = await h.post(big, 'too-big-for-the-disk')
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'TAMER_STORE_UNAVAILABLE')
  t.match(res.json().message, /full \(SQLITE_FULL\); retry later/)
  t.equal(res.headers['retry-after'], '30', 'the host is told when to deliver again')
  t.equal(await h.count(), 1, 'nothing of the refused delivery stored')

  const ready = await h.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503, '/readyz fails while a delivery cannot fit')
  t.equal(ready.json().code, 'TAMER_STORE_UNAVAILABLE')
  t.match(ready.json().message, /nearly full: [\d.]+ MB left, deliveries need 0\.5 MB/)
  t.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process itself is fine')
})

t.test(
  'a database locked by another process: 503 while locked, /readyz fails; the redelivery is stored once unlocked',
  async (t) => {
    const h = await start(t, () => ({ busyTimeoutMs: 100 }))
    t.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
    const other = new BetterSqlite3(h.file)
    t.teardown(() => other.close())
    other.pragma('busy_timeout = 5000')
    other.exec('BEGIN IMMEDIATE') // holds the write lock, as a backup tool or a second Tamer would
    const res = await h.post(P.githubPush(), 'while-locked')
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'TAMER_STORE_UNAVAILABLE')
    t.match(res.json().message, /locked by another process \(SQLITE_BUSY\)/)
    t.equal(res.headers['retry-after'], '30')
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' })
    t.equal(ready.statusCode, 503)
    t.match(ready.json().message, /SQLITE_BUSY/)

    other.exec('ROLLBACK')
    t.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready again')
    const again = await h.post(P.githubPush(), 'while-locked')
    t.equal(again.statusCode, 202, 'the redelivery is stored')
    t.equal(await h.count(), 1)
  },
)

t.test('which SQLite failures are "unavailable" (503) and which are bugs (500), on real SQLite errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-codes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'x.db')
  const rw = new BetterSqlite3(file)
  rw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)')
  const ro = new BetterSqlite3(file, { readonly: true })
  const codeOf = (f: () => unknown) => {
    try {
      f()
    } catch (err) {
      return err as { code: string; message: string }
    }
    throw new Error('expected a failure')
  }
  const readonly = codeOf(() => ro.exec('INSERT INTO t (v) VALUES (1)'))
  rw.pragma(`max_page_count = ${rw.pragma('page_count', { simple: true }) as number}`)
  const full = codeOf(() => rw.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.alloc(64 * 1024)))
  const constraint = codeOf(() => rw.exec('INSERT INTO t (id) VALUES (1); INSERT INTO t (id) VALUES (1)'))
  ro.close()
  rw.close()
  for (const [err, unavailable] of [
    [readonly, true],
    [full, true],
    [constraint, false],
    [{ code: 'SQLITE_IOERR_WRITE', message: 'disk I/O error' }, true],
    [{ code: 'SQLITE_BUSY_SNAPSHOT', message: 'busy' }, true],
  ] as const) {
    const mapped = storeFailure(err.message, err.code) as Error & { code?: string; statusCode?: number }
    t.equal(
      mapped.code === 'TAMER_STORE_UNAVAILABLE' && mapped.statusCode === 503,
      unavailable,
      `${err.code}: ${mapped.message}`,
    )
  }
})
