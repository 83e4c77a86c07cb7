// Work leases (issue #16, src/store/leases.ts) on both engines: on PostgreSQL a claimed item is
// nobody else's until its lease ends or is released, two replicas claiming at once never get the
// same item, and a replica's heartbeat, release and shutdown act on its own leases only; on SQLite
// (one process) a claim is the plain due read. Clocks are passed in: no test waits for a lease to end.
import t from 'tap'
import type { Lease } from '../../../src/store/leases.js'
import type { ServiceStore } from '../../../src/store/service-store.js'
import pino from 'pino'
import { createLeaseKeeper } from '../../../src/store/lease-keeper.js'
import { delivery, eachEngine, emailNotice, planned } from './engines.js'

const lease = (owner: string, now: number, ms = 1_000): Lease => ({ owner, now, until: now + ms })

async function planBuild(store: ServiceStore, key: string): Promise<string> {
  const { id } = await store.recordDelivery(delivery(key))
  const [b] = await store.planDelivery({
    deliveryId: id,
    outcome: 'triggered',
    evaluation: [],
    builds: [planned(id, { acceptedAt: 0 })],
  })
  return b!.id
}

const ids = (xs: { id: string }[]) => xs.map((x) => x.id)

eachEngine(t, 'a claimed build is held until its lease ends or it is released', async (t, engine) => {
  const store = await engine.open()
  const a = await planBuild(store, 'a')
  const b = await planBuild(store, 'b')
  await store.updateBuild(a, { nextAttemptAt: 2_000 })
  await store.updateBuild(b, { nextAttemptAt: 1_000 })
  const first = await store.claimDueBuilds(lease('r1', 5_000), 10)
  t.same(ids(first.due), [b, a], 'most overdue first, as dueBuilds')
  if (!store.sharedWork) {
    // One process: nothing to hold against anyone; the claim is the due read, every time.
    t.equal(engine.name, 'sqlite')
    t.same(ids((await store.claimDueBuilds(lease('r2', 5_000), 10)).due), [b, a])
    await store.releaseWork('build', a, 'r1')
    t.equal(await store.releaseLeases('r1'), 0)
    return
  }
  const other = await store.claimDueBuilds(lease('r2', 5_500), 10)
  t.same(other.due, [], "another replica gets none of r1's")
  t.equal(other.nextAt, 6_000, "and learns when r1's lease ends")
  await store.releaseWork('build', a, 'r2')
  t.same((await store.claimDueBuilds(lease('r2', 5_500), 10)).due, [], "a release by another owner is not r1's")
  await store.releaseWork('build', a, 'r1')
  t.same(ids((await store.claimDueBuilds(lease('r2', 5_500), 10)).due), [a], 'released: free at once')
  t.same(
    ids((await store.claimDueBuilds(lease('r3', 6_000), 10)).due),
    [b],
    "r1's lease on the other ended unfinished (r1 died): claimable again",
  )
  t.match(await store.getBuild(b), { state: 'pending', nextAttemptAt: 1_000 }, 'the build itself is untouched')
})

eachEngine(
  t,
  "a plan's builds with their intent are its lease's: renewed, released, and free once it ends",
  async (t, engine) => {
    const store = await engine.open()
    if (!store.sharedWork) return void t.pass('one process: a plan holds nothing against anyone')
    const { id } = await store.recordDelivery(delivery('held'))
    const intent = { id: 'b-intent', at: 1_000 }
    const builds = await store.planDelivery({
      deliveryId: id,
      outcome: 'triggered',
      evaluation: [],
      builds: [planned(id, { acceptedAt: 0, intent }), planned(id, { acceptedAt: 0, eventIndex: 1, job: 'other' })],
      lease: lease('r1', 1_000),
    })
    t.match(builds, [{ id: 'b-intent', state: 'triggering', attempts: 1, triggeredAt: 1_000 }, { state: 'pending' }])
    const other = await store.claimDueBuilds(lease('r2', 1_500), 10)
    t.same(
      ids(other.due),
      [builds[1]!.id],
      'another replica claims the one planned without an intent, not the held one',
    )
    await store.renewLeases('r1', 10_000)
    t.same(
      ids((await store.claimDueBuilds(lease('r3', 5_000), 10)).due),
      [builds[1]!.id],
      "the planner's heartbeat renews the plan's lease (r2's ended)",
    )
    t.equal(await store.releaseLeases('r1'), 1, 'its shutdown gives it back')
    t.match(
      (await store.claimDueBuilds(lease('r3', 5_000), 10)).due,
      [{ id: 'b-intent', state: 'triggering', attempts: 1 }],
      'then anyone may claim it: an uncertain trigger (its step looks in Jenkins first)',
    )
  },
)

