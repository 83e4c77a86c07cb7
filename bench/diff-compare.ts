/**
 * `npm run bench:diff`: Tamer's native engine against the real nbdime, three sets:
 *
 * real       the corpus' real pairs of 1 MB or more (bench/diff-pairs.ts realPairs), each as whole
 *            processes — `tamer diff --format json A B` (package.json's bin, built first) against
 *            `nbdiff --out F A B`, run in turn R times, medians — and in process (parse + diff in a
 *            fresh child) and as served (the worker engine). Issue #12's goals are printed next to
 *            the figures, with the machine's load average (2 cores shared: ratios of runs taken in
 *            turn are what to compare, not seconds).
 * corpus     every corpus pair: Tamer in process against `nbdiff` through the adapter.
 * generated  large generated pairs (2,000 cells with PNGs, 20,000 cells; with and without ids).
 *
 * Tamer's peak RSS as a whole process is its own getrusage maximum (written at exit by a
 * one-line --import); nbdime's is sampled from /proc every 5 ms (Linux), so it can only read low.
 */
import { spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { detectNbdime, nbdimeDiff } from '../src/engines/nbdiff.js'
import { notebookCorpusPairs } from '../test/support/notebook-corpus.js'
import { largePair, realPairs } from './diff-pairs.js'
import type { ChildResult } from './diff-child.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const ROOT = join(HERE, '..')
const CHILD = join(HERE, 'diff-child.ts')
/**
 * The Node the measured processes run on (BENCH_NODE, e.g. the supported 22 or 24; default this
 * one). Another Node runs the child's TypeScript through its own type stripping and this repo's
 * hooks (scripts/ts-hooks.mjs), not tsx: tsx's loader thread grows the RSS the figures are over.
 */
const NODE = process.env['BENCH_NODE'] ?? process.execPath
const CHILD_ARGS = process.env['BENCH_NODE']
  ? ['--import', pathToFileURL(join(ROOT, 'scripts/ts-hooks.mjs')).href]
  : process.execArgv
// The `tamer` command as installed: package.json's bin, built into dist/.
const cliOf = (root: string) =>
  join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { tamer: string } }).bin.tamer)

export const GOALS = {
  process: 10,
  inProcess: 50,
  rssPerFiles: 3,
}
const GOAL_LINE =
  `goals (issue #12): whole process ≥ ${GOALS.process}× nbdime on every real pair ≥ 1 MB; in process ≥ ${GOALS.inProcess}×; ` +
  `peak RSS < ${GOALS.rssPerFiles}× the files, in process and served`
/** What the memory figures are (bench/diff-child.ts says how they are taken). */
const RSS_NOTE =
  'RSS growth: peak RSS of the diffing process over its RSS just before the files were read (Linux: ' +
  'peak mark reset via /proc/self/clear_refs), ÷ the files (A+B). cold: a fresh process, so it includes ' +
  `compiling the diff code (what one \`tamer diff\` pays); warm: after ${process.env['BENCH_WARMUPS'] ?? 3} warm-up diffs of the same pair ` +
  "(the pair's own cost, what a running server pays once its RSS has settled; held: what the warm-ups left " +
  'resident, in MB); served: the worker engine, warm. Medians of the runs.'

const mb = (x: number) => `${(x / 2 ** 20).toFixed(1)} MB`
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`)
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')
const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}
const meets = (ok: boolean) => (ok ? 'yes' : 'NO')

/**
 * BENCH_BEFORE=<checkout>: the same figures for another checkout of Tamer (e.g. main before a
 * change), taken in turn with this one's in the same run (its dist/ is built too).
 */
const BEFORE = process.env['BENCH_BEFORE']

interface ChildOptions {
  /** As served: through the worker engine. */
  worker?: boolean
  /** After warm-up diffs of the same pair (bench/diff-child.ts). */
  warm?: boolean
  /** The checkout measured (default this one). */
  root?: string
}

/** Native parse + diff of two files in a fresh child; memory as bench/diff-child.ts measures it. */
async function nativeChild(a: string, b: string, o: ChildOptions = {}): Promise<ChildResult> {
  const flags = [...(o.worker ? ['--worker'] : []), ...(o.warm ? ['--warm'] : [])]
  const r = await execa(NODE, [...CHILD_ARGS, CHILD, a, b, ...flags], {
    env: o.root ? { BENCH_SRC_ROOT: o.root } : {},
  })
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult
}

async function nativeTexts(a: string, b: string, o: ChildOptions = {}): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-'))
  try {
    writeFileSync(join(dir, 'a.ipynb'), a)
    writeFileSync(join(dir, 'b.ipynb'), b)
    return await nativeChild(join(dir, 'a.ipynb'), join(dir, 'b.ipynb'), o)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface ProcessRun {
  ms: number
  peakRss: number
}

// getrusage's maximum, written by the measured Node process itself as it exits.
const PEAK_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\ntamer-bench-peak-rss '+process.resourceUsage().maxRSS*1024+'\\n'))`

