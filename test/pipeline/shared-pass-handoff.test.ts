// Issue #16 (bench:load, two replicas at 0.2 CPU each): each replica claimed on every NOTIFY of the other,
// whose own commit had woken it already: two replicas made 0.66 claims per delivery against one's 0.32, most
// of them empty, on CPU they were short of. A replica now leaves another's new work to it and looks a moment
// later (the handoff) unless a pass of its own looked meanwhile, so work whose committer took none (a replica
// that died before its claim, a command) is still taken then, long before a lease or the tick would.
import t from 'tap'
import type { Timers } from '../../src/work/timers.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import type { ServiceStore } from '../../src/store/service-store.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import { githubPush } from '../support/payloads.js'
import { storedPush } from '../support/stored-push.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Timers the test fires itself: `fire(ms)` runs those set for at most `ms` (the handoff, not polls or the tick). */
function heldTimers() {
  const pending = new Set<{ fn: () => void; ms: number }>()
  const timers: Timers = {
    set: (fn, ms) => {
      const h = { fn, ms }
      pending.add(h)
      return h
    },
    clear: (h) => void pending.delete(h as never),
  }
  const fire = (ms: number) => {
    for (const h of [...pending])
      if (h.ms <= ms) {
        pending.delete(h)
        h.fn()
      }
  }
  return { timers, fire }
}

/** A replica whose claims are counted, with its timers held, and every NOTIFY it heard. */
async function replicaA(t: { teardown(fn: () => unknown): void }, url: string) {
  const { timers, fire } = heldTimers()
  let claims = 0
  const count = (s: ServiceStore): ServiceStore => ({
    ...s,
    claimPendingDeliveries: (lease, limit) => (claims++, s.claimPendingDeliveries(lease, limit)),
    claimDueBuilds: (lease, limit) => (claims++, s.claimDueBuilds(lease, limit)),
  })
  const h = await startPipelineApp(t, {
    openStore: () => openPostgresStore({ url }),
    // Leases (and so the polls) far longer than the test.
    config: { store: { engine: 'postgres', url, postgres: { leaseMs: 600_000 } } },
    timers,
    wrapStore: count,
  })
  const heard: string[] = []
  t.teardown(h.store.onWork((kinds, own) => void (own || heard.push(...kinds))))
  return { h, fire, heard, claims: () => claims }
}

t.test("PostgreSQL: no claim on another live replica's NOTIFY; its work is its own", async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const a = await replicaA(t, url)
  const b = await startPipelineApp(t, {
    openStore: () => openPostgresStore({ url }),
    config: { store: { engine: 'postgres', url, postgres: { leaseMs: 600_000 } } },
  })
  await sleep(300) // A's LISTEN is up; its start-up claims are behind it
  const before = a.claims()
  for (let i = 0; i < 5; i++) {
    t.equal((await b.push({ after: (i + 1).toString(16).padStart(40, 'b') }, `live-${i}`)).statusCode, 202)
    await b.drain()
  }
  // Every commit of B's told A: five stored deliveries and five plans.
  for (const end = Date.now() + 20_000; a.heard.filter((k) => k === 'build').length < 5 && Date.now() < end;)
    await sleep(50)
  t.ok(a.heard.filter((k) => k === 'delivery').length >= 5, 'A heard B store each delivery')
  t.ok(a.heard.filter((k) => k === 'build').length >= 5, 'and plan each build')
  await sleep(300) // what A would have claimed on them has started by now
  t.equal(a.claims() - before, 0, 'A made no claim on them')
  const triggered = b.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length
  t.equal(triggered, 5, 'B triggered each of its own')
})

t.test('PostgreSQL: work another process committed and took none is claimed after the handoff', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const a = await replicaA(t, url)
  await sleep(300)
  a.fire(1_000) // the look after A's LISTEN came up (no work yet)
  await sleep(300)
  const before = a.claims()
  // Another process stores a delivery and takes none of it (a replica killed right after its commit, a command).
  const other = await openPostgresStore({ url })
  t.teardown(() => other.close())
  await other.recordDelivery(storedPush(githubPush({ after: 'c'.repeat(40) }), 'orphan-1'))
  for (const end = Date.now() + 20_000; !a.heard.includes('delivery') && Date.now() < end;) await sleep(50)
  t.ok(a.heard.includes('delivery'), 'A heard of it')
  await sleep(300)
  t.equal(a.claims() - before, 0, 'A leaves it to its committer for a moment')
  a.fire(1_000) // the moment is over and no pass of A's looked: A looks
  const triggered = () => a.h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length
  for (const end = Date.now() + 20_000; triggered() === 0 && Date.now() < end;) await sleep(50)
  await a.h.drain()
  t.equal(triggered(), 1, 'A routed and triggered it')
})
