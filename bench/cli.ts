// npm run bench:cli — start-up of the `tamer` command as whole processes (issue #11, #12 item 2):
// `node dist/cli/index.js --help` and `tamer diff a b` on two small 4-cell notebooks, N runs each
// (RUNS, default 15), wall time min/median/max, with bare `node -e 0` as the floor and the load
// average beside them. Builds dist/ first unless NO_BUILD=1. Goal: under 150–200 ms wall.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const RUNS = Number(process.env.RUNS ?? 15)
const GOAL_MS = 200
const CLI = resolve('dist/cli/index.js')

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

function time(args: string[]): number[] {
  const ms: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint()
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    ms.push(Number(process.hrtime.bigint() - start) / 1e6)
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  }
  return ms.sort((a, b) => a - b)
}

const fmt = (ms: number[]) =>
  `min ${ms[0]!.toFixed(0)}  median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)}  max ${ms.at(-1)!.toFixed(0)} ms`

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
  console.log(`${RUNS} runs each, node ${process.version}, load average before: ${load()}`)
  console.log(`node -e 0 (the floor)       ${fmt(time(['-e', '0']))}`)
  console.log(`tamer --help                ${fmt(time([CLI, '--help']))}`)
  const diff = time([CLI, 'diff', a, b])
  console.log(`tamer diff a b (4 cells)    ${fmt(diff)}`)
  console.log(`load average after: ${load()}`)
  console.log(`goal: tamer diff and --help under ${GOAL_MS} ms wall on an idle machine (issue #11)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
