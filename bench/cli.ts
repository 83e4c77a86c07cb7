// npm run bench:cli — start-up of the `tamer` command as whole processes (issue #11, #12 item 2):
// `node dist/cli/index.js --help` and `tamer diff a b` on two small 4-cell notebooks, N runs each
// (RUNS, default 15), wall time min/median/max, with bare `node -e 0` as the floor and the load
// average beside them. Builds dist/ first unless NO_BUILD=1. Goal: under 150 ms wall.
// BENCH_NODE=/path/to/node[,/other/node] runs the command under those Node binaries (default: this
// one; the supported Nodes are 22 and 24); BENCH_BEFORE=<checkout with a built dist/> adds that
// tree's CLI. Every variant takes its turn in each round (fresh processes, interleaved), so a
// loaded machine slows them alike; the CPU time (user + system of the child) is printed beside.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const RUNS = Number(process.env.RUNS ?? 15)
const GOAL_MS = 150
const CLI = resolve('dist/cli/index.js')
const BEFORE = process.env.BENCH_BEFORE ? resolve(process.env.BENCH_BEFORE, 'dist/cli/index.js') : undefined
const NODES = (process.env.BENCH_NODE ?? process.execPath).split(',').filter(Boolean)

const notebook = (n: number) =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [0, 1, 2, 3].map((i) => ({
      cell_type: 'code',
      id: `c${i}`,
      metadata: {},
      execution_count: i + 1,
      source: `x${i} = ${n * (i + 1)}\nprint(x${i})`,
      outputs: [{ output_type: 'stream', name: 'stdout', text: `${n * (i + 1)}\n` }],
    })),
  })

interface Sample {
  wall: number
  cpu: number
}

/**
 * The CPU time of this process's waited-for children so far, in ms: cutime + cstime of
 * /proc/self/stat (proc(5); clock ticks, 100 per second here), NaN off Linux. Ticks are coarse
 * (10 ms), so the bench prints the mean over the runs, not per run.
 */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100
  } catch {
    return NaN
  }
}

/** One run of `node args`: wall time and the child's CPU time. */
function once(node: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const cpu0 = childrenCpuMs()
  const start = process.hrtime.bigint()
  const r = spawnSync(node, args, { stdio: ['ignore', 'ignore', 'pipe'], env })
  const wall = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${node} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { wall, cpu: childrenCpuMs() - cpu0 }
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
const fmt = (s: Sample[]) => {
  const w = s.map((x) => x.wall).sort((a, b) => a - b)
  const cpu = s.reduce((t, x) => t + x.cpu, 0) / s.length
  return `min ${w[0]!.toFixed(0)}  median ${q(w, 0.5).toFixed(0)}  max ${w.at(-1)!.toFixed(0)} ms wall; CPU mean ${cpu.toFixed(0)} ms`
}

if (process.env.NO_BUILD !== '1') execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-cli-'))
try {
  const [a, b] = [join(dir, 'a.ipynb'), join(dir, 'b.ipynb')]
  writeFileSync(a, notebook(1))
  writeFileSync(b, notebook(2))
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')
  // The compile cache (src/cli/index.ts) in a directory of this run, warm after the first run;
  // "no cache" is NODE_DISABLE_COMPILE_CACHE=1, as without it.
  const cached = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') }
  const uncached = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }
  const variants: { name: string; node: string; args: string[]; env: NodeJS.ProcessEnv }[] = []
  for (const node of NODES) {
    const v = execFileSync(node, ['-v'], { encoding: 'utf8' }).trim()
    variants.push({ name: `${v} node -e 0 (the floor)`, node, args: ['-e', '0'], env: uncached })
    for (const [tree, cli] of [['', CLI], ...(BEFORE ? [['before ', BEFORE]] : [])] as [string, string][]) {
      for (const [how, env] of [
        ['', cached],
        ['no cache ', uncached],
      ] as const) {
        variants.push({ name: `${v} ${tree}${how}tamer --help`, node, args: [cli, '--help'], env })
        variants.push({ name: `${v} ${tree}${how}tamer diff a b (4 cells)`, node, args: [cli, 'diff', a, b], env })
      }
    }
  }
  console.log(`${RUNS} runs each, interleaved; load average before: ${load()}`)
  const samples = variants.map(() => [] as Sample[])
  for (const v of variants) once(v.node, v.args, v.env) // warm the page cache and the compile cache
  for (let i = 0; i < RUNS; i++) variants.forEach((v, k) => samples[k]!.push(once(v.node, v.args, v.env)))
  const width = Math.max(...variants.map((v) => v.name.length)) + 2
  variants.forEach((v, k) => console.log(`${v.name.padEnd(width)}${fmt(samples[k]!)}`))
  console.log(`load average after: ${load()}`)
  console.log(`goal: tamer diff and --help under ${GOAL_MS} ms wall on an idle machine (issue #12 item 2)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
