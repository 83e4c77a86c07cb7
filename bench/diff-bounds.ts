/**
 * Security issue #9, item 5: how long the pathological notebook pairs take now, and what another
 * tenant sees meanwhile.
 *   npm run bench:diff-bounds [-- --time-limit-ms N]
 * 1. The core, in process, default caps: 20,000 changed lines in one cell (alike and unlike lines),
 *    one changed line of 200 KB; then 1,000 alike changed lines with the caps lifted (nbdime's work).
 * 2. As served (worker engine, 2 workers, fair queue, --time-limit-ms, default 20 s): tenant alpha
 *    submits three uncapped pathological pairs and tenant beta, right after, a small pair: beta's
 *    latency, each alpha pair's outcome, and the main event loop's delay (what /healthz would feel).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { fairEngine } from '../src/diffs/fair-engine.js'
import { workerEngine } from '../src/engines/worker-engine.js'
import { diffNotebooksDetailed, parseNotebook, type DiffOptions } from '../src/notebooks/core/index.js'

const { values } = parseArgs({ options: { 'time-limit-ms': { type: 'string', default: '20000' } } })
const timeLimitMs = Number(values['time-limit-ms'])

const nb = (source: string[], ids = true) =>
  JSON.stringify({
    cells: [{ cell_type: 'code', execution_count: 1, ...(ids ? { id: 'c1' } : {}), metadata: {}, outputs: [], source }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: ids ? 5 : 4,
  })
const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => `${f(i)}\n`)
const LONG = Array.from(
  { length: 200_000 },
  (_, i) => 'abcdefghij klmnopqrstuvwxyz(),.=0123456789'[(i * 7919) % 43],
).join('')
const longChanged = `${LONG.slice(0, 100_000)}CHANGED${LONG.slice(100_007)}`

const pairs: Record<string, [string, string]> = {
  '20,000 alike changed lines': [
    nb(lines(20_000, (i) => `x_${i} = train(${i})`)),
    nb(lines(20_000, (i) => `x_${i} = train(${i + 1})`)),
  ],
  '20,000 unlike changed lines': [
    nb(lines(20_000, (i) => `${i * 7919}`)),
    nb(lines(20_000, (i) => `line-${'q'.repeat(i % 5)}`)),
  ],
  'one 200 KB changed line': [nb([LONG]), nb([longChanged])],
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

console.log('1. core, in process')
for (const [name, [a, b]] of Object.entries(pairs)) {
  const t0 = performance.now()
  const r = diffNotebooksDetailed(parseNotebook(a, 'a'), parseNotebook(b, 'b'))
  console.log(
    `   ${name}: ${seconds(performance.now() - t0)}, degraded: ${r.degraded.map((d) => `${d.path} ${d.kind}`).join(', ') || 'none'}`,
  )
}
{
  const [a, b] = [nb(lines(1_000, (i) => `x_${i} = train(${i})`)), nb(lines(1_000, (i) => `x_${i} = train(${i + 1})`))]
  const t0 = performance.now()
  diffNotebooksDetailed(parseNotebook(a, 'a'), parseNotebook(b, 'b'), { maxLinePairs: Number.MAX_SAFE_INTEGER })
  console.log(`   1,000 alike changed lines, caps lifted (what nbdime does): ${seconds(performance.now() - t0)}`)
}

console.log(`2. served: 2 workers, time limit ${seconds(timeLimitMs)}, fair queue`)
const workers = workerEngine({ workers: 2, timeoutMs: timeLimitMs })
const engine = fairEngine(workers, { slots: 2 })
const names = (b: string) => ({ a: 'a', b })
// Warm both workers: start-up is not what is measured.
await Promise.all(
  [0, 1].map((k) => engine.diff(nb(['a\n']), nb(['b\n']), names(`warm-${k}`), {}, { tenant: `warm-${k}` })),
)
const lag = monitorEventLoopDelay({ resolution: 10 })
lag.enable()
const uncapped: DiffOptions = { maxLinePairs: Number.MAX_SAFE_INTEGER, maxLineChars: Number.MAX_SAFE_INTEGER }
const t0 = performance.now()
const alpha = [
  ['20,000 unlike changed lines', pairs['20,000 unlike changed lines']!],
  ['20,000 alike changed lines', pairs['20,000 alike changed lines']!],
  ['one 200 KB changed line, no cell ids', [nb([LONG], false), nb([longChanged], false)]],
] as const
const alphaRuns = alpha.map(([name, [a, b]]) =>
  engine.diff(a, b, names(name), uncapped, { tenant: 'alpha' }).then(
    () => `${name}: done after ${seconds(performance.now() - t0)}`,
    (err: Error) => `${name}: ${err.name} after ${seconds(performance.now() - t0)}`,
  ),
)
const betaStart = performance.now()
await engine.diff(nb(['acc = fit()\n']), nb(['acc = fit(epochs=5)\n']), names('beta'), {}, { tenant: 'beta' })
console.log(`   beta's small pair, queued behind alpha's three: ${(performance.now() - betaStart).toFixed(1)} ms`)
for (const line of await Promise.all(alphaRuns)) console.log(`   alpha ${line} (uncapped)`)
lag.disable()
console.log(
  `   main event loop delay meanwhile: p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
)
await workers.close()
