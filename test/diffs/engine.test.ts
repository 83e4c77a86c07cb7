// The engine `tamer serve` builds from diffs.*: min(2, cores) workers by default, the time limit
// from diffs.timeLimitMs (bounding nbdiff's own timeout too), behind the fair queue.
import { availableParallelism } from 'node:os'
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { diffWorkers, serverDiffEngine } from '../../src/diffs/engine.js'
import { nbdimeEngine } from '../../src/engines/engine.js'
import { testConfig } from '../support/app.js'

const nb = (src: string) =>
  JSON.stringify({
    cells: [{ cell_type: 'markdown', id: 'm', metadata: {}, source: src }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  })

t.test('diffs.workers: 0 means min(2, cores); a number is taken as it is', async (t) => {
  t.equal(testConfig().diffs.workers, 0)
  t.equal(diffWorkers(testConfig()), Math.min(2, availableParallelism()))
  t.equal(diffWorkers(testConfig({ diffs: { workers: 3 } })), 3)
})

t.test('defaults: 20 s per notebook, the caps of the core, pages wait 2 s before answering 202', async (t) => {
  t.match(validateCheckedConfig({}).diffs, {
    timeLimitMs: 20_000,
    workers: 0,
    maxLinePairs: 500_000,
    maxLineChars: 10_000,
    pageWaitMs: 2_000,
  })
  t.throws(
    () => validateCheckedConfig({ diffs: { pageWaitMs: 30_000 } }),
    /diffs\.pageWaitMs: must be <= 25000/,
    "never as long as the server's 30 s timeouts",
  )
})

t.test('native: worker threads with the configured time limit, behind the fair queue', async (t) => {
  const { engine, notice } = await serverDiffEngine(testConfig({ diffs: { timeLimitMs: 5000 } }))
  t.teardown(() => engine.close())
  t.equal(notice, null)
  t.equal(engine.name, 'native')
  t.equal(engine.timeLimitMs, 5000)
  const r = await engine.diff(nb('one\n'), nb('two\n'), { a: 'a/x.ipynb', b: 'b/x.ipynb' }, {}, { tenant: 'alpha' })
  t.equal(r.base.cells.length, 1)
  t.same(r.degraded, [])
  t.same(engine.load, { waiting: 0, running: 0 })
})

t.test(
  'nbdime: its timeout is the smaller of nbdiffTimeoutMs and timeLimitMs, and is a time-limit answer; absent, native and a notice',
  async (t) => {
    const missing = await serverDiffEngine(
      testConfig({ diffs: { engine: 'nbdime', nbdiffPath: '/nonexistent/nbdiff' } }),
    )
    t.teardown(() => missing.engine.close())
    t.equal(missing.engine.name, 'native')
    t.match(missing.notice, /nbdime engine requested but unavailable/)

    // Its own detection says whether nbdime is here (each nbdiff start costs ~3 s of CPU).
    const { engine, notice } = await serverDiffEngine(
      testConfig({ diffs: { engine: 'nbdime', timeLimitMs: 5000, nbdiffTimeoutMs: 60_000 } }),
    )
    t.teardown(() => engine.close())
    if (engine.name !== 'nbdime' && !process.env.CI) return void t.comment(`nbdime is not installed: ${notice}`)
    t.equal(engine.name, 'nbdime', `nbdime is required in CI (${notice ?? 'no notice'})`)
    t.equal(engine.timeLimitMs, 5000)
    const err = await nbdimeEngine({ timeoutMs: 1 })
      .diff(nb('one\n'), nb('two\n'), { a: 'a/x.ipynb', b: 'b/x.ipynb' })
      .catch((e: Error) => e)
    t.match(err, { name: 'DiffTimeLimitError', notebook: 'b/x.ipynb', limitMs: 1 })
  },
)
