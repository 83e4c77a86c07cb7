// Security issue #9, item 5 — one notebook must not starve every diff — through the real app, the
// real worker engine behind the fair queue, real git repositories and real SQLite:
//  - 20,000 changed lines in one cell and one 200 KB changed line get the coarser diff at once
//    (within the caps), said on the page, in the JSON, in the notice's summary, stored, and not
//    made again on the next view;
//  - a notebook over the time limit is "too large to diff in time", kept the same way;
//  - while a diff is being made its page answers 202 at once (a self-refreshing page without
//    script, and JSON), and another tenant's diff is made and served meanwhile.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { Config } from '../../src/config/schema.js'
import { fairEngine } from '../../src/diffs/fair-engine.js'
import { type PushDiffService } from '../../src/diffs/service.js'
import { MirrorCache } from '../../src/git/mirror.js'
import type { GitHost } from '../../src/git/remote.js'
import type { DiffEngine } from '../../src/engines/types.js'
import { workerEngine, type WorkerDiffEngine } from '../../src/engines/worker-engine.js'
import { pushDiffSummary } from '../../src/notify/notebook-summary.js'
import type { BuildRecord } from '../../src/store/builds.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable, makeRepo, tempDir, type Teardown } from '../git/repo.js'
import { composeForTest, SECRETS, testConfig } from '../support/app.js'
import { fileHosts, notebookPush as makeNotebookPush, pushEvent, recordPush } from '../support/push-diffs.js'
import { until as untilWithin } from '../support/until.js'

