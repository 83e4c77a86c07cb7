/**
 * Benchmark of the native notebook diff against nbdime (issue #12's goals printed with the figures).
 *   npm run bench:diff [-- --only real,corpus,generated] [--runs N] [--skip-slow] [--nbdime-timeout S]
 *                      [--no-nbdime] [--no-build]
 *   BENCH_NODE=<node>     the Node the measured processes run on;
 *   BENCH_BEFORE=<checkout>  the same figures for another checkout, in turn in the same run.
 *   node --import tsx bench/diff.ts [cells] [--no-ids] [--png N]   one generated pair, in process
 * The sets and how each is measured: bench/diff-compare.ts; the pairs: bench/diff-pairs.ts; one
 * measured diff in a fresh process: bench/diff-child.ts.
 */
import { diffNotebooks, parseNotebook } from '../src/notebooks/core/index.js'
import { compareEngines } from './diff-compare.js'
import { largePair } from './diff-pairs.js'

const args = process.argv.slice(2)
// A cell count comes first (`--runs 3` is the comparison's).
const cellsArg = /^\d+$/.test(args[0] ?? '') ? args[0] : undefined
if (cellsArg === undefined) {
  await compareEngines(args)
} else {
  const cells = Number(cellsArg)
  const pngAt = args.indexOf('--png')
  const pngEvery = pngAt >= 0 ? Number(args[pngAt + 1]) : 0
  const [a, b] = largePair(cells, { ids: !args.includes('--no-ids'), pngEvery })
  const rss0 = process.memoryUsage().rss
  const t0 = performance.now()
  const na = parseNotebook(a, 'a.ipynb')
  const nb = parseNotebook(b, 'b.ipynb')
  const t1 = performance.now()
  const d = diffNotebooks(na, nb)
  const t2 = performance.now()
  const mb = (x: number) => (x / 2 ** 20).toFixed(1)
  console.log(
    `${cells} cells${args.includes('--no-ids') ? ' (no ids)' : ''}: files ${mb(a.length)} + ${mb(b.length)} MB, ` +
      `parse ${(t1 - t0).toFixed(0)} ms, diff ${(t2 - t1).toFixed(0)} ms, ` +
      `${JSON.stringify(d).length} bytes of diff, rss +${mb(process.memoryUsage().rss - rss0)} MB (peak rss ${mb(process.resourceUsage().maxRSS * 1024)} MB)`,
  )
}
