/**
 * Benchmark of the native notebook diff on large synthetic pairs (5 % of cells edited, inserted
 * or deleted).
 *   node --import tsx bench/diff.ts [cells] [--no-ids] [--png N] [--json]   one native run
 *   node --import tsx bench/diff.ts 0 --files A B --json [--worker]      one pair, in process or as served
 *   npm run bench:diff [-- --skip-slow] [--nbdime-timeout S] [--no-nbdime]  native vs the real nbdime
 * The comparison runs each native case in a child process (so its peak RSS is the case's own)
 * and nbdime through the adapter (src/engines/nbdiff.ts), capped by a timeout reported as "> N s".
 */
import { readFileSync } from 'node:fs'
import { diffNotebooks, parseNotebook } from '../src/notebooks/core/index.js'
import { workerEngine } from '../src/engines/worker-engine.js'
import { compareEngines } from './diff-compare.js'

/** `minor`: nbformat_minor (default 5 with ids, 4 without; 5 without ids makes the reader invent them). */
export function largePair(
  cells: number,
  opts: { ids?: boolean; pngEvery?: number; seed?: number; minor?: number } = {},
): [string, string] {
  const ids = opts.ids ?? true
  let s = (opts.seed ?? 1) >>> 0
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  const int = (n: number) => Math.floor(rnd() * n)
  const words = ['alpha', 'beta', 'gamma', 'delta', 'loss', 'model', 'data', 'plot', 'train', 'x', 'y']
  const line = () =>
    `${words[int(words.length)]}_${int(1000)} = ${words[int(words.length)]}(${int(100)}, ${int(100)})\n`
  let n = 0
  const cell = () => {
    const id = ids ? { id: `cell-${n++}` } : {}
    if (rnd() < 0.3) return { cell_type: 'markdown', ...id, metadata: {}, source: [`## Section ${int(1e6)}\n`, line()] }
    const outputs: unknown[] = [{ name: 'stdout', output_type: 'stream', text: [line(), line()] }]
    if (opts.pngEvery && int(opts.pngEvery) === 0) {
      const bytes = Buffer.alloc(75_000)
      for (let k = 0; k < bytes.length; k += 4) bytes.writeUInt32LE((rnd() * 2 ** 32) >>> 0, k)
      outputs.push({
        data: { 'image/png': bytes.toString('base64'), 'text/plain': ['<Figure>'] },
        metadata: {},
        output_type: 'display_data',
      })
    }
    return {
      cell_type: 'code',
      execution_count: int(500),
      ...id,
      metadata: {},
      outputs,
      source: Array.from({ length: 2 + int(4) }, line),
    }
  }
  const a = Array.from({ length: cells }, cell)
  const b = a.map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>)
  for (let e = 0; e < Math.ceil(cells * 0.05); e++) {
    const k = int(3)
    const i = int(b.length)
    if (k === 0) b.splice(i, 0, cell())
    else if (k === 1) b.splice(i, 1)
    else {
      const c = b[i] as { source: string[] }
      c.source = [...c.source.slice(0, -1), line()]
    }
  }
  const nb = (cs: unknown[]) =>
    JSON.stringify({ cells: cs, metadata: {}, nbformat: 4, nbformat_minor: opts.minor ?? (ids ? 5 : 4) }, null, 1)
  return [nb(a), nb(b)]
}

if (import.meta.url === `file://${process.argv[1]}` && !process.argv.slice(2).some((x) => /^\d+$/.test(x))) {
  await compareEngines(process.argv.slice(2))
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const cells = Number(args.find((x) => /^\d+$/.test(x)) ?? 20000)
  const pngAt = args.indexOf('--png')
  const pngEvery = pngAt >= 0 ? Number(args[pngAt + 1]) : 0
  const filesAt = args.indexOf('--files')
  if (args.includes('--worker')) {
    // As the server runs it: bytes handed to the worker engine; memory over a warmed-up worker.
    const engine = workerEngine()
    const tiny = JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
    await engine.diff(tiny, tiny, { a: 'a', b: 'b' })
    const baseRss = process.memoryUsage().rss
    const bytes = [readFileSync(args[filesAt + 1]!), readFileSync(args[filesAt + 2]!)] as const
    const size = bytes[0].length + bytes[1].length
    const t0 = performance.now()
    const r = await engine.diff(bytes[0], bytes[1], { a: 'a.ipynb', b: 'b.ipynb' })
    const ms = performance.now() - t0
    console.log(
      JSON.stringify({
        bytes: size,
        parseMs: 0,
        diffMs: ms,
        peakRss: process.resourceUsage().maxRSS * 1024,
        baseRss,
        entries: r.diff.length,
      }),
    )
    await engine.close()
    process.exit(0)
  }
  const baseRss = process.memoryUsage().rss
  // --files A B: read a pair written by the comparison, so peak RSS is not inflated by generating it.
  const [a, b] =
    filesAt >= 0
      ? [readFileSync(args[filesAt + 1]!, 'utf8'), readFileSync(args[filesAt + 2]!, 'utf8')]
      : largePair(cells, { ids: !args.includes('--no-ids'), pngEvery })
  const heap0 = process.memoryUsage().rss
  const t0 = performance.now()
  const na = parseNotebook(a, 'a.ipynb')
  const nb = parseNotebook(b, 'b.ipynb')
  const t1 = performance.now()
  const d = diffNotebooks(na, nb)
  const t2 = performance.now()
  const mb = (x: number) => (x / 2 ** 20).toFixed(1)
  if (args.includes('--json')) {
    console.log(
      JSON.stringify({
        bytes: a.length + b.length,
        parseMs: t1 - t0,
        diffMs: t2 - t1,
        peakRss: process.resourceUsage().maxRSS * 1024,
        baseRss,
        entries: d.length,
      }),
    )
    process.exit(0)
  }
  console.log(
    `${cells} cells${args.includes('--no-ids') ? ' (no ids)' : ''}: files ${mb(a.length)} + ${mb(b.length)} MB, ` +
      `parse ${(t1 - t0).toFixed(0)} ms, diff ${(t2 - t1).toFixed(0)} ms, ` +
      `${JSON.stringify(d).length} bytes of diff, rss +${mb(process.memoryUsage().rss - heap0)} MB (peak rss ${mb(process.resourceUsage().maxRSS * 1024)} MB)`,
  )
}
