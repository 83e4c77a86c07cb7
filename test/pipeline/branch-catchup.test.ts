// The branch registry's catch-up of deliveries no signal told of (a store from before an upgrade, or written
// by another process): after one look-again wait it reads back in one go, not one wait per 200 deliveries
// (which made ~550 deliveries/s here, ~15 minutes for a 500k store).
import t from 'tap'
import { createLogger } from '../../src/logging.js'
import { createBranchTracker } from '../../src/pipeline/branches.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { tempDir } from '../git/repo.js'
import { githubPush } from '../support/payloads.js'
import { storedPush } from '../support/stored-push.js'
import { until } from '../support/until.js'

t.test('a store the registry never saw is read back after one wait, whatever its size', async (t) => {
  const store = openSqliteStore({ file: `${tempDir(t, 'tamer-catchup-')}/tamer.db` })
  t.teardown(() => store.close())
  const N = 1000
  // Recorded together, so the writer commits them in a few batches (the test's time is not fsyncs).
  const record = (i: number) => {
    const payload = githubPush({ ref: `refs/heads/b${i % 50}`, after: i.toString(16).padStart(40, 'a') })
    return store.recordDelivery(storedPush(payload, `d${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()))
  }
  for (let i = 0; i < N; i += 250) await Promise.all(Array.from({ length: 250 }, (_, j) => record(i + j)))
  // A wait far longer than the test: a second look-again wait would time it out.
  const tracker = createBranchTracker({
    store,
    logger: createLogger('silent'),
    mirrors: { remoteOf: () => '', ensure: () => Promise.reject(new Error('not listed here')) },
    lookAgainMs: 10 * 60_000,
  })
  t.teardown(() => tracker.stop())
  // The first pass finds the head unknown and waits; the second (as its timer would) reads back, to the end.
  tracker.wake()
  tracker.wake()
  await until('the registry took every delivery', async () => (await store.branchCursor()) === N)
  const live = await store.listBranches({ repository: 'acme-ds/churn-model', state: 'live', limit: 100 })
  t.equal(live.length, 50, 'every branch pushed')
  t.equal(live.find((b) => b.branch === 'b49')?.commitSha, (N - 1).toString(16).padStart(40, 'a'), 'at its last push')
})

t.test('settled waits for the work the changes told of started (the jobs rewritten), not only the pass', async (t) => {
  const store = openSqliteStore({ file: `${tempDir(t, 'tamer-settled-')}/tamer.db` })
  t.teardown(() => store.close())
  let release = () => {}
  const rewrites: string[] = []
  const tracker = createBranchTracker({
    store,
    logger: createLogger('silent'),
    mirrors: { remoteOf: () => '', ensure: () => Promise.reject(new Error('not listed here')) },
    branchesChanged: (k) =>
      new Promise<void>((resolve) => {
        release = () => (rewrites.push(k.repository), resolve())
      }),
  })
  t.teardown(() => tracker.stop())
  await store.recordDelivery(storedPush(githubPush({ ref: 'refs/heads/new' }), 'd1', new Date().toISOString()))
  let settled = false
  const done = tracker.settled().then(() => (settled = true))
  await until('the change told of', () => (store.branchCursor() as Promise<number>).then((c) => c === 1))
  await new Promise((r) => setTimeout(r, 20))
  t.notOk(settled, 'not settled while the rewrite is under way')
  release()
  await done
  t.same(rewrites, ['acme-ds/churn-model'])
})

t.test('wakes within wakeCoalesceMs make one pass, which takes every commit of that time', async (t) => {
  const store = openSqliteStore({ file: `${tempDir(t, 'tamer-coalesce-')}/tamer.db` })
  t.teardown(() => store.close())
  let applies = 0
  const tracker = createBranchTracker({
    store: { ...store, applyBranchChanges: (...a) => (applies++, store.applyBranchChanges(...a)) },
    logger: createLogger('silent'),
    mirrors: { remoteOf: () => '', ensure: () => Promise.reject(new Error('not listed here')) },
    // Far longer than five commits take, even on a loaded machine: one pass, after the last.
    wakeCoalesceMs: 2000,
  })
  t.teardown(() => tracker.stop())
  // As tamer serve tells it: each delivery's signal after its own commit, then a wake.
  for (let i = 0; i < 5; i++) {
    const d = storedPush(githubPush({ ref: `refs/heads/b${i}` }), `d${i}`)
    const { id } = await store.recordDelivery(d)
    tracker.stored(id, d)
    tracker.wake()
  }
  await until('the registry took every delivery', async () => (await store.branchCursor()) === 5)
  t.equal(applies, 1, 'one write of the branch rows for the five commits (a pass at once made one per commit)')
  const live = await store.listBranches({ repository: 'acme-ds/churn-model', state: 'live', limit: 100 })
  t.equal(live.length, 5, 'every branch pushed')
})