/**
 * `tamer diff --format json A B` as a whole process, its JSON on `out`. Stdout is the file itself
 * (not a pipe): the CLI exits with process.exit, which cuts a pipe's pending output short.
 */
async function tamerProcess(a: string, b: string, out: string, root = ROOT): Promise<ProcessRun> {
  const fd = openSync(out, 'w')
  try {
    const t0 = performance.now()
    const child = spawn(NODE, ['--import', PEAK_HOOK, cliOf(root), 'diff', '--format', 'json', a, b], {
      stdio: ['ignore', fd, 'pipe'],
    })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve))
    const ms = performance.now() - t0
    if (code !== 0) throw new Error(`tamer diff exited ${code}: ${stderr.slice(0, 200)}`)
    const peak = /tamer-bench-peak-rss (\d+)/.exec(stderr)
    return { ms, peakRss: peak ? Number(peak[1]) : NaN }
  } finally {
    closeSync(fd)
  }
}

/** `nbdiff --out OUT A B` as a whole process; peak RSS sampled from /proc (Linux). */
async function nbdimeProcess(
  command: string,
  a: string,
  b: string,
  out: string,
  timeoutMs: number,
): Promise<ProcessRun> {
  const t0 = performance.now()
  const child = execa(command, ['--out', out, a, b], {
    stdin: 'ignore',
    reject: false,
    timeout: timeoutMs,
    cwd: tmpdir(),
  })
  let peak = NaN
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m) peak = Math.max(Number.isNaN(peak) ? 0 : peak, Number(m[1]) * 1024)
    } catch {
      // gone, or not Linux
    }
  }
  const timer = setInterval(sample, 5)
  const r = await child
  clearInterval(timer)
  const ms = performance.now() - t0
  if (r.timedOut) throw new Error(`nbdiff timed out after ${timeoutMs / 1000} s`)
  if (r.exitCode !== 0) throw new Error(`nbdiff exited ${r.exitCode}: ${String(r.stderr).slice(0, 200)}`)
  return { ms, peakRss: peak }
}

/** One checkout's runs of a pair. */
interface Side {
  label: string
  root: string
  tamer: ProcessRun[]
  /** In process, cold (a fresh process, as `tamer diff`) and warm (after warm-up diffs). */
  cold: ChildResult[]
  warm: ChildResult[]
  /** As served (the worker engine), warm: a running server has compiled the diff code. */
  served: ChildResult[]
}

