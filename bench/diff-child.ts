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
 * --warm diffs the same pair WARMUPS times first (BENCH_WARMUPS, default 3), then collects garbage,
 * so the figure is the pair's own (what a running server pays per diff); without it the figure also
 * holds the one-time cost of compiling the diff code (what one `tamer diff` pays). Three, not one:
 * a process's RSS before each diff still rises over its first diffs (glibc raises its mmap
 * threshold after the first large free, so later buffers come from arenas it keeps; V8's heaps grow
 * to their working size) and later diffs reuse that memory, so the 2nd diff's growth is mostly the
 * allocators settling (spl-lecture7, 1.1 MB, 8 diffs in a row: growth ÷ files of the 2nd, 3rd and
 * 4th diff in process 2.4-3.1x, 2.3-2.7x, 2.2-2.3x, served 1.5-4.3x, 1.7-2.2x, 0.9-2.0x). heldRss
 * is what the warm-ups left resident (the RSS before the measured diff over the RSS before the
 * first warm-up), printed beside the growth so that it is not hidden.
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
  /** --warm: RSS just before the measured diff over the RSS before the first warm-up. */
  heldRss?: number
}

const [fileA, fileB] = process.argv.slice(2).filter((x) => !x.startsWith('--'))
if (!fileA || !fileB) {
  console.error('usage: bench/diff-child.ts A.ipynb B.ipynb [--worker] [--warm]')
  process.exit(2)
}
const warm = process.argv.includes('--warm')
const WARMUPS = Number(process.env['BENCH_WARMUPS'] ?? 3)
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

const names = { a: 'a.ipynb', b: 'b.ipynb' }
/** --warm: the warm-up diffs; returns the RSS they started from. */
async function warmUp(diff: (a: Buffer, b: Buffer) => Promise<unknown>): Promise<number> {
  const rss0 = process.memoryUsage.rss()
  if (warm) for (let i = 0; i < WARMUPS; i++) await diff(readFileSync(fileA!), readFileSync(fileB!))
  return rss0
}

let result: ChildResult
if (process.argv.includes('--worker')) {
  const engine = workerEngine()
  const tiny = JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
  await engine.diff(tiny, tiny, { a: 'a', b: 'b' })
  const rss0 = await warmUp((a, b) => engine.diff(a, b, names))
  gc()
  const baseRss = startPeak()
  const bytes = [readFileSync(fileA), readFileSync(fileB)] as const
  const size = bytes[0].length + bytes[1].length
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await engine.diff(bytes[0], bytes[1], names)
  result = {
    bytes: size,
    diffMs: performance.now() - t0,
    peakRss: peak(),
    baseRss,
    rssHow,
    cpuMs: ((c) => (c.user + c.system) / 1000)(process.cpuUsage(c0)),
    entries: r.diff.length,
    ...(warm ? { heldRss: baseRss - rss0 } : {}),
  }
  await engine.close()
} else {
  asTamerDiff()
  const rss0 = await warmUp((a, b) => nativeEngine.diff(a, b, names))
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
    ...(warm ? { heldRss: baseRss - rss0 } : {}),
  }
}
console.log(JSON.stringify(result))
process.exit(0)
