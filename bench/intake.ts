// npm run bench:intake — the server users run (`tamer serve`, the code path of `npm start`: the
// pipeline on, info logs to stdout, no Jenkins configured) against the same composed app with a
// store that stores nothing (verify + parse + 202, the ceiling of the intake work), in one
// interleaved run on this machine:
//   1. throughput: closed loop (autocannon, BENCH_CONNECTIONS), the two servers taking turns for BENCH_ROUNDS rounds;
//   2. latency at fixed rates, open loop (bench/open-loop.ts: timed from each request's due time):
//      signed 6.8 KB pushes at 1,000/s, and 1 MB pushes at 50/s with the server's peak RSS and its CPU per
//      delivery by thread (from /proc: it compares trees on a loaded machine where latency does not). Each run
//      follows 1 s at the same rate that is not reported (the generator's sockets and code warm: from
//      cold, 1,000/s at a bare 202 route measured p99 3.8 s, warm 96 ms), and a bare route (answers
//      202, reads nothing) takes the same runs: the ceiling of the generator and this machine.
// Every delivery has a new id (none is a duplicate). Afterwards the stored rows are counted against
// the 2xx answers, and the bytes stored per delivery are set against the body's.
// BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_RATE, BENCH_BIG_RATE size the runs.
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import BetterSqlite3 from 'better-sqlite3'
import { githubPush } from '../test/support/payloads.js'
import { openLoop, type OpenLoopResult } from './open-loop.js'

const SECRET = 'bench-secret'
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100)
const RATE = Number(process.env.BENCH_RATE ?? 1000)
const BIG_RATE = Number(process.env.BENCH_BIG_RATE ?? 50)
const root = fileURLToPath(new URL('..', import.meta.url))

/** A push of about 6.8 KB, like the corpus push: several commits with file lists. */
function pushBody(): Buffer {
  const base = githubPush()
  const commits = Array.from({ length: 9 }, (_, i) => ({
    ...base.commits[0]!,
    id: `${i}`.padStart(40, 'f'),
    message: `Commit ${i}: retrain, re-evaluate and update the notebooks`,
    added: [`notebooks/exp-${i}.ipynb`, `data/features-${i}.parquet`],
    modified: ['notebooks/train.ipynb', 'requirements.txt', 'src/model/features.py', 'src/model/train.py'],
  }))
  return Buffer.from(JSON.stringify({ ...base, commits }))
}

/** A push of about 1 MB: 20 commits (GitHub's most) that each touch a few thousand files. */
function bigPushBody(): Buffer {
  const base = githubPush()
  const commits = Array.from({ length: 20 }, (_, i) => ({
    ...base.commits[0]!,
    id: `${i}`.padStart(40, 'e'),
    message: `Commit ${i}: regenerate the feature notebooks`,
    added: Array.from({ length: 1300 }, (_, j) => `notebooks/generated/exp-${i}-${j}.ipynb`),
  }))
  return Buffer.from(JSON.stringify({ ...base, commits }))
}

const headersFor = (body: Buffer) => {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
  return () => ({
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-hook-id': '1',
    'x-hub-signature-256': signature,
    'x-github-delivery': randomUUID(),
  })
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up`)
}

interface Server {
  name: string
  child: ChildProcess
  url: string
}

/** `tamer serve`, as `npm start` runs it, from the source (the checkout's dist/ may be older). */
async function startServe(configFile: string, dataDir: string, tree = root, name = 'durable'): Promise<Server> {
  const port = await freePort()
  // BENCH_SERVE_ARGS: extra Node flags for the durable server only (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
  const extra = (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', join(tree, 'src/cli/index.ts'), 'serve'], {
    cwd: tree,
    env: { ...process.env, TAMER_CONFIG: configFile, TAMER_DATA_DIR: dataDir, TAMER_PORT: String(port) },
    // Its info logs go where a service's usually go, a file descriptor that takes them as fast as written.
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  await waitUp(url)
  return { name: `${name} (tamer serve)`, child, url }
}

async function startVerifyOnly(configFile: string, mode: 'nostore' | 'bare' = 'nostore'): Promise<Server> {
  const child = fork(join(root, 'bench/intake-server.ts'), [mode, configFile], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)))
  const name = mode === 'bare' ? 'bare route (generator ceiling)' : 'verify-only (no store)'
  return { name, child, url: `http://127.0.0.1:${port}` }
}

