/**
 * One native diff of a pair of files, measured inside this (fresh) process; prints one JSON line.
 *   node --import tsx bench/diff-child.ts A B [--warm]           in process: `tamer diff`'s engine and V8 set-up
 *   node --import tsx bench/diff-child.ts A B --worker [--warm]  as served: bytes handed to the worker engine
 * BENCH_SRC_ROOT=<checkout> measures that checkout's code instead of this one's.
 *
 * What the memory figure is (issue #12: "peak RSS < 3× the files"): the growth of this process's
 * resident set over the diff, not the process's whole RSS (a bare Node is ~40 MB, more than any
 * pair). Just before the files are read, Linux's peak-RSS mark is reset (`echo 5 >
 * /proc/self/clear_refs`, proc(5)) and the RSS read (baseRss); after the diff, the peak since
 * (VmHWM, /proc/self/status) is peakRss. peakRss − baseRss is then everything the pair cost at its
 * worst moment: its bytes, the parsed notebooks, the diff, garbage not yet collected, and the
 * code V8 compiles for it — all threads (the worker's heap is in the same process; served, also A's
 * notebook rebuilt in this thread from the worker's reply). Not in it: Node's start-up and the
 * modules loaded before the mark, and writing the output (`tamer diff` streams its JSON in 64 KB
 * chunks; bench:diff's whole-process peak RSS has everything). Where /proc
 * cannot be written, peakRss is getrusage's maximum since start-up, an upper bound (rssHow says
 * which).
 *
 * --warm diffs the same pair once first, then collects garbage, so V8 has compiled the diff code
 * and the figure is the pair's own (what a running server pays per diff); without it the figure
 * also holds the one-time cost of compiling the diff code (what one `tamer diff` pays).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * The checkout whose code is measured: this one, or BENCH_SRC_ROOT (bench/diff-compare.ts sets it
 * to BENCH_BEFORE's, so both sides are measured the same way).
 */
const ROOT = process.env['BENCH_SRC_ROOT'] ?? fileURLToPath(new URL('..', import.meta.url))
const load = (path: string) => import(pathToFileURL(join(ROOT, path)).href)
const { workerEngine } = (await load(
  'src/engines/worker-engine.ts',
)) as typeof import('../src/engines/worker-engine.js')
const engineModule = (await load('src/engines/engine.ts')) as typeof import('../src/engines/engine.js')
const { nativeEngine } = engineModule
// What `tamer diff` sets up before its diff (an older checkout: its young generation only).
const asTamerDiff = engineModule.tuneForOneDiff ?? engineModule.keepYoungGenerationSmall

export interface ChildResult {
  bytes: number
  /** Parse + diff, wall time. */
  diffMs: number
  /** Peak RSS since baseRss was read (or since start-up: rssHow). */
  peakRss: number
  baseRss: number
  rssHow: 'reset' | 'since-start'
  /** CPU time of the whole process (all threads: compilers, GC) over parse + diff. */
  cpuMs: number
  entries: number
}

const [fileA, fileB] = process.argv.slice(2).filter((x) => !x.startsWith('--'))
if (!fileA || !fileB) {
  console.error('usage: bench/diff-child.ts A.ipynb B.ipynb [--worker] [--warm]')
  process.exit(2)
}
const warm = process.argv.includes('--warm')
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const status = (field: string): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))
  if (!m) throw new Error(`no ${field}`)
  return Number(m[1]) * 1024
}
let rssHow: ChildResult['rssHow'] = 'reset'
/** Resets the peak mark and returns the RSS it starts from. */
function startPeak(): number {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return status('VmRSS')
  } catch {
    rssHow = 'since-start'
    return process.memoryUsage().rss
  }
}
const peak = () => (rssHow === 'reset' ? status('VmHWM') : process.resourceUsage().maxRSS * 1024)

let result: ChildResult
if (process.argv.includes('--worker')) {
  const engine = workerEngine()
  const tiny = JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
  await engine.diff(tiny, tiny, { a: 'a', b: 'b' })
  if (warm) await engine.diff(readFileSync(fileA), readFileSync(fileB), { a: 'a.ipynb', b: 'b.ipynb' })
  gc()
  const baseRss = startPeak()
  const bytes = [readFileSync(fileA), readFileSync(fileB)] as const
  const size = bytes[0].length + bytes[1].length
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await engine.diff(bytes[0], bytes[1], { a: 'a.ipynb', b: 'b.ipynb' })
  result = {
    bytes: size,
    diffMs: performance.now() - t0,
    peakRss: peak(),
    baseRss,
    rssHow,
    cpuMs: ((c) => (c.user + c.system) / 1000)(process.cpuUsage(c0)),
    entries: r.diff.length,
  }
  await engine.close()
} else {
  asTamerDiff()
  const names = { a: 'a.ipynb', b: 'b.ipynb' }
  if (warm) await nativeEngine.diff(readFileSync(fileA), readFileSync(fileB), names)
  gc()
  const baseRss = startPeak()
  // Bytes, as `tamer diff` reads them, through its engine (which may empty them once parsed).
  const a = readFileSync(fileA)
  const b = readFileSync(fileB)
  const bytes = a.length + b.length
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await nativeEngine.diff(a, b, names)
  const t1 = performance.now()
  const cpu = process.cpuUsage(c0)
  result = {
    bytes,
    diffMs: t1 - t0,
    peakRss: peak(),
    baseRss,
    rssHow,
    cpuMs: (cpu.user + cpu.system) / 1000,
    entries: r.diff.length,
  }
}
console.log(JSON.stringify(result))
process.exit(0)
