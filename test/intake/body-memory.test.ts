// Issue #12: a delivery's body reaches the store in an ArrayBuffer of its own, so the SQLite store transfers it to
// its writer thread. A slice of Node's shared pool (Fastify's Buffer.concat for bodies under Buffer.poolSize / 2)
// is copied by structured clone with the whole of its pool slab (64 KB on Node 24), however small the body.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { composeForTest, testConfig } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

t.test('a delivery body is the whole of its own ArrayBuffer when the store gets it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-body-memory-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  const seen: { length: number; own: boolean }[] = []
  const recordDelivery = store.recordDelivery.bind(store)
  store.recordDelivery = (d) => {
    seen.push({ length: d.body.length, own: d.body.byteOffset === 0 && d.body.byteLength === d.body.buffer.byteLength })
    return recordDelivery(d)
  }
  const { app } = await composeForTest(testConfig(), { store })
  t.teardown(async () => {
    await app.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  // A small push and one of ~7 KB (the bench's), both under the pool's cut-off on Node 22 and 24.
  const small = githubPush()
  const larger = {
    ...small,
    commits: Array.from({ length: 9 }, (_, i) => ({ ...small.commits[0]!, id: `${i}`.padStart(40, 'f') })),
  }
  for (const payload of [small, larger]) {
    const d = signedGitHub('push', payload)
    const res = await app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
  }
  t.equal(seen.length, 2)
  t.ok(seen[1]!.length > seen[0]!.length && seen[1]!.length < 16 * 1024, `bodies of ${seen.map((s) => s.length)} B`)
  t.same(
    seen.map((s) => s.own),
    [true, true],
    'each body is its own ArrayBuffer, transferable without a copy',
  )
})