const auth = { authorization: `Bearer ${SECRETS.api}` }
const lineList = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => `${f(i)}\n`)
const nbWith = (source: string[]) =>
  JSON.stringify(
    {
      cells: [{ cell_type: 'code', execution_count: 1, id: 'c1', metadata: {}, outputs: [], source }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  )
const LONG = Array.from(
  { length: 200_000 },
  (_, i) => 'abcdefghij klmnopqrstuvwxyz(),.=0123456789'[(i * 7919) % 43],
).join('')

// Every repo made here is on a configured (file://) git host, as a self-hosted server would be.
const hosts: GitHost[] = []
const notebookPush = async (t: Teardown, fullName: string) => {
  const p = await makeNotebookPush(t, fullName)
  hosts.push(...fileHosts(p.repo))
  return p
}

/** A push of tenant alpha changing every line of a 20,000-line cell (and, with `long`, one 200 KB line). */
async function pathologicalPush(t: Teardown, o: { long: boolean }) {
  const repo = await makeRepo(t, { fullName: 'alpha/big' })
  hosts.push(...fileHosts(repo))
  const files = (v: 0 | 1) => ({
    'big.ipynb': nbWith(
      v ? lineList(20_000, (i) => `line-${'q'.repeat(i % 5)} ${i}`) : lineList(20_000, (i) => `${i * 7919}`),
    ),
    ...(o.long
      ? {
          'long.ipynb': nbWith([
            `data = "${v ? `${LONG.slice(0, 100_000)}CHANGED${LONG.slice(100_007)}` : LONG}"\n`,
            'print(len(data))\n',
          ]),
        }
      : {}),
  })
  repo.write(files(0))
  const before = await repo.commit('one')
  repo.write(files(1))
  const after = await repo.commit('two')
  await repo.push('main')
  return { repo, before, after }
}

/** Counts the notebooks that reach the engine: each is real work. */
function counting(inner: DiffEngine): DiffEngine & { calls: string[] } {
  const calls: string[] = []
  return {
    name: inner.name,
    timeLimitMs: inner.timeLimitMs,
    calls,
    diff: (a, b, names, o, job) => {
      calls.push(`${job?.tenant}:${names.b}`)
      return inner.diff(a, b, names, o, job)
    },
  }
}

interface Served {
  app: FastifyInstance
  store: ReturnType<typeof openSqliteStore>
  service: PushDiffService
  engine: ReturnType<typeof counting>
  config: Config
}

/** The real app as `tamer serve` wires it (worker engine, fair queue, service), on `dir`. */
async function serve(t: Teardown, dir: string, diffs: Record<string, unknown>): Promise<Served> {
  const config = testConfig({ dataDir: dir, diffs: { workers: 2, ...diffs } })
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  const workers: WorkerDiffEngine = workerEngine({ workers: config.diffs.workers, timeoutMs: config.diffs.timeLimitMs })
  const engine = counting(fairEngine(workers, { slots: config.diffs.workers }))
  const mirrors = new MirrorCache({ dir: join(dir, 'mirrors'), allowProtocols: ['file'], hosts })
  const { app, pushDiffs: service } = await composeForTest(config, { store, mirrors, diffEngine: engine })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await app.close()
    await workers.close()
    await store.close()
  }
  t.teardown(close)
  return { app, store, service, engine, config }
}

// A pathological diff takes long on a loaded machine: two minutes, not the shared 30 s.
const until = (what: string, check: () => boolean | Promise<boolean>, ms = 120_000) => untilWithin(what, check, ms)

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test(
    '20,000 changed lines and a 200 KB line: the coarser diff, said everywhere, stored, not made again',
    async (t) => {
      const dir = tempDir(t, 'tamer-busy-')
      const { repo, before, after } = await pathologicalPush(t, { long: true })
      const s = await serve(t, dir, { pageWaitMs: 25_000 })
      const push = pushEvent({ cloneUrl: repo.url, before, after, tenant: 'alpha', fullName: 'alpha/big' })
      const id = await recordPush(s.store, push)

      const res = await s.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })
      t.equal(res.statusCode, 200)
      const files = res.json().pushes[0].files
      t.match(files, [
        {
          path: 'big.ipynb',
          kind: 'notebook',
          degraded: [{ path: '/cells/0/source', kind: 'lines', limit: 500_000, removed: 20_000, added: 20_000 }],
        },
        {
          path: 'long.ipynb',
          kind: 'notebook',
          degraded: [{ path: '/cells/0/source', kind: 'long-lines', limit: 10_000, removed: 1, added: 1 }],
        },
      ])
      t.same(s.engine.calls, ['alpha:b/big.ipynb', 'alpha:b/long.ipynb'])
      t.ok(await s.store.getPushDiff(id, s.service.variant), 'stored like any diff')

      const page = await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth })
      t.equal(page.statusCode, 200)
      t.match(page.body, /<span class="badge warn">shown coarser<\/span>/)
      t.match(
        page.body,
        /cell 1 source: 20,000 → 20,000 changed lines, too many to align within 500,000 line pairs \(diffs\.maxLinePairs\): shown removed and added/,
      )
      t.match(
        page.body,
        /cell 1 source: changed lines over 10,000 characters \(diffs\.maxLineChars\) shown removed and added, not diffed character by character/,
      )
      const summary = await pushDiffSummary(s.store, s.service).summary({ deliveryId: id } as BuildRecord, push)
      const coarser = /Shown coarser than a full diff, to keep it fast: cell 1 source: 20,000 → 20,000 changed lines/
      t.match(summary?.text, coarser, 'the notice says it too (plain text)')
      t.match(summary?.markdown, coarser, 'the notice says it too (Markdown)')
      t.equal(s.engine.calls.length, 2, 'the page and the notice used the kept diff')

      // Another process: empty memory, the same store.
      const again = await serve(t, dir, { pageWaitMs: 25_000 })
      const second = await again.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })
      t.equal(second.statusCode, 200)
      t.same(second.json(), res.json())
      t.same(again.engine.calls, [], 'not diffed again')
    },
  )

  t.test('while a diff is made: 202 at once (page and JSON), and another tenant is served meanwhile', async (t) => {
    const dir = tempDir(t, 'tamer-busy-')
    const slow = await pathologicalPush(t, { long: false })
    const small = await notebookPush(t, 'beta/ds')
    // The line-pair cap lifted: the 20,000-line cell is nbdime's brute force, minutes of work,
    // far longer than this test waits for the other tenant.
    const s = await serve(t, dir, { pageWaitMs: 0, maxLinePairs: Number.MAX_SAFE_INTEGER, timeLimitMs: 600_000 })
    const alpha = await recordPush(
      s.store,
      pushEvent({
        cloneUrl: slow.repo.url,
        before: slow.before,
        after: slow.after,
        tenant: 'alpha',
        fullName: 'alpha/big',
      }),
    )
    const beta = await recordPush(
      s.store,
      pushEvent({
        cloneUrl: small.repo.url,
        before: small.before,
        after: small.after,
        tenant: 'beta',
        fullName: 'beta/ds',
      }),
    )

    const page = await s.app.inject({ method: 'GET', url: `/diffs/${alpha}`, headers: auth })
    t.equal(page.statusCode, 202, 'the page answers at once')
    t.ok(s.service.computing(alpha), 'while the diff runs')
    t.equal(page.headers['retry-after'], '3')
    t.equal(page.headers['cache-control'], 'no-store')
    t.match(page.headers['content-security-policy'], /default-src 'none'/)
    t.match(page.body, /<meta http-equiv="refresh" content="3">/)
    t.match(page.body, /Diff in progress/)
    t.notMatch(page.body, /<script/i, 'it refreshes itself without any script')

    const api = await s.app.inject({ method: 'GET', url: `/api/diffs/${alpha}`, headers: auth })
    t.equal(api.statusCode, 202)
    t.same(api.json(), {
      deliveryId: alpha,
      status: 'in-progress',
      retryAfterSeconds: 3,
      message: 'the diff is being made; ask again',
    })

    await until('alpha’s notebook in the engine', () => s.engine.calls.includes('alpha:b/big.ipynb'))
    // Beta asks the way a browser does: the page refreshes until it is there.
    let betaPage
    await until(
      'beta’s page',
      async () =>
        (betaPage = await s.app.inject({ method: 'GET', url: `/diffs/${beta}`, headers: auth })).statusCode === 200,
    )
    t.match(betaPage!.body, /train\.ipynb/)
    t.ok(s.service.computing(alpha), 'served while alpha’s diff still runs')
    t.same(s.engine.calls, ['alpha:b/big.ipynb', 'beta:b/train.ipynb'])
    t.equal(
      (await s.app.inject({ method: 'GET', url: `/diffs/${alpha}`, headers: auth })).statusCode,
      202,
      'alpha still in progress',
    )
  })

  t.test('over the time limit: "too large to diff in time", shown, stored and not made again', async (t) => {
    const dir = tempDir(t, 'tamer-busy-')
    const { repo, before, after } = await pathologicalPush(t, { long: false })
    const diffs = { pageWaitMs: 25_000, maxLinePairs: Number.MAX_SAFE_INTEGER, timeLimitMs: 1000 }
    const s = await serve(t, dir, diffs)
    const push = pushEvent({ cloneUrl: repo.url, before, after, tenant: 'alpha', fullName: 'alpha/big' })
    const id = await recordPush(s.store, push)

    const res = await s.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })
    t.equal(res.statusCode, 200)
    t.match(res.json().pushes[0].files, [
      {
        path: 'big.ipynb',
        kind: 'note',
        reason: 'time-limit',
        note: 'too large to diff in time: not done within 1 s (diffs.timeLimitMs); plain-text diff below',
        unified: /^@@ /,
      },
    ])
    t.ok(await s.store.getPushDiff(id, s.service.variant), 'kept like a diff')
    const page = await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth })
    t.match(page.body, /<span class="badge warn">too large to diff in time<\/span>/)
    const summary = await pushDiffSummary(s.store, s.service).summary({ deliveryId: id } as BuildRecord, push)
    t.match(
      summary?.text,
      /too large to diff in time: not done within 1 s \(diffs\.timeLimitMs\)/,
      'the notice names it',
    )
    t.match(
      summary?.markdown,
      /### `big\.ipynb` \(modified\)\n\*\*too large to diff in time: not done within 1 s \(diffs\.timeLimitMs\)\*\*/,
      'the notice names it (Markdown)',
    )
    t.same(s.engine.calls, ['alpha:b/big.ipynb'])

    const again = await serve(t, dir, diffs)
    t.same((await again.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })).json(), res.json())
    t.same(again.engine.calls, [], 'read from the store, not diffed again')
    const longer = await serve(t, dir, { ...diffs, timeLimitMs: 2000 })
    t.not(longer.service.variant, s.service.variant, 'another time limit is another variant: a longer one tries again')
  })
}