/** The peak resident set of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/**
 * CPU (user + system) of a process so far, ms, by thread kind: the event loop, the worker threads (the SQLite
 * writer and checkpointer), the others (V8's GC helpers mostly). From /proc, so it holds on a loaded machine
 * where latency does not.
 */
function threadCpuMs(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {}
  const tick = 10 // ms per clock tick (USER_HZ 100)
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim()
      const fields = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')
      const kind = comm === 'MainThread' ? 'loop' : comm === 'WorkerThread' ? 'workers' : 'other'
      kinds[kind] = (kinds[kind] ?? 0) + (Number(fields[11]) + Number(fields[12])) * tick
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return kinds
}

const cpuPer = (before: Record<string, number>, after: Record<string, number>, n: number) => {
  const d = (k: string) => ((after[k] ?? 0) - (before[k] ?? 0)) / n
  const total = d('loop') + d('workers') + d('other')
  return `${total.toFixed(2)} (${d('loop').toFixed(2)}/${d('workers').toFixed(2)}/${d('other').toFixed(2)})`
}

async function closedLoop(url: string, body: Buffer, seconds: number) {
  const headers = headersFor(body)
  const r = await autocannon({
    url: `${url}/hooks/github`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    body,
    requests: [{ setupRequest: (req) => ({ ...req, headers: headers() }) }],
  })
  return { rps: r.requests.average, p99: r.latency.p99, twoxx: r['2xx'], bad: r.non2xx + r.errors + r.timeouts }
}

/**
 * A process's write calls and bytes written so far (/proc/<pid>/io syscw, wchar: WAL frames, checkpoints and
 * logs alike). Like the CPU, it compares trees on a loaded machine, where latency does not.
 */
function writesSoFar(pid: number): { calls: number; bytes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN)
  return { calls: field('syscw'), bytes: field('wchar') }
}

const writesPer = (before: { calls: number; bytes: number }, pid: number, n: number) => {
  const after = writesSoFar(pid)
  return `${((after.calls - before.calls) / n).toFixed(1)}, ${((after.bytes - before.bytes) / n / 1024).toFixed(1)}`
}

/** CPU (user + system) of a whole process so far, in clock ticks. */
function processTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/**
 * Waits until a server has finished what a window left it (the requests in flight when it ended, the durable's
 * commits, checkpoint and routes of them, a collection): its CPU under 10 % over 200 ms, or 5 s. Without it the
 * next server's window shared the cores with that tail, always the same server's in a fixed order.
 */