eachEngine(
  t,
  'a delivery its store holds is its own: passed over by the others until the lease ends',
  async (t, engine) => {
    const store = await engine.open()
    if (!store.sharedWork || !store.holdStoredDeliveries) return void t.pass('one process: it routes all it stores')
    await store.recordDelivery(delivery('unheld'))
    store.holdStoredDeliveries(() => lease('r1', 1_000))
    const { id } = await store.recordDelivery(delivery('held'))
    await store.recordDelivery({ ...delivery('ping'), status: 'ping' })
    t.same(
      (await store.claimPendingDeliveries(lease('r2', 1_500, 100_000), 10)).map((d) => d.dedupeKey),
      ['unheld'],
      "another replica claims the one stored before, not r1's",
    )
    await store.renewLeases('r1', 10_000)
    const held = (ds: { id: string }[]) => ds.filter((d) => d.id === id).length
    t.equal(held(await store.claimPendingDeliveries(lease('r2', 5_000), 10)), 0, "r1's heartbeat renews it")
    t.equal(await store.releaseLeases('r1'), 1, 'its shutdown gives it back')
    t.equal(held(await store.claimPendingDeliveries(lease('r2', 5_000), 10)), 1, 'free for the others at once')
  },
)

eachEngine(t, 'heartbeat and shutdown act on their own leases', async (t, engine) => {
  const store = await engine.open()
  if (!store.sharedWork) return void t.pass('one process: no leases to keep')
  for (const k of ['d1', 'd2', 'd3']) await store.recordDelivery(delivery(k))
  t.equal((await store.claimPendingDeliveries(lease('r1', 1_000), 2)).length, 2)
  t.equal((await store.claimPendingDeliveries(lease('r2', 1_000), 5)).length, 1, 'the one r1 did not take')
  await store.renewLeases('r1', 10_000)
  t.same(
    (await store.claimPendingDeliveries(lease('r3', 5_000), 5)).map((d) => d.dedupeKey),
    ['d3'],
    "r1's two renewed to 10 000; r2's one ended at 2 000",
  )
  t.equal(await store.releaseLeases('r1'), 2, 'a graceful shutdown gives back its two')
  t.equal((await store.claimPendingDeliveries(lease('r3', 5_000), 5)).length, 2, 'free for the others at once')
})

eachEngine(t, "a restart leaves a live replica's send alone, and takes over a dead one's", async (t, engine) => {
  const store = await engine.open()
  if (!store.sharedWork) return void t.pass('one process: every send left `sending` is a crash (builds.test.ts)')
  const build = await planBuild(store, 'n')
  const notice = (id: string) => emailNotice(build, id, { payload: {} })
  const decision = { buildId: build, threadKey: 'k', outcome: null, notified: true, reason: '', decidedAt: 1 }
  await store.recordDecision(decision, [notice('live'), notice('dead')], 1)
  t.same(ids((await store.claimDueNotifications(lease('alive', 1_000, 10_000), 1)).due), ['live'])
  t.same(ids((await store.claimDueNotifications(lease('killed', 1_000, 1_000), 1)).due), ['dead'])
  for (const id of ['live', 'dead']) await store.updateNotification(id, 'pending', { state: 'sending', attempts: 1 })
  t.equal(await store.abandonInterruptedSends('interrupted', 5_000), 1, "only the one whose replica's lease ended")
  t.match(await store.getNotification('live'), { state: 'sending' })
  t.match(await store.getNotification('dead'), { state: 'dead', lastError: 'interrupted' })
  await store.recordHostPosts([
    {
      id: 'p',
      buildId: build,
      tenant: 'default',
      provider: 'github',
      repository: 'acme/r',
      kind: 'status',
      target: 'abc ctx',
      version: 1,
      payload: {},
      credential: 'reporting.hosts.0',
    },
  ])
  t.same(ids((await store.claimDueHostPosts(lease('killed', 1_000, 1_000), 5)).due), ['p'])
  await store.updateHostPost('p', 'pending', { state: 'sending', attempts: 1 })
  t.equal(await store.resumeInterruptedHostPosts(1_500), 0, 'held: its replica may still be posting')
  t.equal(await store.resumeInterruptedHostPosts(2_000), 1, 'lease ended: posted again (posts are idempotent)')
  t.same(ids((await store.claimDueHostPosts(lease('alive', 2_000), 5)).due), ['p'])
})

