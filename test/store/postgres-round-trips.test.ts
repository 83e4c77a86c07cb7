// What a trigger costs in statements on PostgreSQL (issue #16): a plan is one statement, a claim writes the
// trigger's intent of the pending builds it takes (push order kept: none behind a held build of the job, none for
// a template that reads the repository's settings), and a trigger's answer with its run is one statement.
// Statements are counted as pg's clients send them (transaction control apart), and each of these is prepared.
import pg from 'pg'
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { delivery, planned } from './contract/engines.js'

/**
 * Every statement the process's pg clients send while `fn` runs, but BEGIN, COMMIT and savepoints; a prepared
 * one (named, parsed and planned once per connection: most of a small statement's cost) as `prepared`.
 */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  const query = pg.Client.prototype.query
  const counting = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0]
    const text = typeof q === 'string' ? q : (q as { text?: string } | null)?.text
    const name = typeof q === 'string' ? undefined : (q as { name?: string } | null)?.name
    if (typeof text === 'string' && !/^(BEGIN|COMMIT|ROLLBACK|RELEASE|SAVEPOINT|SELECT pg_notify)/.test(text.trim()))
      seen.push(name ? 'prepared' : text)
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  }
  pg.Client.prototype.query = counting as typeof query
  try {
    await fn()
  } finally {
    pg.Client.prototype.query = query
  }
  return seen
}

t.test('a plan, a claim with its intents and a trigger answer with its run are a statement each', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const store = await openPostgresStore({ url })
  t.teardown(() => store.close())
  const ids: string[] = []
  for (const key of ['a', 'b', 'c', 'd', 'e']) ids.push((await store.recordDelivery(delivery(`rt-${key}`))).id)
  const plan = (i: number, over = {}) => ({
    deliveryId: ids[i]!,
    outcome: 'triggered' as const,
    evaluation: [],
    builds: [planned(ids[i]!, over)],
  })

  let first: Awaited<ReturnType<typeof store.planDelivery>> = []
  t.same(await statementsOf(async () => (first = await store.planDelivery(plan(0)))), ['prepared'], 'a plan: one')
  t.same(
    first.map((b) => [b.deliveryId, b.state]),
    [[ids[0], 'pending']],
    'its build, back from the insert',
  )
  t.same(
    (await store.planDelivery(plan(0))).map((b) => b.id),
    [first[0]!.id],
    'planned again: the builds stored',
  )
  let intended: Awaited<ReturnType<typeof store.planDelivery>> = []
  const planIntent = { id: '00000000-0000-4000-8000-0000000000a1', at: 1_000 }
  t.same(
    await statementsOf(
      async () => (intended = await store.planDelivery(plan(4, { job: 'intent-job', intent: planIntent }))),
    ),
    ['prepared'],
    "a plan with a trigger's intent: one, its job's held builds looked for in it",
  )
  t.match(intended, [{ id: planIntent.id, state: 'triggering' }], 'the intent committed')
  const empty = { deliveryId: ids[3]!, outcome: 'no rule matched' as const, evaluation: [], builds: [] }
  t.same(await store.planDelivery(empty), [], 'a plan without builds')
  t.equal((await store.getDelivery(ids[3]!))?.status, 'processed', 'its delivery processed')

  const lease = { owner: 'r1', now: Date.now(), until: Date.now() + 30_000 }
  const intent = { at: lease.now, exceptTemplates: ['reads-settings'] }
  let claimed: Awaited<ReturnType<typeof store.claimDueBuilds>> | null = null
  t.same(
    await statementsOf(async () => (claimed = await store.claimDueBuilds(lease, 8, intent))),
    ['prepared'],
    'a claim with intents: one',
  )
  const b = claimed!.due[0]!
  t.same([...claimed!.intents!], [b.id], "the pending build's intent")
  t.same(
    [b.state, b.attempts, b.triggeredAt, b.missedAt],
    ['triggering', 1, lease.now, null],
    'written as a step would',
  )
  t.equal((await store.getBuild(b.id))?.state, 'triggering', 'committed')

  // Held: the first build's request failed; a later build of its job is claimed without an intent (push order),
  // and so is a build of a template that reads the repository's settings.
  await store.updateBuild(b.id, { state: 'waiting-for-jenkins', nextAttemptAt: lease.now + 60_000 })
  const [behind] = await store.planDelivery(plan(1))
  const [settings] = await store.planDelivery(plan(2, { job: 'k', template: 'reads-settings' }))
  const second = await store.claimDueBuilds({ ...lease, owner: 'r2' }, 8, intent)
  t.same(
    second.due.map((x) => [x.id, x.state]),
    [
      [behind!.id, 'pending'],
      [settings!.id, 'pending'],
    ],
    'claimed, both still pending',
  )
  t.same([...second.intents!], [], 'neither with an intent')

  const answer = {
    state: 'queued' as const,
    queueId: 7,
    lastError: null,
    nextAttemptAt: lease.now + 60_000,
    runs: [{ queueId: 7, buildNumber: null, buildUrl: null, source: 'trigger' as const }],
  }
  t.same(await statementsOf(() => store.updateBuild(behind!.id, answer)), ['prepared'], "a trigger's answer: one")
  const repo = { tenant: 'default', provider: 'github' as const, repository: 'acme/r' }
  t.same(
    await statementsOf(() => store.branchChoices(repo, 10)),
    ['prepared'],
    "the job's branch choices, read before each trigger",
  )
  t.same(await statementsOf(() => store.releaseWork('build', b.id, 'r1')), ['prepared'], 'a release')
  const started = { queueId: 7, buildNumber: 3, buildUrl: 'https://ci/job/j/3/', source: 'queue' as const }
  await store.updateBuild(behind!.id, { state: 'running', buildNumber: 3, runs: [started] })
  const after = await store.getBuild(behind!.id)
  t.same([after?.state, after?.queueId, after?.buildNumber], ['running', 7, 3], 'the build updated')
  t.same(
    (await store.runsOf([behind!.id])).get(behind!.id)?.map((r) => [r.queueId, r.buildNumber, r.source]),
    [[7, 3, 'trigger']],
    'one run, its number added to the one the trigger recorded',
  )
})