async function settle(s: Server): Promise<void> {
  const until = Date.now() + 5000
  let last = processTicks(s.child.pid!)
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200))
    const now = processTicks(s.child.pid!)
    if (now - last <= 2) return
    last = now
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const twoxx = (r: OpenLoopResult) => (r.statuses[202] ?? 0) + (r.statuses[200] ?? 0)
const others = (r: OpenLoopResult) => `${r.sent - twoxx(r)}${r.statuses[503] ? ` (${r.statuses[503]} × 503)` : ''}`

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-intake-'))
  const configFile = join(dir, 'tamer.json')
  // JSON is YAML. Rate limits and the per-source in-flight share off (all load comes from one address
  // here, standing for a host's many; the counting is measured, never a 429); the pushes name a
  // remote that does not exist, so no background diffs.
  writeFileSync(
    configFile,
    JSON.stringify({
      server: {
        host: '127.0.0.1',
        logLevel: 'info',
        maxInFlightBytesPerSource: 0,
        rateLimit: { hooksPerSource: 0, hooksPerTenant: 0 },
      },
      providers: { github: { secrets: [SECRET] } },
      api: { tokens: ['bench-api-token'] },
      diffs: { precompute: false },
    }),
  )
  const body = pushBody()
  const big = bigPushBody()
  console.log(
    `bench:intake — push ${body.length} B, big push ${(big.length / 1e6).toFixed(2)} MB; ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections`,
  )
  const durable = await startServe(configFile, join(dir, 'data'))
  const verify = await startVerifyOnly(configFile)
  const bare = await startVerifyOnly(configFile, 'bare')
  // BENCH_BEFORE=<a checkout of an older commit>: its `tamer serve` too, taking turns with the others in the same run.
  const beforeTree = process.env.BENCH_BEFORE
  const before = beforeTree ? await startServe(configFile, join(dir, 'data-before'), beforeTree, 'before') : null
  const durables = before ? [before, durable] : [durable]
  const servers = [verify, ...durables]
  let durable2xx = 0
  for (const s of servers) {
    const w = await closedLoop(s.url, body, 2) // warm-up, not reported
    if (s === durable) durable2xx += w.twoxx
    await settle(s)
  }

  // 1. Throughput, the servers in turn, so a slower minute of this shared machine weighs on each.
  const rps: Record<string, number[]> = Object.fromEntries(servers.map((s) => [s.name, []]))
  const ratios: Record<string, number[]> = Object.fromEntries(durables.map((s) => [s.name, []]))
  const loads: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const got: Record<string, Awaited<ReturnType<typeof closedLoop>>> = {}
    // Every other round in the reverse order, so no server always runs first, or right after another.
    for (const s of round % 2 ? [...servers].reverse() : servers) {
      got[s.name] = await closedLoop(s.url, body, SECONDS)
      await settle(s)
      rps[s.name]!.push(got[s.name]!.rps)
      if (got[s.name]!.bad > 0) console.log(`  round ${round + 1}: ${s.name}: ${got[s.name]!.bad} answers not 2xx`)
    }
    durable2xx += got[durable.name]!.twoxx
    for (const d of durables) ratios[d.name]!.push(got[d.name]!.rps / got[verify.name]!.rps)
    loads.push(load())
  }
  console.log(`\n1. throughput, closed loop (${CONNECTIONS} connections)    deliveries/s per round     median`)
  for (const s of servers)
    console.log(
      `   ${s.name.padEnd(42)}${rps[s.name]!.map((x) => x.toFixed(0).padStart(7)).join('')}${median(rps[s.name]!).toFixed(0).padStart(9)}`,
    )
  for (const d of durables)
    console.log(
      `   ${d.name.split(' (')[0]} ÷ verify-only per round: ${ratios[d.name]!.map((x) => `${(x * 100).toFixed(0)} %`).join(', ')}; median ${(median(ratios[d.name]!) * 100).toFixed(0)} % (goal ≥ 85 %)`,
    )
  console.log(`   load average (1, 5, 15 min) after each round: ${loads.join(' | ')}`)

  // 2. Latency at fixed rates, open loop.
  console.log('\n2. fixed rate, open loop (latency from each request’s due time)')
  console.log(
    '   server                        rate/s  achieved    p50 ms    p99 ms    max ms  non-2xx  peak RSS' +
      '  CPU ms/delivery (loop/workers/other)  writes/delivery (calls, KB)  load',
  )
  // The writes are counted until the server has finished the run's tail (its last commits and their checkpoint).
  const row = (name: string, rate: number, r: OpenLoopResult, rss = '', cpu = '', writes = '') =>
    console.log(
      `   ${name.padEnd(28)}${String(rate).padStart(8)}${r.achieved.toFixed(0).padStart(10)}${r.p50.toFixed(1).padStart(10)}${r.p99.toFixed(1).padStart(10)}${r.max.toFixed(0).padStart(10)} ${others(r).padStart(8)}${rss.padStart(10)}  ${cpu.padEnd(36)}  ${writes.padEnd(28)}${load()}`,
    )
  const at = async (s: Server, b: Buffer, rate: number, seconds: number) =>
    openLoop({ url: `${s.url}/hooks/github`, rate, seconds, body: b, headers: headersFor(b) })
  const fixed: Record<string, OpenLoopResult[]> = {}
  // With a tree before, the two trees take each rate twice, in the order A B B A: the second of two runs read the
  // worse p99 in most runs, whichever tree took it (the machine's state after a run's writes outlasts its tail).
  const order = before ? [bare, verify, before, durable, durable, before] : [bare, ...servers]
  const nth = (key: string, r: OpenLoopResult) => ((fixed[key] ??= []).push(r), fixed[key].length)
  const warm = async (s: Server, b: Buffer, rate: number) => {
    const w = await at(s, b, rate, 1)
    if (s === durable) durable2xx += twoxx(w)
    await settle(s)
  }
  const label = (s: Server, n: number, suffix = '') => `${s.name.split(' (')[0]!}${suffix}${n > 1 ? ` (run ${n})` : ''}`
  for (const s of order) {
    await warm(s, body, RATE)
    const cpu = threadCpuMs(s.child.pid!)
    const written = writesSoFar(s.child.pid!)
    const r = await at(s, body, RATE, Math.max(SECONDS, 5))
    if (s === durable) durable2xx += twoxx(r)
    const n = nth(s.name, r)
    const cpuEach = cpuPer(cpu, threadCpuMs(s.child.pid!), r.sent)
    await settle(s)
    row(label(s, n), RATE, r, '', cpuEach, writesPer(written, s.child.pid!, r.sent))
  }
  for (const s of order) {
    await warm(s, big, BIG_RATE)
    const cpu = threadCpuMs(s.child.pid!)
    const written = writesSoFar(s.child.pid!)
    const r = await at(s, big, BIG_RATE, Math.max(SECONDS, 10))
    if (s === durable) durable2xx += twoxx(r)
    const n = nth(`${s.name} big`, r)
    const after = threadCpuMs(s.child.pid!)
    const rss = `${peakRssMb(s.child.pid!).toFixed(0)} MB`
    await settle(s)
    row(label(s, n, ', 1 MB'), BIG_RATE, r, rss, cpuPer(cpu, after, r.sent), writesPer(written, s.child.pid!, r.sent))
  }
  for (const d of durables) {
    const after = rssMb(d.child.pid!)
    const p99s = (rs: OpenLoopResult[]) => rs.map((r) => r.p99.toFixed(1)).join(' / ')
    const dBig = fixed[`${d.name} big`]!
    const taken = dBig.map((r) => `${twoxx(r)} of ${r.sent}`).join(', ')
    console.log(
      `   ${d.name.split(' (')[0]}: p99 ${p99s(fixed[d.name]!)} ms at ${RATE}/s (goal < 25 ms); 1 MB at ${BIG_RATE}/s p99 ${p99s(dBig)} ms (goal < 100 ms), ${taken} taken, RSS ${after.toFixed(0)} MB after it (goal: bounded)`,
    )
  }
  if (before) {
    before.child.kill('SIGTERM')
    await new Promise((r) => before.child.once('exit', r))
  }

  // 3. What was stored: every 2xx once, and how many bytes each delivery took.
  verify.child.send('stop')
  bare.child.send('stop')
  durable.child.kill('SIGTERM')
  await new Promise((r) => durable.child.once('exit', r))
  const db = new BetterSqlite3(join(dir, 'data', 'tamer.db'), { readonly: true })
  const rows = db.prepare('SELECT count(*) FROM deliveries').pluck().get() as number
  const sizes = db
    .prepare(
      // The body is in delivery_bodies (migration 23); rows from before keep it in deliveries.body.
      `SELECT avg(size) AS body, avg(length(headers) + length(body) + length(coalesce(normalized, ''))) AS stored
       FROM (SELECT headers, normalized, coalesce(b.size, length(d.body)) AS size, coalesce(b.body, d.body) AS body
             FROM deliveries d LEFT JOIN delivery_bodies b USING (seq)) WHERE size < 100000`,
    )
    .get() as { body: number; stored: number }
  const pending = db.prepare(`SELECT count(*) FROM deliveries WHERE status = 'pending'`).pluck().get() as number
  db.close()
  console.log(
    `\n3. stored: ${rows} rows for ${durable2xx} 2xx answers (${pending} still pending routing); a ${sizes.body.toFixed(0)} B body is stored in ${sizes.stored.toFixed(0)} B (${(sizes.stored / sizes.body).toFixed(2)}×; goal ≤ 1.2×)`,
  )
  rmSync(dir, { recursive: true, force: true })
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