eachEngine(t, 'two replicas claiming at once never get the same item', async (t, engine) => {
  if (engine.name !== 'postgres') return void t.pass('SQLite: one process')
  const r1 = await engine.open()
  const r2 = await engine.open()
  const n = 150
  await Promise.all(Array.from({ length: n }, (_, i) => r1.recordDelivery(delivery(`c${i}`))))
  const got = { r1: [] as string[], r2: [] as string[] }
  const drain = async (store: ServiceStore, name: 'r1' | 'r2') => {
    for (;;) {
      const claimed = await store.claimPendingDeliveries(lease(name, Date.now(), 60_000), 7)
      if (claimed.length === 0) return
      got[name].push(...ids(claimed))
    }
  }
  await Promise.all([drain(r1, 'r1'), drain(r2, 'r2'), drain(r1, 'r1'), drain(r2, 'r2')])
  const all = [...got.r1, ...got.r2]
  t.equal(all.length, n, 'every item claimed once')
  t.equal(new Set(all).size, n, 'none twice')
  t.ok(got.r1.length > 0 && got.r2.length > 0, `both claimed (${got.r1.length} and ${got.r2.length})`)
})

eachEngine(t, "another replica's commit of new work wakes the listeners (LISTEN/NOTIFY)", async (t, engine) => {
  if (engine.name !== 'postgres') return void t.pass('SQLite: one process wakes its units directly')
  const listening = await engine.open()
  const heard: string[] = []
  let ready!: () => void
  const first = new Promise<void>((r) => (ready = r))
  const unlisten = listening.onWork((kinds) => (heard.push(...kinds), ready()))
  await first // the (re)connection's own wake: every kind
  heard.length = 0
  const writer = await engine.open()
  const got = new Promise<boolean>((resolve) => listening.onWork((k, own) => k.includes('delivery') && resolve(own)))
  await writer.recordDelivery(delivery('wake'))
  t.equal(await got, false, "another replica's commit is not told as the listener's own")
  t.ok(heard.includes('delivery'), `heard ${heard.join(',')}`)
  // Its own commit is told as such: its units were woken directly (the pipeline skips the echo's rescan).
  const echo = new Promise<boolean>((resolve) => listening.onWork((k, own) => k.includes('delivery') && resolve(own)))
  await listening.recordDelivery(delivery('own'))
  t.equal(await echo, true, "the listener's own commit is told as its own")
  unlisten()
})

eachEngine(t, "a replica's keeper renews its leases and gives them all back when it stops", async (t, engine) => {
  if (engine.name !== 'postgres') return void t.pass('SQLite: one process, nothing to give back')
  const store = await engine.open()
  let clock = 1_000
  let beat!: () => void
  const beaten = new Promise<void>((r) => (beat = r))
  const keeper = createLeaseKeeper({
    store: {
      renewLeases: (owner, until) => store.renewLeases(owner, until).then(() => beat()),
      releaseLeases: (owner) => store.releaseLeases(owner),
    },
    leaseMs: 300,
    logger: pino({ level: 'silent' }),
    now: () => clock,
  })
  for (const k of ['k1', 'k2']) await store.recordDelivery(delivery(k))
  t.equal((await store.claimPendingDeliveries(keeper.lease(), 5)).length, 2, 'claimed until 1 300')
  clock = 2_000
  keeper.start()
  await beaten
  const other = () => store.claimPendingDeliveries(lease('other', 2_000), 5)
  t.same(await other(), [], 'the heartbeat moved their end to 2 300: still held')
  t.equal(await keeper.stop(), 2, 'stopping (a graceful shutdown) gives back both')
  t.equal((await other()).length, 2, 'free for the others at once')
})