/** The real set: whole processes in turn, then in process and served. */
async function realSet(nbdiff: string | null, runs: number, timeoutS: number, build: boolean): Promise<void> {
  const pairs = realPairs()
  if (pairs.length === 0) {
    console.log('real pairs: no corpus on this machine (TAMER_TEST_NOTEBOOK_CORPUS)')
    return
  }
  const roots = BEFORE ? [ROOT, BEFORE] : [ROOT]
  if (build) {
    for (const root of roots) {
      console.log(`building ${root}/dist (npm run build) for the whole-process runs …`)
      await execa('npm', ['run', 'build'], { cwd: root })
    }
  }
  console.log(`\nReal pairs ≥ 1 MB, ${runs} runs each in turn; load average at start ${load()}`)
  console.log(GOAL_LINE)
  console.log(RSS_NOTE)
  const header = [
    'pair',
    'files (A+B)',
    'nbdime (process)',
    'Tamer (process)',
    `× (goal ≥ ${GOALS.process})`,
    'Tamer in process (CPU, all threads)',
    `× (goal ≥ ${GOALS.inProcess})`,
    `RSS growth ÷ files: in process cold / warm / served (goal < ${GOALS.rssPerFiles})`,
    'held after warm-ups: warm / served',
    'peak RSS process: Tamer / nbdime',
    'same JSON',
    'load (1 min)',
  ]
  const rows: string[][] = [header]
  await fixedCost(roots, runs)
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-real-'))
  try {
    for (const p of pairs) {
      const sides: Side[] = roots.map((root, k) => ({
        label: k === 0 ? p.name : `${p.name} (before)`,
        root,
        tamer: [],
        cold: [],
        warm: [],
        served: [],
      }))
      const nb: ProcessRun[] = []
      let same = '—'
      let nbFailed = ''
      for (let k = 0; k < runs; k++) {
        for (const s of sides)
          s.tamer.push(await tamerProcess(p.a, p.b, join(dir, `tamer${s === sides[0] ? '' : '-before'}.json`), s.root))
        if (nbdiff && !nbFailed) {
          try {
            nb.push(await nbdimeProcess(nbdiff, p.a, p.b, join(dir, 'nbdime.json'), timeoutS * 1000))
          } catch (err) {
            nbFailed = (err as Error).message.slice(0, 60)
          }
        }
        for (const s of sides) {
          s.cold.push(await nativeChild(p.a, p.b, { root: s.root }))
          s.warm.push(await nativeChild(p.a, p.b, { root: s.root, warm: true }))
          s.served.push(await nativeChild(p.a, p.b, { root: s.root, worker: true, warm: true }))
        }
      }
      for (const s of sides) {
        if (nb.length) {
          const t = readFileSync(join(dir, `tamer${s === sides[0] ? '' : '-before'}.json`), 'utf8')
          const n = readFileSync(join(dir, 'nbdime.json'), 'utf8')
          same = JSON.stringify(JSON.parse(t)) === JSON.stringify(JSON.parse(n)) ? 'yes' : 'NO'
        }
        const wall = (r: ChildResult) => r.diffMs
        const tMs = median(s.tamer.map((r) => r.ms))
        const nMs = nb.length ? median(nb.map((r) => r.ms)) : NaN
        // Ratios run by run (A and B ran in turn), then the median.
        const processRatio = nb.length ? median(nb.map((r, k) => r.ms / (s.tamer[k] as ProcessRun).ms)) : NaN
        const inRatio = nb.length ? median(nb.map((r, k) => r.ms / wall(s.cold[k] as ChildResult))) : NaN
        const growth = (rs: ChildResult[]) => median(rs.map((r) => r.peakRss - r.baseRss)) / p.bytes
        const [cold, warm, served] = [growth(s.cold), growth(s.warm), growth(s.served)]
        const ratio = (x: number, goal: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(1)}× (${meets(x >= goal)})`)
        rows.push([
          s.label,
          mb(p.bytes),
          nbFailed ? nbFailed : nb.length ? secs(nMs) : '—',
          secs(tMs),
          ratio(processRatio, GOALS.process),
          `${secs(median(s.cold.map(wall)))} (CPU ${secs(median(s.cold.map((r) => r.cpuMs)))})`,
          ratio(inRatio, GOALS.inProcess),
          `${cold.toFixed(1)}× / ${warm.toFixed(1)}× / ${served.toFixed(1)}× ` +
            `(${meets(cold < GOALS.rssPerFiles)} / ${meets(warm < GOALS.rssPerFiles)} / ${meets(served < GOALS.rssPerFiles)})`,
          `${mb(median(s.warm.map((r) => r.heldRss ?? NaN)))} / ${mb(median(s.served.map((r) => r.heldRss ?? NaN)))}`,
          `${mb(median(s.tamer.map((r) => r.peakRss)))} / ${nb.length ? mb(median(nb.map((r) => r.peakRss))) : '—'}`,
          same,
          loadavg()[0]!.toFixed(1),
        ])
        console.log(rows[rows.length - 1]!.join(' | '))
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  printTable(rows)
  console.log(`load average at end ${load()}`)
}

/**
 * What any one-shot diff pays whatever the pair: a 4-cell pair's cold growth (compiling the diff
 * code, V8's first pages, the compiler threads' memory). A 1 MB pair's cold ratio holds it too.
 */
async function fixedCost(roots: string[], runs: number): Promise<void> {
  const [a, b] = largePair(4, { ids: false })
  const growth: number[][] = roots.map(() => [])
  for (let k = 0; k < runs; k++)
    for (const [i, root] of roots.entries()) {
      const r = await nativeTexts(a, b, { root })
      growth[i]!.push(r.peakRss - r.baseRss)
    }
  const said = growth.map((g, i) => `${mb(median(g))}${i ? ' (before)' : ''}`).join(', ')
  console.log(
    `cold growth of a 4-cell pair (${((a.length + b.length) / 1024).toFixed(0)} KB), what any \`tamer diff\` pays: ${said}`,
  )
}

function printTable(rows: string[][]): void {
  console.log('\n| ' + rows[0]!.join(' | ') + ' |\n|' + rows[0]!.map(() => '---').join('|') + '|')
  for (const r of rows.slice(1)) console.log('| ' + r.join(' | ') + ' |')
}

interface Case {
  name: string
  texts: () => [string, string]
}

/** The corpus and generated sets: Tamer in process and served against nbdime through the adapter. */
async function adapterSet(cases: Case[], nbdimeAvailable: boolean, timeoutS: number): Promise<void> {
  console.log(`\nload average at start ${load()}`)
  console.log(GOAL_LINE)
  console.log(RSS_NOTE)
  const rows: string[][] = [
    [
      'pair',
      'files (A+B)',
      'Tamer native',
      'nbdime 4.0.4',
      'ratio',
      'Tamer peak RSS (growth), cold',
      'growth ÷ files: cold / warm',
      'served (worker): time',
      'served: growth ÷ files (warm)',
      'load (1 min)',
    ],
  ]
  for (const c of cases) {
    const [a, b] = c.texts()
    const files = a.length + b.length
    const native = await nativeTexts(a, b)
    const warm = await nativeTexts(a, b, { warm: true })
    const served = await nativeTexts(a, b, { worker: true, warm: true })
    const nativeMs = native.diffMs
    let nb = '—'
    let ratio = '—'
    if (nbdimeAvailable) {
      const t0 = performance.now()
      try {
        await nbdimeDiff(a, b, {}, { timeoutMs: timeoutS * 1000 })
        const ms = performance.now() - t0
        nb = secs(ms)
        ratio = `${(ms / nativeMs).toFixed(0)}×`
      } catch (err) {
        const timedOut = /timed out/.test((err as Error).message)
        nb = timedOut ? `> ${timeoutS} s` : `failed: ${(err as Error).message.slice(0, 60)}`
        ratio = timedOut ? `> ${((timeoutS * 1000) / nativeMs).toFixed(0)}×` : '—'
      }
    }
    const over = native.peakRss - native.baseRss
    rows.push([
      c.name,
      mb(files),
      secs(nativeMs),
      nb,
      ratio,
      `${mb(native.peakRss)} (${mb(over)})`,
      `${(over / files).toFixed(1)}× / ${((warm.peakRss - warm.baseRss) / files).toFixed(1)}×`,
      secs(served.diffMs),
      `${((served.peakRss - served.baseRss) / files).toFixed(1)}×`,
      loadavg()[0]!.toFixed(1),
    ])
    console.log(rows[rows.length - 1]!.join(' | '))
  }
  printTable(rows)
}

export async function compareEngines(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const at = argv.indexOf(name)
    return at >= 0 ? argv[at + 1] : undefined
  }
  const skipSlow = argv.includes('--skip-slow') || process.env['BENCH_SKIP_SLOW'] === '1'
  const timeoutS = Number(arg('--nbdime-timeout') ?? process.env['BENCH_NBDIME_TIMEOUT'] ?? (skipSlow ? 60 : 1800))
  const runs = Number(arg('--runs') ?? 3)
  const only = arg('--only')
  const sets = only ? only.split(',') : ['real', 'corpus', 'generated']
  const found = argv.includes('--no-nbdime') ? null : await detectNbdime()
  console.log(
    `nbdime: ${found ? (found.available ? `nbdiff ${found.version}, timeout ${timeoutS} s` : `absent (${found.reason})`) : 'skipped (--no-nbdime)'}`,
  )
  console.log(`load average ${load()} (1, 5, 15 min) on ${cpus().length} cores; Node ${NODE}`)
  const nbdiff = found?.available ? found.command : null

  if (sets.includes('real')) await realSet(nbdiff, runs, timeoutS, !argv.includes('--no-build'))
  const cases: Case[] = []
  if (sets.includes('corpus')) {
    cases.push(
      ...notebookCorpusPairs().map((p) => ({ name: `corpus ${p.name}`, texts: () => [p.a, p.b] as [string, string] })),
    )
  }
  if (sets.includes('generated')) {
    const large = (cells: number, ids: boolean, png: number): Case => ({
      name: `${cells} cells, ${ids ? 'ids' : 'no ids'}${png ? `, ${100 / png} % ~100 KB PNG` : ''}`,
      texts: () => largePair(cells, { ids, pngEvery: png }),
    })
    cases.push(large(2000, true, 10), large(2000, false, 10), large(20000, true, 0), large(20000, false, 0), {
      // nbformat 4.5 without ids: the reader invents one per cell (nbformat does so at random).
      name: '20000 cells, v4.5 without ids',
      texts: () => largePair(20000, { ids: false, minor: 5 }),
    })
  }
  if (cases.length) await adapterSet(cases, nbdiff !== null, timeoutS)
}
