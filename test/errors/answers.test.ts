// What the real server answers for failures outside a route's own refusals: every answer carries
// a catalogue code (test/errors/catalogue.test.ts), never a library's or the system's own code.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { SECRETS, startTestApp } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

const auth = { authorization: `Bearer ${SECRETS.api}` }

t.test(
  "a failure with a foreign code (SQLite's) answers 500 TAMER_INTERNAL, its details in the log only",
  async (t) => {
    const h = await startTestApp(t)
    // A real SQLite failure on read: the table is gone under the running store (SQLITE_ERROR).
    const other = new BetterSqlite3(join(h.dir, 'tamer.db'))
    other.exec('ALTER TABLE deliveries RENAME TO deliveries_gone')
    // Put back before the store closes (its threads read the table too).
    t.teardown(() => {
      other.exec('ALTER TABLE deliveries_gone RENAME TO deliveries')
      other.close()
    })
    const res = await h.app.inject({
      method: 'GET',
      url: '/api/deliveries/0b1c2d3e-0000-4000-8000-000000000000',
      headers: auth,
    })
    t.equal(res.statusCode, 500)
    t.same(res.json(), {
      statusCode: 500,
      code: 'TAMER_INTERNAL',
      error: 'Internal Server Error',
      message: 'internal error',
    })
    t.notMatch(res.body, /SQLITE|deliveries/, 'neither the code nor the message of SQLite')
    t.ok(
      h.logs.some((l) => l.includes('request failed') && l.includes('SQLITE_ERROR') && l.includes('no such table')),
      'the log has the real error',
    )
  },
)

t.test(
  'a delivery that arrives after the store closed is 503 TAMER_STORE_UNAVAILABLE, so the host delivers again',
  async (t) => {
    const h = await startTestApp(t)
    await h.store.close()
    const d = signedGitHub('push', githubPush())
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 503)
    t.match(res.json(), { code: 'TAMER_STORE_UNAVAILABLE', message: /the store is closed/ })
    t.equal(res.headers['retry-after'], '30')
  },
)

t.test('an unknown route is 404 TAMER_NOT_FOUND with the catalogue message', async (t) => {
  const h = await startTestApp(t)
  const res = await h.app.inject({ method: 'GET', url: '/nope?x=1' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), {
    statusCode: 404,
    code: 'TAMER_NOT_FOUND',
    error: 'Not Found',
    message: 'route GET /nope not found',
  })
})
