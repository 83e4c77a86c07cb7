// The native engine in a worker thread: the same diffs as in process, bad input reported the same
// way, the event loop free while it works, and a pair that is too slow fails alone.
import t from 'tap'
import { nativeEngine } from '../../src/engines/engine.js'
import { workerEngine } from '../../src/engines/worker-engine.js'
import { NotebookParseError } from '../../src/notebooks/core/index.js'
import { randomPairs, scenarios } from '../notebooks/fixtures.js'

// A 5,000-cell pair, a 20,000-cell one cut short and a 40,000-line one: past tap's 120 s on a loaded machine.
t.setTimeout(300_000)

const text = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x, null, 1) + '\n')
const names = { a: 'a/nb.ipynb', b: 'b/nb.ipynb' }

/** A notebook of `cells` code cells, each with a few source lines and a stream output. */
function bigNotebook(cells: number, salt = ''): string {
  const cell = (k: number) => ({
    cell_type: 'code',
    execution_count: k,
    id: `c${k}`,
    metadata: {},
    outputs: [{ name: 'stdout', output_type: 'stream', text: [`loss ${k}${salt}\n`] }],
    source: [`x_${k} = train(model, ${k})\n`, `print(loss(x_${k}))${salt}\n`],
  })
  return JSON.stringify({
    cells: Array.from({ length: cells }, (_, k) => cell(k)),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  })
}

t.test('same diffs as the in-process engine, from strings and from bytes', async (t) => {
  const engine = workerEngine()
  t.teardown(() => engine.close())
  const pairs = [...scenarios(), ...randomPairs(20, 7)]
  for (const p of pairs) {
    const a = text(p.a)
    const b = text(p.b)
    let want: unknown
    try {
      want = await nativeEngine.diff(a, b, names)
    } catch (err) {
      want = err
    }
    const fromBytes = engine.diff(Buffer.from(a), Buffer.from(b), names).catch((err: Error) => err)
    const fromText = engine.diff(a, b, names).catch((err: Error) => err)
    for (const got of [await fromBytes, await fromText]) {
      if (want instanceof Error) t.match(got, { name: want.name, message: want.message }, `${p.name}: same error`)
      else t.same(got, want, `${p.name}: same base and diff`)
    }
  }
})

t.test('bad input: NotebookParseError naming the side, and the worker serves the next pair', async (t) => {
  const engine = workerEngine()
  t.teardown(() => engine.close())
  const good = bigNotebook(3)
  const err = await engine.diff(good, '{"cells": [', names).catch((e: Error) => e)
  t.type(err, NotebookParseError)
  t.match((err as Error).message, /^could not parse b\/nb\.ipynb: not valid JSON/)
  const ok = await engine.diff(good, bigNotebook(3, '!'), names)
  t.equal(ok.base.cells.length, 3)
  t.ok(ok.diff.length > 0)
})

t.test('the event loop keeps turning while a large pair is diffed', async (t) => {
  // The time limit is not under test here: a loaded machine takes far longer than the default 20 s.
  const engine = workerEngine({ timeoutMs: 600_000 })
  t.teardown(() => engine.close())
  // 5,000 cells: ~1 s of CPU here (20,000 took ~4.5 s and proved no more: in process, not one tick runs).
  const a = bigNotebook(5_000)
  const b = bigNotebook(5_000, ' ')
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  const r = await engine.diff(a, b, names)
  clearInterval(timer)
  t.equal(r.base.cells.length, 5_000)
  // In process, parse + diff is one synchronous call: no tick at all could run meanwhile.
  t.ok(ticks > 0, `the interval ran ${ticks} times during the diff`)
})

t.test('a pair over the time limit is abandoned; queued pairs still run', async (t) => {
  const engine = workerEngine({ timeoutMs: 1000 })
  t.teardown(() => engine.close())
  // Every line differs and nothing anchors, so line alignment is nbdime's brute-force grid:
  // 40,000 × 40,000 similarity tests, minutes on any machine (with the line-pair cap lifted).
  const oneCell = (lines: string[]) =>
    JSON.stringify({
      cells: [{ cell_type: 'markdown', id: 'm', metadata: {}, source: lines }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    })
  const a = oneCell(Array.from({ length: 40_000 }, (_, i) => `${i * 7919}\n`))
  const b = oneCell(Array.from({ length: 40_000 }, (_, i) => `line-${'q'.repeat(i % 5)}\n`))
  const slow = engine.diff(a, b, names, { maxLinePairs: Number.MAX_SAFE_INTEGER }).catch((e: Error) => e)
  const queued = engine.diff(bigNotebook(2), bigNotebook(2, '!'), names)
  t.match(await slow, {
    name: 'DiffTimeLimitError',
    notebook: 'b/nb.ipynb',
    limitMs: 1000,
    message: /^could not diff b\/nb\.ipynb: gave up after 1000 ms/,
  })
  t.equal((await queued).base.cells.length, 2, 'the next pair runs in a fresh worker')
})

t.test('bytes that own their buffer are handed over, not copied; views of a larger buffer are copied', async (t) => {
  const engine = workerEngine()
  t.teardown(() => engine.close())
  const own = new Uint8Array(Buffer.from(bigNotebook(2)))
  const pooled = Buffer.from(bigNotebook(1)) // small Buffers are views into a shared pool
  await engine.diff(own, pooled, names)
  t.equal(own.byteLength, 0, "the caller's buffer was transferred")
  t.ok(pooled.byteLength > 0, 'the pooled view is intact')
  t.ok(JSON.parse(pooled.toString()).cells, 'and still readable')
})

t.test('close rejects what is queued and stops the worker', async (t) => {
  const engine = workerEngine()
  const running = engine.diff(bigNotebook(20_000), bigNotebook(20_000, '!'), names).catch((e: Error) => e)
  const queued = engine.diff(bigNotebook(2), bigNotebook(2, '!'), names).catch((e: Error) => e)
  await engine.close()
  t.match(await running, { message: 'the diff engine is closed' })
  t.match(await queued, { message: 'the diff engine is closed' })
  t.match(await engine.diff('{}', '{}', names).catch((e: Error) => e), { message: 'the diff engine is closed' })
})
