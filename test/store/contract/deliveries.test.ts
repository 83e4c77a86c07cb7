// The durable inbox, on both engines: a delivery is stored once whatever the concurrency (in one
// batch, across batches, after a restart), read back as stored, listed newest first with filters
// and tenants, and a closed store refuses writes.
import t from 'tap'
import { delivery, eachEngine } from './engines.js'

eachEngine(t, 'group commit: duplicates inside a batch and across batches are stored once', async (t, engine) => {
  const store = await engine.open({ maxBatch: 7 })
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => store.recordDelivery(delivery(`k${i % 20}`))))
  t.equal(results.filter((r) => !r.duplicate).length, 20)
  t.equal(results.filter((r) => r.duplicate).length, 10)
  for (let i = 20; i < 30; i++) t.equal(results[i]!.id, results[i - 20]!.id)
  t.equal((await store.listDeliveries({ limit: 100 })).length, 20)
  await store.close()
  await t.rejects(store.recordDelivery(delivery('late')), /closed/)
  await t.rejects(store.updateBuild('x', { attempts: 1 }), /closed/)
})

eachEngine(t, 'deliveries survive a restart; a redelivery after it is a duplicate', async (t, engine) => {
  let store = await engine.open()
  const first = await store.recordDelivery(
    delivery('r1', {
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'r1' },
      body: Buffer.from('{"a":1}'),
      normalized: { kind: 'ignored', reason: 'kept' },
    }),
  )
  t.same(first.duplicate, false)
  await store.close()
  store = await engine.open()
  t.same(await store.recordDelivery(delivery('r1')), { id: first.id, duplicate: true })
  t.match(await store.getDelivery(first.id), {
    id: first.id,
    seq: Number,
    provider: 'github',
    dedupeKey: 'r1',
    hostDeliveryId: 'r1',
    eventType: 'push',
    tenant: 'default',
    repository: 'acme/r',
    status: 'pending',
    headers: { 'x-github-event': 'push', 'x-github-delivery': 'r1' },
    normalized: { kind: 'ignored', reason: 'kept' },
    receivedAt: /^\d{4}-/,
    updatedAt: /^\d{4}-/,
  })
  t.equal(await store.getDelivery('nope'), null)
  t.same(
    (await store.deliveriesByHostId('r1')).map((d) => d.id),
    [first.id],
  )
  t.same(
    (await store.pendingDeliveries(10)).map((d) => d.id),
    [first.id],
  )
  await store.checkWritable()
})

eachEngine(t, 'the same key of another provider is another delivery', async (t, engine) => {
  const store = await engine.open()
  const a = await store.recordDelivery(delivery('same'))
  const b = await store.recordDelivery(delivery('same', { provider: 'gitlab' }))
  t.not(a.id, b.id)
  t.notOk(b.duplicate)
})

eachEngine(t, 'list filters and pagination', async (t, engine) => {
  const store = await engine.open()
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
  t.equal((await store.listDeliveries({ limit: 10, tenants: ['a', 'b', 'a'] })).length, 7)
  t.equal((await store.listDeliveries({ limit: 10, tenants: [] })).length, 0)
  t.equal((await store.listDeliveries({ limit: 10, repository: 'r0', tenants: ['b'] })).length, 2)
  const first = await store.listDeliveries({ limit: 4 })
  const second = await store.listDeliveries({ limit: 4, before: first[3]!.seq })
  t.equal(first.length, 4)
  t.equal(second.length, 3)
  t.same(
    [...first, ...second].map((d) => d.dedupeKey),
    ['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0'],
  )
  t.same(
    (await store.deliveriesAfter(first[3]!.seq, 10)).map((d) => d.dedupeKey),
    ['p4', 'p5', 'p6'],
    'the branch registry reads oldest first after a seq',
  )
  // Summaries (the console's list): the same rows for every query, without headers and events.
  for (const q of [
    { limit: 10 },
    { limit: 10, provider: 'gitlab' as const },
    { limit: 10, status: 'ignored' as const },
    { limit: 10, repository: 'r0', tenants: ['b'] },
    { limit: 10, tenants: ['a'] },
    { limit: 10, tenants: [] },
    { limit: 4, before: first[3]!.seq },
  ]) {
    const full = (await store.listDeliveries(q)).map(({ headers: _h, normalized: _n, ...summary }) => summary)
    t.same(await store.listDeliverySummaries(q), full, JSON.stringify(q))
  }
  t.notOk('normalized' in (await store.listDeliverySummaries({ limit: 1 }))[0]!)
})

eachEngine(t, 'URL credentials are never stored, in the events or the body', async (t, engine) => {
  const store = await engine.open()
  const { id } = await store.recordDelivery(
    delivery('cred', {
      body: Buffer.from('{"clone_url":"https://user:s3cr3t-token@git.example.com/a.git"}'),
      normalized: { kind: 'ignored', reason: 'https://user:s3cr3t-token@git.example.com/a.git' },
    }),
  )
  const stored = await store.getDelivery(id)
  t.notMatch(JSON.stringify(stored), /s3cr3t-token/)
})
