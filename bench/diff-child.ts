/**
 * One native diff of a pair of files, measured inside this (fresh) process; prints one JSON line.
 *   node --import tsx bench/diff-child.ts A B            in process: parse + diff of the bytes (as `tamer diff`)
 *   node --import tsx bench/diff-child.ts A B --worker   as served: bytes handed to the worker engine
 * peakRss is the process's peak; baseRss its RSS before the pair was read (the worker: after a
 * warm-up diff), so peakRss − baseRss is the pair's own cost. Started by bench/diff-compare.ts.
 */
import { readFileSync } from 'node:fs'
import { diffNotebooks, parseNotebook } from '../src/notebooks/core/index.js'
import { workerEngine } from '../src/engines/worker-engine.js'
import { keepYoungGenerationSmall } from '../src/engines/engine.js'

export interface ChildResult {
  bytes: number
  parseMs: number
  diffMs: number
  peakRss: number
  baseRss: number
  /** CPU time of the whole process (all threads: compilers, GC) over parse + diff. */
  cpuMs: number
  entries: number
}

const [fileA, fileB] = process.argv.slice(2).filter((x) => !x.startsWith('--'))
if (!fileA || !fileB) {
  console.error('usage: bench/diff-child.ts A.ipynb B.ipynb [--worker]')
  process.exit(2)
}
const peak = () => process.resourceUsage().maxRSS * 1024
const tiny = JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
let result: ChildResult
if (process.argv.includes('--worker')) {
  const engine = workerEngine()
  await engine.diff(tiny, tiny, { a: 'a', b: 'b' })
  const baseRss = process.memoryUsage().rss
  const bytes = [readFileSync(fileA), readFileSync(fileB)] as const
  const size = bytes[0].length + bytes[1].length
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await engine.diff(bytes[0], bytes[1], { a: 'a.ipynb', b: 'b.ipynb' })
  result = {
    bytes: size,
    parseMs: 0,
    diffMs: performance.now() - t0,
    peakRss: peak(),
    baseRss,
    cpuMs: ((c) => (c.user + c.system) / 1000)(process.cpuUsage(c0)),
    entries: r.diff.length,
  }
  await engine.close()
} else {
  keepYoungGenerationSmall() // as `tamer diff` does
  const baseRss = process.memoryUsage().rss
  // Bytes, as `tamer diff` reads them.
  const a = readFileSync(fileA)
  const b = readFileSync(fileB)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const na = parseNotebook(a, 'a.ipynb')
  const nb = parseNotebook(b, 'b.ipynb')
  const t1 = performance.now()
  const d = diffNotebooks(na, nb)
  const t2 = performance.now()
  const cpu = process.cpuUsage(c0)
  result = {
    bytes: a.length + b.length,
    parseMs: t1 - t0,
    diffMs: t2 - t1,
    peakRss: peak(),
    baseRss,
    cpuMs: (cpu.user + cpu.system) / 1000,
    entries: d.length,
  }
}
console.log(JSON.stringify(result))
process.exit(0)
