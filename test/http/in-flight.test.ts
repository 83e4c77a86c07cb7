// Issue #12: a server that fell behind (1 MB pushes faster than the writer commits them) held every
// request it had read, so its memory grew with the backlog. Past server.maxInFlightBytes a delivery
// is answered 503 TAMER_BUSY with Retry-After before its body is read, nothing of it is stored, and
// the host's redelivery is taken once the backlog is gone. Through the real server on a socket.
import { mkdtempSync, rmSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { NewDelivery, RecordResult } from '../../src/store/store.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { composeForTest, testConfig } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub, type SignedDelivery } from '../support/sign.js'

t.test(
  'past the in-flight budget a delivery gets 503 with Retry-After, is not stored, and its redelivery is',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tamer-in-flight-'))
    const store = openSqliteStore({ file: join(dir, 'tamer.db') })
    // The store commits only when the test says: the deliveries it holds are the ones in flight.
    const held: (() => void)[] = []
    let holding = true
    const gated = {
      ...store,
      recordDelivery: (d: NewDelivery): Promise<RecordResult> =>
        holding ? new Promise<void>((r) => held.push(r)).then(() => store.recordDelivery(d)) : store.recordDelivery(d),
    }
    const pushes = [0, 1, 2, 3].map((i) => signedGitHub('push', githubPush({ after: `${i}`.padStart(40, 'd') })))
    const size = pushes[0]!.body.length
    // Two pushes fit, a third does not.
    const config = testConfig({ server: { logLevel: 'silent', maxInFlightBytes: Math.floor(size * 2.5) } })
    const { app } = await composeForTest(config, { store: gated })
    t.teardown(async () => {
      await app.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/hooks/github`
    const send = (d: SignedDelivery) => fetch(url, { method: 'POST', headers: d.headers, body: d.body })
    const until = async (what: () => boolean) => {
      // A deadline, not a count of timers: a loaded machine fires them late.
      for (const end = Date.now() + 30_000; !what() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10))
    }

    const first = send(pushes[0]!)
    const second = send(pushes[1]!)
    await until(() => held.length === 2)
    t.equal(held.length, 2, 'two deliveries are being stored')

    const refused = await send(pushes[2]!)
    t.equal(refused.status, 503, 'the third is over the budget')
    t.equal(refused.headers.get('retry-after'), '5', 'with Retry-After, so the host delivers it again')
    t.match(await refused.json(), { code: 'TAMER_BUSY', message: /in flight/ })
    t.equal(held.length, 2, 'and it never reached the store')

    holding = false
    for (const release of held.splice(0)) release()
    t.same([(await first).status, (await second).status], [202, 202], 'the two in flight are stored')
    t.equal((await store.listDeliveries({ limit: 10 })).length, 2, 'nothing of the refused one is stored')

    const again = await send(pushes[2]!)
    t.equal(again.status, 202, 'its redelivery (same id, same body) is taken once the backlog is gone')
    t.equal((await send(pushes[3]!)).status, 202, 'the budget was given back: the next is taken too')

    const stored = await store.listDeliveries({ limit: 10 })
    t.same(
      stored.map((d) => d.hostDeliveryId).sort(),
      pushes.map((d) => d.headers['x-github-delivery']).sort(),
      'each delivery stored exactly once',
    )
    const third = stored.find((d) => d.hostDeliveryId === pushes[2]!.headers['x-github-delivery'])!
    t.equal(third.normalized.kind === 'events' && third.normalized.events.length, 1, 'whole: its push event is there')
  },
)

t.test('one delivery alone is always taken, whatever its size; 0 turns the budget off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-in-flight-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  const { app } = await composeForTest(testConfig({ server: { logLevel: 'silent', maxInFlightBytes: 1 } }), {
    store,
  })
  t.teardown(async () => {
    await app.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const d = signedGitHub('push', githubPush())
  const res = await app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 202, 'a body larger than the budget, with nothing else in flight')
  t.equal(testConfig().server.maxInFlightBytes, 64 * 1024 * 1024, 'the default is 64 MB')
  t.equal(testConfig({ server: { maxInFlightBytes: 0 } }).server.maxInFlightBytes, 0, 'and 0 is allowed (off)')
})

// Bodies count before their signature is known: without a per-source share, one sender of large
// forged uploads (announced, then trickled) fills the budget and the host's signed delivery is refused.
t.test('one source holds at most its share of the budget; another source still gets in', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-in-flight-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  const MB = 1024 * 1024
  const compose = (perSource: number) =>
    composeForTest(
      testConfig({ server: { logLevel: 'silent', maxInFlightBytes: 40 * MB, maxInFlightBytesPerSource: perSource } }),
      { store },
    )
  const shared = await compose(30 * MB)
  const unshared = await compose(0)
  t.teardown(async () => {
    await shared.app.close()
    await unshared.app.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const forger = '203.0.113.9'
  const github = '192.30.252.1'

  // An upload that announces 20 MB and sends nothing until the test ends it (short: a 400 then).
  const hold = (app: typeof shared.app) => {
    const body = new PassThrough()
    const answer = app.inject({
      method: 'POST',
      url: '/hooks/github',
      remoteAddress: forger,
      headers: { 'content-type': 'application/json', 'content-length': String(20 * MB), 'x-github-event': 'push' },
      payload: body,
    })
    return { answer, end: () => body.end('{}') }
  }
  const push = (app: typeof shared.app, after: string) => {
    const d = signedGitHub('push', githubPush({ after: after.padStart(40, 'e') }))
    return app.inject({
      method: 'POST',
      url: '/hooks/github',
      remoteAddress: github,
      headers: d.headers,
      payload: d.body,
    })
  }

  const held = [hold(shared.app)]
  await new Promise((r) => setImmediate(r))
  const second = hold(shared.app)
  const refused = await second.answer
  t.equal(refused.statusCode, 503, "the forger's second 20 MB is over its 30 MB share")
  t.match(refused.json(), { code: 'TAMER_BUSY', message: /server\.maxInFlightBytesPerSource/ })
  t.equal((await push(shared.app, '1')).statusCode, 202, "the host's signed push gets in meanwhile")

  // The same two uploads without a share: the second fills the budget, and the signed push is refused.
  held.push(hold(unshared.app), hold(unshared.app))
  await new Promise((r) => setImmediate(r))
  const crowdedOut = await push(unshared.app, '2')
  t.equal(crowdedOut.statusCode, 503, 'without the share the forged bytes keep the signed push out')
  t.match(crowdedOut.json(), { code: 'TAMER_BUSY', message: /server\.maxInFlightBytes / })

  for (const h of held) h.end()
  for (const h of held) await h.answer.catch(() => undefined)
  t.equal((await push(shared.app, '3')).statusCode, 202, 'the shares are given back when the uploads end')
  t.equal((await store.listDeliveries({ limit: 10 })).length, 2, 'only the signed pushes were stored')
})
