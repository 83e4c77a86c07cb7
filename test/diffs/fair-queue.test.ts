// The per-tenant fair queue on its own (round robin across tenants, FIFO within one, a cap per
// tenant), then in front of the real worker engine: one tenant's notebooks that run into the time
// limit cannot keep another tenant's small notebook waiting behind them.
import t from 'tap'
import { fairEngine } from '../../src/diffs/fair-engine.js'
import { FairQueue } from '../../src/diffs/fair-queue.js'
import type { DiffEngine } from '../../src/engines/types.js'
import { workerEngine } from '../../src/engines/worker-engine.js'

const drain = <T>(q: FairQueue<T>) => {
  const out: T[] = []
  for (let next = q.take(); next; next = q.take()) {
    out.push(next.item)
    q.done(next.key)
  }
  return out
}

t.test('round robin across tenants, first in first out within one', async (t) => {
  const q = new FairQueue<string>()
  for (const x of ['a1', 'a2', 'a3', 'a4']) q.push('alpha', x)
  q.push('beta', 'b1')
  q.push('gamma', 'g1')
  q.push('beta', 'b2')
  t.equal(q.size, 7)
  t.same(drain(q), ['a1', 'b1', 'g1', 'a2', 'b2', 'a3', 'a4'])
  t.equal(q.size, 0)
})

t.test('a tenant at its cap waits; the others go', async (t) => {
  const q = new FairQueue<string>(1)
  q.push('alpha', 'a1')
  q.push('alpha', 'a2')
  q.push('beta', 'b1')
  const first = q.take()!
  t.same(first, { key: 'alpha', item: 'a1' })
  t.same(q.take(), { key: 'beta', item: 'b1' }, 'alpha is at its cap: beta goes')
  t.equal(q.take(), null, 'a2 waits for a1, b1 holds beta')
  q.done('alpha')
  t.same(q.take(), { key: 'alpha', item: 'a2' })
})

t.test('past a limit, the flooding tenant loses its own oldest work', async (t) => {
  const q = new FairQueue<string>()
  for (const x of ['a1', 'a2', 'a3']) q.push('alpha', x)
  q.push('beta', 'b1')
  t.equal(q.dropFromLongest(), 'a1')
  t.same(drain(q), ['a2', 'b1', 'a3'])
  t.same(q.clear(), [])
})

/** The real worker engine, recording the order in which pairs reach it. */
function recording(inner: DiffEngine) {
  const started: string[] = []
  const engine: DiffEngine = {
    name: inner.name,
    timeLimitMs: inner.timeLimitMs,
    diff: (a, b, names, o, job) => {
      started.push(names.b)
      return inner.diff(a, b, names, o, job)
    },
  }
  return { engine, started }
}

const oneCell = (lines: string[]) =>
  JSON.stringify({
    cells: [{ cell_type: 'markdown', id: 'm', metadata: {}, source: lines }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  })
// Every line differs, with the line-pair cap lifted: nbdime's brute force, minutes — the time limit ends it.
const slowPair = () =>
  [
    oneCell(Array.from({ length: 40_000 }, (_, i) => `${i * 7919}\n`)),
    oneCell(Array.from({ length: 40_000 }, (_, i) => `line-${'q'.repeat(i % 5)}\n`)),
  ] as const
const UNCAPPED = { maxLinePairs: Number.MAX_SAFE_INTEGER }
const small = (x: string) => oneCell([`${x}\n`])

for (const workers of [1, 2]) {
  t.test(`${workers} worker(s): another tenant's notebook goes before the slow tenant's next one`, async (t) => {
    // The limit ends each slow pair (minutes uncapped): both alpha pairs burn it whole, so it is short; the
    // clock starts once a worker has loaded, and beta's one-line pair needs milliseconds of it.
    const inner = workerEngine({ workers, timeoutMs: 1500 })
    t.teardown(() => inner.close())
    const rec = recording(inner)
    const engine = fairEngine(rec.engine, { slots: workers })
    // Warm: every worker started, so what follows is not about start-up times.
    await Promise.all(
      Array.from({ length: workers }, (_, k) =>
        engine.diff(small('a'), small('b'), { a: 'a', b: `b/warm-${k}` }, {}, { tenant: `warm-${k}` }),
      ),
    )
    rec.started.length = 0

    const done: string[] = []
    const track = (p: Promise<unknown>, name: string) =>
      p.then(
        () => done.push(name),
        (err: Error) => done.push(`${name}: ${err.name}`),
      )
    const [a, b] = slowPair()
    // All queued in one turn of the event loop: the order they start in is the queue's decision.
    const runs = [
      track(engine.diff(a, b, { a: 'a', b: 'alpha-1' }, UNCAPPED, { tenant: 'alpha' }), 'alpha-1'),
      track(engine.diff(a, b, { a: 'a', b: 'alpha-2' }, UNCAPPED, { tenant: 'alpha' }), 'alpha-2'),
      track(engine.diff(small('x'), small('y'), { a: 'a', b: 'beta-1' }, {}, { tenant: 'beta' }), 'beta-1'),
    ]
    t.same(engine.load, { waiting: workers === 1 ? 2 : 1, running: workers === 1 ? 1 : 2 })
    await Promise.all(runs)
    t.same(rec.started, ['alpha-1', 'beta-1', 'alpha-2'], 'round robin: beta before alpha’s second')
    if (workers === 1)
      t.same(
        done,
        ['alpha-1: DiffTimeLimitError', 'beta-1', 'alpha-2: DiffTimeLimitError'],
        'beta waited only for the pair running',
      )
    // With two workers alpha holds at most one, so beta ran at once, beside alpha-1.
    else
      t.same(
        done,
        ['beta-1', 'alpha-1: DiffTimeLimitError', 'alpha-2: DiffTimeLimitError'],
        'beta did not wait for alpha at all',
      )
  })
}
