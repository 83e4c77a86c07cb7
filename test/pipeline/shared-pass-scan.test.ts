// Issue #16 (bench:load, one PostgreSQL replica, a burst): 58 deliveries stayed pending 8 s, until the poll. A
// pass's delivery claim set `scan` from its own answer, so a delivery stored while that claim was under way (its
// signal set `scan`, its pass queued behind this one) was not claimed by the pass it woke. Here the first claim
// after the start is held until a second delivery is stored: that delivery must be routed without the poll.
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'

t.test('PostgreSQL: a delivery stored during a delivery claim is claimed by the pass it wakes', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  let hold: Promise<void> | null = null
  let holding: (() => void) | null = null
  const h = await startPipelineApp(t, {
    rules: [],
    openStore: () => openPostgresStore({ url }),
    wrapStore: (s) => ({
      ...s,
      // Stored as another process stores them (`tamer run`, a replica whose pipeline is held): claimed, not held.
      holdStoredDeliveries: undefined,
      claimPendingDeliveries: async (lease, limit) => {
        const claimed = await s.claimPendingDeliveries(lease, limit)
        if (hold) {
          const wait = hold
          hold = null
          await wait
        }
        return claimed
      },
    }),
  })
  await h.drain() // the start's pass is behind
  hold = new Promise<void>((r) => (holding = r))
  const first = await h.push({ after: 'a'.repeat(40) }, 'scan-1')
  for (const end = Date.now() + 20_000; hold !== null && Date.now() < end;) await new Promise((r) => setTimeout(r, 10))
  t.equal(hold, null, "the first delivery's claim answered and is held")
  const second = await h.push({ after: 'b'.repeat(40) }, 'scan-2')
  holding!()
  const status = async (id: string) => (await h.store.getDelivery(id))?.status
  for (const end = Date.now() + 5_000; (await status(second.id)) === 'pending' && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 20))
  t.equal(await status(first.id), 'processed', 'the first was routed')
  t.equal(await status(second.id), 'processed', 'the second was routed without waiting for the poll')
})
