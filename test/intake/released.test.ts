// Issue #12 (the 1 MB tail): a delivery's parsed events are let go once it is queued for its commit, not held
// until the commit answers. A 1 MB push's ~26,000 paths held that long were copied by every scavenge meanwhile.
// Each test holds a WeakRef to the events and collects garbage while the commit is still unanswered.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t, { type Test } from 'tap'
import { isCompacted } from '../../src/events/compact.js'
import type { PushEvent } from '../../src/events/model.js'
import { receiveDelivery } from '../../src/intake/receive.js'
import { createGitHubProvider } from '../../src/providers/github/index.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { NewDelivery, RecordResult } from '../../src/store/store.js'
import { testConfig } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { storedPush } from '../support/stored-push.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const turn = () => new Promise((r) => setImmediate(r))

/** A push with a commit that lists `files` paths, its head the last commit. */
function bigPush(files: number) {
  const base = githubPush()
  const commit = {
    ...base.commits[0]!,
    id: base.after,
    added: Array.from({ length: files }, (_, i) => `nb/x-${i}.ipynb`),
  }
  return { ...base, commits: [commit] }
}

function tempStore(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-released-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return store
}

t.test('the SQLite store lets a delivery go once it is on its way to the writer thread', async (t) => {
  const store = tempStore(t)
  // Made in a function of its own: a test's locals would hold the delivery themselves.
  const queue = () => {
    const d = storedPush(bigPush(2000), 'released-1')
    return { recorded: store.recordDelivery(d), events: new WeakRef(d.normalized) }
  }
  const { recorded, events } = queue()
  // This turn's check phase, after the store's flush and before the writer's answer can be read (poll phase).
  await turn()
  gc()
  t.equal(events.deref(), undefined, 'the events are not held while the commit is under way')
  const r = await recorded
  t.equal(r.duplicate, false)
  const stored = await store.getDelivery(r.id)
  const push = stored!.normalized.kind === 'events' ? (stored!.normalized.events[0] as PushEvent) : null
  t.equal(push?.commits[0]?.added.length, 2000, 'stored whole')
})

t.test(
  'intake holds no parsed events while it waits for the commit; its listeners get a large one compacted',
  async (t) => {
    const store = tempStore(t)
    const github = createGitHubProvider(testConfig().providers.github)
    let events: WeakRef<object> | null = null
    // The events as normalized, watched; the provider is otherwise the real one.
    const provider = {
      ...github,
      normalize: (...a: Parameters<typeof github.normalize>) => {
        const n = github.normalize(...a)
        events = new WeakRef(n)
        return n
      },
    }
    // The commit's answer held until the test lets it through (the row is committed by then).
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    const gated = {
      ...store,
      recordDelivery: (d: NewDelivery): Promise<RecordResult> => {
        const recorded = store.recordDelivery(d)
        return gate.then(() => recorded)
      },
    }
    const told: NewDelivery[] = []
    const deps = {
      store: gated,
      tenantOf: () => 'default',
      now: () => new Date(),
      maxEvents: 100,
      onStored: (_id: string, d: NewDelivery) => void told.push(d),
    }
    const d = signedGitHub('push', bigPush(5000))
    const received = receiveDelivery(deps, provider, {
      raw: d.body,
      headers: d.headers,
      contentType: 'application/json',
    })
    // Queued, sent to the writer and committed: only the answer waits.
    for (let i = 0; i < 20 && (await store.listDeliveries({ limit: 1 })).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10))
    gc()
    t.ok(events, 'normalized')
    t.equal(events!.deref(), undefined, 'the events are not held while the answer waits')
    open()
    const r = await received
    t.equal(r.status, 'pending')
    t.equal(told.length, 1, 'told of the stored delivery')
    const n = told[0]!.normalized
    t.ok(isCompacted(n), 'compacted: a route reads the delivery back instead of planning from it')
    const push = n.kind === 'events' ? (n.events[0] as PushEvent) : null
    t.same(
      push?.commits.map((c) => [c.id, c.added.length]),
      [[push!.after, 0]],
      'the head commit, without file lists',
    )
    const stored = await store.getDelivery(r.id)
    const whole = stored!.normalized.kind === 'events' ? (stored!.normalized.events[0] as PushEvent) : null
    t.equal(whole?.commits[0]?.added.length, 5000, 'stored whole')

    // A small push's listeners get its events whole: routed from them if its early route did not plan it.
    const small = signedGitHub('push', bigPush(3))
    const second = receiveDelivery(deps, provider, {
      raw: small.body,
      headers: small.headers,
      contentType: 'application/json',
    })
    t.equal((await second).status, 'pending')
    t.equal(told.length, 2)
    t.notOk(isCompacted(told[1]!.normalized), 'not compacted')
    const kept = told[1]!.normalized.kind === 'events' ? (told[1]!.normalized.events[0] as PushEvent) : null
    t.equal(kept?.commits[0]?.added.length, 3, 'whole')
  },
)
