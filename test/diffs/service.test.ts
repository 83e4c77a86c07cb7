// The push-diff service on real git and real SQLite: one computation for concurrent callers,
// stored and read back without git, oversized diffs kept in memory only, failures never kept,
// an unreadable row diffed again and replaced.
import { renameSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { decodePushDiffs } from '../../src/diffs/codec.js'
import { createPushDiffService, type PushDiffServiceDeps } from '../../src/diffs/service.js'
import { MirrorCache } from '../../src/git/mirror.js'
import type { GitHost } from '../../src/git/remote.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine, type DiffEngine } from '../../src/engines/engine.js'
import { DiffTimeLimitError } from '../../src/engines/time-limit.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { StoredDelivery } from '../../src/store/store.js'
import { gitAvailable, tempDir } from '../git/repo.js'
import { fileHosts, notebookPush as makePush, pushEvent, recordPush } from '../support/push-diffs.js'

/** The native engine, counting notebook diffs: each one is real work the service did. */
function countingEngine(): DiffEngine & { calls: number } {
  const engine = {
    name: 'native' as const,
    calls: 0,
    diff: (...args: Parameters<DiffEngine['diff']>) => {
      engine.calls++
      return nativeEngine.diff(...args)
    },
  }
  return engine
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  const dir = tempDir(t, 'tamer-diff-service-')
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  t.teardown(() => store.close())
  let mirrorDirs = 0
  // Every repo made here is on a configured (file://) host, as a self-hosted server would be.
  const hosts: GitHost[] = []
  const notebookPush = async (t: Parameters<typeof makePush>[0]) => {
    const p = await makePush(t)
    hosts.push(...fileHosts(p.repo))
    return p
  }
  const freshMirrors = () =>
    new MirrorCache({ dir: join(dir, `mirrors-${mirrorDirs++}`), allowProtocols: ['file'], hosts })
  const service = (o: Partial<PushDiffServiceDeps> = {}) =>
    createPushDiffService({
      mirrors: freshMirrors(),
      engine: countingEngine(),
      store,
      storeMaxBytes: 32 * 2 ** 20,
      logger: createLogger('silent'),
      ...o,
    })
  const delivery = async (
    cloneUrl: string,
    before: string,
    after: string,
    fullName?: string,
  ): Promise<StoredDelivery> =>
    (await store.getDelivery(await recordPush(store, pushEvent({ cloneUrl, before, after, fullName }))))!
  // Untouched by the subtests (each records its own deliveries), so they can share it.
  const shared = await notebookPush(t)

  t.test('concurrent callers share one computation; the result is stored and read back without git', async (t) => {
    const { repo, before, after } = await notebookPush(t)
    const d = await delivery(repo.url, before, after)
    const engine = countingEngine()
    const first = service({ engine })
    const results = await Promise.all([first.diffsOf(d), first.diffsOf(d), first.diffsOf(d)])
    t.equal(engine.calls, 1, 'train.ipynb was diffed once for three callers')
    t.ok(results[1] === results[0] && results[2] === results[0], 'all three got the one result')
    t.match(results[0], [
      {
        repository: 'acme/ds',
        base: before,
        head: after,
        files: [
          { path: 'notes.md', kind: 'text' },
          { path: 'train.ipynb', kind: 'notebook' },
        ],
      },
    ])
    t.equal(await first.diffsOf(d), results[0], 'then from memory')
    t.equal(engine.calls, 1)

    const row = await store.getPushDiff(d.id, first.variant)
    t.ok(row, 'stored under the service variant')
    t.match(first.variant, /^native-[0-9a-f]{12}-f2$/)
    t.strictSame(await decodePushDiffs(row!.payload), results[0])

    // Another process: empty memory, a new mirror dir, and the remote gone.
    repo.cleanup()
    const other = countingEngine()
    const second = service({ engine: other })
    t.strictSame(await second.diffsOf(d), results[0], 'the stored diff, with no git at all')
    t.equal(other.calls, 0)
    const limited = service({ limits: { maxFiles: 1 } })
    t.not(limited.variant, first.variant, 'other limits are another variant')
    await t.rejects(limited.diffsOf(d), { code: 'TAMER_GIT_FAILED' }, 'which is not read from the first one’s row')
  })

  t.test('a diff over storeMaxBytes is kept in memory only; 0 stores nothing', async (t) => {
    const { repo, before, after } = shared
    for (const storeMaxBytes of [100, 0]) {
      const d = await delivery(repo.url, before, after)
      const engine = countingEngine()
      const s = service({ engine, storeMaxBytes })
      const diffs = await s.diffsOf(d)
      t.equal(await store.getPushDiff(d.id, s.variant), null, `storeMaxBytes ${storeMaxBytes}: not stored`)
      t.equal(await s.diffsOf(d), diffs, 'the next view comes from memory')
      t.equal(engine.calls, 1)
    }
  })

  t.test('memory keeps memoryEntries deliveries, the most recently used', async (t) => {
    const { repo, before, after } = shared
    const [a, b] = [await delivery(repo.url, before, after), await delivery(repo.url, before, after)]
    const engine = countingEngine()
    const s = service({ engine, store: null, memoryEntries: 1 })
    await s.diffsOf(a)
    await s.diffsOf(a)
    t.equal(engine.calls, 1)
    await s.diffsOf(b)
    await s.diffsOf(a)
    t.equal(engine.calls, 3, 'b pushed a out of memory, and nothing is stored')
  })

  t.test('a failure is not kept: the remote appears, the next call succeeds', async (t) => {
    const { repo, before, after } = await notebookPush(t)
    const later = join(repo.root, 'acme', 'later.git')
    const d = await delivery(`file://${later}`, before, after, 'acme/later')
    const s = service()
    await t.rejects(s.diffsOf(d), { code: 'TAMER_GIT_FAILED', statusCode: 502 })
    t.equal(await store.getPushDiff(d.id, s.variant), null, 'nothing stored for a failure')
    renameSync(join(repo.root, 'acme', 'ds.git'), later)
    t.match(await s.diffsOf(d), [{ head: after, files: [{ path: 'notes.md' }, { path: 'train.ipynb' }] }])
    t.ok(await store.getPushDiff(d.id, s.variant), 'stored once it worked')
  })

  t.test(
    'a notebook the engine failed on (say, its worker crashed) is shown, not kept: the next call diffs again',
    async (t) => {
      const { repo, before, after } = shared
      const d = await delivery(repo.url, before, after)
      let failures = 1
      const engine: DiffEngine = {
        name: 'native',
        diff: (...args) =>
          failures-- > 0 ? Promise.reject(new Error('the diff worker exited (code 1)')) : nativeEngine.diff(...args),
      }
      const s = service({ engine })
      const first = await s.diffsOf(d)
      t.match(first[0]!.files[1], {
        path: 'train.ipynb',
        kind: 'note',
        reason: 'unparsable',
        note: /^could not diff b\/train\.ipynb: the diff worker exited \(code 1\)/,
      })
      t.equal(await store.getPushDiff(d.id, s.variant), null, 'not stored')
      const second = await s.diffsOf(d)
      t.not(second, first, 'not kept in memory either')
      t.match(second[0]!.files[1], { path: 'train.ipynb', kind: 'notebook' })
      t.ok(await store.getPushDiff(d.id, s.variant), 'the good diff is stored')
    },
  )

  t.test('a notebook over the time limit is a lasting answer too: "too large to diff in time", stored', async (t) => {
    const { repo, before, after } = shared
    const d = await delivery(repo.url, before, after)
    let calls = 0
    const engine: DiffEngine = {
      name: 'native',
      timeLimitMs: 1000,
      diff: (_a, _b, names) => (calls++, Promise.reject(new DiffTimeLimitError(names.b, 1000))),
    }
    const s = service({ engine })
    t.match((await s.diffsOf(d))[0]!.files[1], {
      path: 'train.ipynb',
      kind: 'note',
      reason: 'time-limit',
      note: /^too large to diff in time: not done within 1 s/,
      unified: /accuracy/,
    })
    t.ok(await store.getPushDiff(d.id, s.variant), 'stored')
    await service({ engine }).diffsOf(d)
    t.equal(calls, 1, 'another process reads it instead of trying again')
  })

  t.test('a notebook that cannot be read is a lasting answer: stored', async (t) => {
    const { repo, before, after } = shared
    const d = await delivery(repo.url, before, after)
    const engine: DiffEngine = {
      name: 'native',
      diff: (a, _b, names, o) => nativeEngine.diff(a, '{"cells": [', names, o),
    }
    const s = service({ engine })
    t.match((await s.diffsOf(d))[0]!.files[1], {
      kind: 'note',
      reason: 'unparsable',
      note: /^could not parse b\/train\.ipynb/,
    })
    t.ok(await store.getPushDiff(d.id, s.variant))
  })

  t.test('a stored row that does not decode is diffed again and replaced, with one warning', async (t) => {
    const { repo, before, after } = shared
    const d = await delivery(repo.url, before, after)
    const logs: string[] = []
    const logger = createLogger(
      'info',
      new Writable({ write: (c, _e, cb) => (logs.push(...c.toString().split('\n').filter(Boolean)), cb()) }),
    )
    const engine = countingEngine()
    const s = service({ engine, logger })
    await store.savePushDiff({ deliveryId: d.id, variant: s.variant, payload: Buffer.from('garbage'), rawBytes: 7 })
    const diffs = await s.diffsOf(d)
    t.equal(engine.calls, 1, 'diffed again')
    t.strictSame(await decodePushDiffs((await store.getPushDiff(d.id, s.variant))!.payload), diffs, 'the row is mended')
    t.equal(logs.length, 1)
    t.match(JSON.parse(logs[0]!), { level: 40, deliveryId: d.id, msg: /unreadable/ })
  })

  t.test(
    'ready: null while the diff is made; a failure no caller waited for is told to the next one, once',
    async (t) => {
      const { repo, before, after } = await notebookPush(t)
      const later = join(repo.root, 'acme', 'later.git')
      const d = await delivery(`file://${later}`, before, after, 'acme/later')
      const s = service()
      t.equal(await s.ready(d, 0), null, 'in progress')
      t.ok(s.computing(d.id))
      while (s.computing(d.id)) await new Promise((r) => setTimeout(r, 20))
      await t.rejects(s.ready(d, 0), { code: 'TAMER_GIT_FAILED' }, 'the page that comes back learns why')
      t.equal(await s.ready(d, 0), null, 'the one after tries again')
      while (s.computing(d.id)) await new Promise((r) => setTimeout(r, 20))
      renameSync(join(repo.root, 'acme', 'ds.git'), later)
      await t.rejects(s.ready(d, 0), { code: 'TAMER_GIT_FAILED' })
      const done = await s.ready(d, 60_000)
      t.match(done, [{ head: after, files: [{ path: 'notes.md' }, { path: 'train.ipynb' }] }])
      t.equal(await s.ready(d, 0), done, 'then from memory, whatever the wait')

      const engine = countingEngine()
      t.strictSame(
        await service({ engine }).ready(d, 0),
        done,
        'and from the store in another process, with no wait at all',
      )
      t.equal(engine.calls, 0)
    },
  )

  t.test('a delivery without a push is TAMER_NOT_A_PUSH', async (t) => {
    const { id } = await store.recordDelivery({
      provider: 'github',
      dedupeKey: 'ping-1',
      hostDeliveryId: null,
      eventType: 'ping',
      tenant: 'default',
      repository: 'acme/ds',
      status: 'ping',
      headers: {},
      body: Buffer.from('{}'),
      receivedAt: new Date().toISOString(),
      normalized: { kind: 'ping', note: 'hi' },
    })
    await t.rejects(service().diffsOf((await store.getDelivery(id))!), { code: 'TAMER_NOT_A_PUSH', statusCode: 404 })
  })
}
