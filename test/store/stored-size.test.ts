// A delivery is stored in about its body's size (issue #12: a 6.8 KB push took 13.1 KB, its
// normalized events beside the raw body, 6.57 GB at 500k deliveries): the events are deflated on
// the writer thread, and read back as they were; rows written before (events as TEXT) still read.
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { unpackBody } from '../../src/store/sqlite/delivery-row.js'
import { startTestApp } from '../support/app.js'
import { apiAuth as testApiAuth } from '../support/pipeline-app.js'
import * as P from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

/** A push like bench:intake's: nine commits with file lists (about 6.8 KB). */
function push(i: number) {
  const base = P.githubPush({ after: `${i}`.padStart(40, 'c') })
  const commits = Array.from({ length: 9 }, (_, c) => ({
    ...base.commits[0]!,
    id: `${c}`.padStart(40, 'f'),
    message: `Commit ${c}: retrain, re-evaluate and update the notebooks`,
    added: [`notebooks/exp-${c}.ipynb`, `data/features-${c}.parquet`],
    modified: ['notebooks/train.ipynb', 'requirements.txt', 'src/model/features.py', 'src/model/train.py'],
  }))
  return { ...base, commits }
}

t.test('a push over real HTTP is stored in at most 1.2× its body, and reads back whole', async (t) => {
  const h = await startTestApp(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`
  const d = signedGitHub('push', push(1))
  const res = await fetch(`${url}/hooks/github`, { method: 'POST', headers: d.headers, body: d.body })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }

  const db = new BetterSqlite3(join(h.dir, 'tamer.db'), { readonly: true })
  t.teardown(() => db.close())
  const row = db
    .prepare(
      `SELECT length(headers) AS headers, length(b.body) AS body, length(normalized) AS events, length(d.body) AS inRow
       FROM deliveries d JOIN delivery_bodies b USING (seq) WHERE id = ?`,
    )
    .get(id) as { headers: number; body: number; events: number; inRow: number }
  const bodyBytes = Buffer.byteLength(d.body)
  t.equal(row.body, bodyBytes, 'the body is stored exactly')
  t.equal(row.inRow, 0, 'in its own table, not in the row routing updates')
  t.ok(bodyBytes > 6000, `a push of ${bodyBytes} B`)
  const stored = row.headers + row.body + row.events
  t.ok(stored <= 1.2 * bodyBytes, `stored in ${stored} B (${(stored / bodyBytes).toFixed(2)}× the body)`)

  const shown = await fetch(`${url}/api/deliveries/${id}`, { headers: testApiAuth() })
  const events = ((await shown.json()) as { normalized: { events: { commits: unknown[]; after: string }[] } })
    .normalized.events
  t.equal(events.length, 1)
  t.equal(events[0]!.after, `${1}`.padStart(40, 'c'))
  t.equal(events[0]!.commits.length, 9, 'every commit of the push is in the events read back')
})

t.test('the body is kept apart from the row: routing the delivery does not write it again', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', push(3))
  const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 202)
  const { id } = res.json() as { id: string }
  // A redelivery is a duplicate: no second body.
  const again = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  t.equal(again.statusCode, 200)

  const db = new BetterSqlite3(join(h.dir, 'tamer.db'), { readonly: true })
  t.teardown(() => db.close())
  const bodies = () =>
    db.prepare('SELECT seq, size, deflated, body FROM delivery_bodies').all() as {
      seq: number
      size: number
      deflated: number
      body: Buffer
    }[]
  const [stored, ...more] = bodies()
  t.equal(more.length, 0, 'one body for the delivery and its redelivery')
  t.equal(stored!.seq, db.prepare('SELECT seq FROM deliveries WHERE id = ?').pluck().get(id))
  t.equal(stored!.deflated, 0, 'a 6.8 KB body is stored as it is')
  t.ok(stored!.body.equals(Buffer.from(d.body)), 'the exact bytes')
  t.equal(db.prepare('SELECT length(body) FROM deliveries WHERE id = ?').pluck().get(id), 0)

  // Routing updates the row (status, updated_at); the body's pages are not part of that write.
  const pages = db.prepare('SELECT count(*) FROM dbstat WHERE name = ?').pluck()
  const bodyPages = pages.get('delivery_bodies')
  await h.store.planDelivery({ deliveryId: id, outcome: 'no rule matched', evaluation: null, builds: [] })
  t.equal((await h.store.getDelivery(id))!.status, 'processed')
  t.same(bodies(), [stored], 'the body row as it was')
  t.equal(pages.get('delivery_bodies'), bodyPages)
})

t.test('a large body is stored deflated and inflates to the exact bytes', async (t) => {
  const h = await startTestApp(t)
  const base = push(4)
  // About 1 MB, like bench:intake's big push: 20 commits of 1,300 added files each.
  const commits = base.commits
    .concat(base.commits, base.commits)
    .slice(0, 20)
    .map((c, i) => ({
      ...c,
      id: `${i}`.padStart(40, 'e'),
      added: Array.from({ length: 1300 }, (_, j) => `notebooks/generated/exp-${i}-${j}.ipynb`),
    }))
  const d = signedGitHub('push', { ...base, commits })
  const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 202)
  const bodyBytes = Buffer.byteLength(d.body)
  t.ok(bodyBytes > 1_000_000, `a push of ${bodyBytes} B`)
  const db = new BetterSqlite3(join(h.dir, 'tamer.db'), { readonly: true })
  t.teardown(() => db.close())
  const row = db
    .prepare(
      `SELECT b.size, b.deflated, b.body, length(d.normalized) AS events, length(d.headers) AS headers
       FROM deliveries d JOIN delivery_bodies b USING (seq) WHERE d.id = ?`,
    )
    .get((res.json() as { id: string }).id) as {
    size: number
    deflated: number
    body: Buffer
    events: number
    headers: number
  }
  t.equal(row.size, bodyBytes)
  t.equal(row.deflated, 1)
  t.ok(unpackBody(row).equals(Buffer.from(d.body)), 'inflates to the exact bytes')
  const stored = row.body.length + row.events + row.headers
  t.ok(stored <= 0.5 * bodyBytes, `stored in ${stored} B (${(stored / bodyBytes).toFixed(2)}× the body)`)
})

t.test('a row written before the events were deflated (TEXT) still reads', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', push(2))
  const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  const { id } = res.json() as { id: string }
  const before = await h.store.getDelivery(id)
  const db = new BetterSqlite3(join(h.dir, 'tamer.db'))
  db.prepare('UPDATE deliveries SET normalized = ? WHERE id = ?').run(JSON.stringify(before!.normalized), id)
  t.equal(db.prepare('SELECT typeof(normalized) FROM deliveries WHERE id = ?').pluck().get(id), 'text')
  t.same((await h.store.getDelivery(id))!.normalized, before!.normalized)
  // A TEXT row may predate the removal of URL credentials at write time: they go on the way out.
  const leaky = JSON.stringify(before!.normalized).replace(
    'https://github.com/',
    'https://x-access-token:ghs_leak@github.com/',
  )
  t.not(leaky, JSON.stringify(before!.normalized))
  db.prepare('UPDATE deliveries SET normalized = ? WHERE id = ?').run(leaky, id)
  db.close()
  const read = JSON.stringify((await h.store.getDelivery(id))!.normalized)
  t.notOk(read.includes('ghs_leak'), 'no credential read back from an old row')
})
