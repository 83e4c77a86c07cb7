// npm run bench:load — the whole pipeline under load (issue #16's benchmark): signed GitHub pushes
// (a distinct commit each) into `tamer serve` child processes, as users run them, through rules and
// provisioning to buildWithParameters at the Jenkins emulator. Three set-ups: SQLite, PostgreSQL with
// one replica, PostgreSQL with two replicas behind a round-robin of their ports. Two loads each: a
// sustained open-loop stream (bench/open-loop.ts: request i is due at i / rate whatever came before)
// and a burst of BENCH_BURST sent at once. Prints intake and trigger throughput, delivery → trigger
// latency (the 2xx answer → buildWithParameters arriving at the emulator, by DELIVERY_ID), the queues
// over time (tamer_queue_depth from /metrics), peak RSS per replica (VmHWM), loss and duplicates, and
// the load average, beside the targets.
// Knobs: BENCH_SECONDS (60), BENCH_RATE (200/s), BENCH_BURST (5000), BENCH_SETUPS (sqlite,pg1,pg2),
// BENCH_SERVE_ARGS (Node flags for the tamer serve children, e.g. --cpu-prof; test/support/burst.ts);
// PostgreSQL is TAMER_TEST_DATABASE_URL's server (a fresh database per set-up, test/support/postgres.ts).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_USER, realClock, startJenkinsEmulator } from '../src/demo/jenkins-emulator/index.js'
import { SECRETS } from '../test/support/app.js'
import { TamerProcess } from '../test/support/burst.js'
import { freePort } from '../test/support/free-port.js'
import { githubPush } from '../test/support/payloads.js'
import { freshDatabase } from '../test/support/postgres.js'
import { signedGitHub } from '../test/support/sign.js'
import { openLoop, percentile } from './open-loop.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const RATE = Number(process.env.BENCH_RATE ?? 200)
const BURST = Number(process.env.BENCH_BURST ?? 5000)
const SETUPS = (process.env.BENCH_SETUPS ?? 'sqlite,pg1,pg2').split(',')
const SETTLE_MS = 180_000

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Peak resident set of a process (VmHWM), MB. */
function peakRssMb(pid: number | undefined): number {
  if (!pid) return NaN
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : NaN
  } catch {
    return NaN
  }
}

interface Outcome {
  name: string
  sent: number
  acked: number
  statuses: Record<number, number>
  intakePerSec: number
  intakeP99: number
  triggeredPerSec: number
  p50: number
  p99: number
  lost: number
  doubled: number
  depths: string
  settledMs: number
}

async function main() {
  console.log(
    `bench:load — ${RATE}/s for ${SECONDS} s, then a burst of ${BURST}; set-ups ${SETUPS.join(', ')}; load ${load()}`,
  )
  const rows: { setup: string; outcomes: Outcome[]; rss: number[] }[] = []
  for (const setup of SETUPS) rows.push(await runSetup(setup))

  console.log('\nsummary (goals from issue #16: no loss; p99 < 100 ms on SQLite, < 250 ms on PostgreSQL at 200/s;')
  console.log('         2 replicas >= 1.6x one replica sustained; all on this machine: replicas, PostgreSQL, emulator)')
  console.log('setup    run           sent  2xx   intake/s  triggers/s  p50 ms  p99 ms  lost  doubled  peak RSS MB')
  for (const r of rows)
    for (const o of r.outcomes)
      console.log(
        `${r.setup.padEnd(8)} ${o.name.padEnd(13)} ${String(o.sent).padStart(5)} ${String(o.acked).padStart(5)} ` +
          `${o.intakePerSec.toFixed(0).padStart(8)} ${o.triggeredPerSec.toFixed(0).padStart(11)} ` +
          `${o.p50.toFixed(0).padStart(7)} ${o.p99.toFixed(0).padStart(7)} ${String(o.lost).padStart(5)} ` +
          `${String(o.doubled).padStart(8)}  ${r.rss.join(' + ')}`,
      )
  const sustained = (s: string) => rows.find((r) => r.setup === s)?.outcomes[0]?.triggeredPerSec
  const one = sustained('pg1')
  const two = sustained('pg2')
  if (one && two)
    console.log(
      `2 replicas / 1 replica, sustained triggers/s: ${(two / one).toFixed(2)}x (goal >= 1.6x; offered ${RATE}/s)`,
    )
  console.log(`load at the end: ${load()}`)
}

async function runSetup(setup: string): Promise<{ setup: string; outcomes: Outcome[]; rss: number[] }> {
  const replicas = setup === 'pg2' ? 2 : 1
  const drops: (() => unknown)[] = []
  const url =
    setup === 'sqlite'
      ? null
      : await freshDatabase({
          teardown: (fn) => drops.push(fn),
          skip: (msg) => console.log(`  ${setup} skipped: ${msg}`),
          fail: (msg) => console.log(msg),
        })
  if (setup !== 'sqlite' && !url) return { setup, outcomes: [], rss: [] }
  // Builds run a minute: Tamer follows each rarely (pollInitialMs), so the figures are intake → trigger.
  const jenkins = await startJenkinsEmulator({
    clock: realClock,
    quietPeriodSec: 0,
    defaultScenario: { durationMs: 60_000 },
  })
  const arrived = new Map<string, number[]>()
  jenkins.control.onRequest((r) => {
    if (r.method !== 'POST' || !r.path.includes('/buildWithParameters')) return
    const id = new URLSearchParams(r.body).get('DELIVERY_ID')
    if (id) arrived.set(id, [...(arrived.get(id) ?? []), performance.now()])
  })
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-load-'))
  const procs: TamerProcess[] = []
  try {
    for (let r = 0; r < replicas; r++) {
      const port = await freePort()
      const file = join(dir, `tamer-${r}.yaml`)
      const config = {
        server: {
          host: '127.0.0.1',
          port,
          logLevel: 'warn',
          drainDelayMs: 0,
          rateLimit: { hooksPerSource: 1_000_000, hooksPerTenant: 1_000_000 },
        },
        dataDir: join(dir, `data-${r}`),
        ...(url ? { store: { engine: 'postgres', url } } : {}),
        providers: { github: { secrets: [SECRETS.github] } },
        api: { tokens: [SECRETS.api] },
        jenkins: { url: jenkins.url, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken, pollInitialMs: 60_000 },
        rules: [
          { name: 'ds', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds/{repo}/{branch}' },
        ],
        // The pushes name a remote that does not exist: no background diffs.
        diffs: { precompute: false },
      }
      writeFileSync(file, JSON.stringify(config)) // JSON is YAML
      procs.push(new TamerProcess(file, `http://127.0.0.1:${port}`))
    }
    await Promise.all(procs.map((p) => p.start()))
    console.log(`\n${setup}: ${replicas} × tamer serve ready (${url ? 'PostgreSQL' : 'SQLite'}); load ${load()}`)
    let seq = 0
    const outcomes = [
      await drive(`${RATE}/s × ${SECONDS}s`, procs, arrived, RATE, SECONDS, () => seq++),
      // The burst: every request due at once (an open loop at a rate no machine meets).
      await drive(`burst ${BURST}`, procs, arrived, BURST * 1000, BURST / (BURST * 1000), () => seq++),
    ]
    const rss = procs.map((p) => peakRssMb(p.child?.pid))
    console.log(`  peak RSS per replica: ${rss.join(', ')} MB`)
    return { setup, outcomes, rss }
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    await jenkins.close()
    for (const d of drops) await d()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function drive(
  name: string,
  procs: TamerProcess[],
  arrived: Map<string, number[]>,
  rate: number,
  seconds: number,
  next: () => number,
): Promise<Outcome> {
  const total = Math.round(rate * seconds)
  const pushes = Array.from({ length: total }, () => {
    const n = next() + 1
    return signedGitHub('push', githubPush({ after: n.toString(16).padStart(40, '0') }), { delivery: randomUUID() })
  })
  const ackAt = new Map<string, number>()
  // Queue depth over time: one replica's /metrics each second (the store is shared).
  const depths: string[] = []
  let sampling = true
  const sampler = (async () => {
    const t0 = performance.now()
    while (sampling) {
      const text = await fetch(`${procs[0]!.base}/metrics`).then(
        (r) => r.text(),
        () => '',
      )
      const depth = (q: string, s: string) =>
        Number(new RegExp(`^tamer_queue_depth\\{queue="${q}",state="${s}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
      const waiting =
        depth('builds', 'pending') + depth('builds', 'waiting-for-jenkins') + depth('builds', 'triggering')
      depths.push(`${((performance.now() - t0) / 1000).toFixed(0)}s:${depth('deliveries', 'pending')}/${waiting}`)
      await sleep(1000)
    }
  })()
  const started = performance.now()
  const result = await openLoop({
    url: procs[0]!.base + '/hooks/github',
    urlOf: (i) => `${procs[i % procs.length]!.base}/hooks/github`,
    rate,
    seconds,
    body: Buffer.alloc(0),
    bodyOf: (i) => pushes[i]!.body,
    headers: (i) => pushes[i]!.headers,
    maxSockets: 512,
    onAnswer: (_i, status, body, at) => {
      if (status !== 200 && status !== 202) return
      try {
        const id = (JSON.parse(body) as { id?: string }).id
        if (id) ackAt.set(id, at)
      } catch {
        // not JSON: not acknowledged
      }
    },
  })
  const intakeDone = performance.now()
  // Settled: every acknowledged delivery has reached Jenkins (or the wait ran out).
  const deadline = Date.now() + SETTLE_MS
  while ([...ackAt.keys()].some((id) => !arrived.has(id)) && Date.now() < deadline) await sleep(200)
  sampling = false
  await sampler
  const lastArrival = Math.max(...[...ackAt.keys()].map((id) => arrived.get(id)?.[0] ?? 0))
  const lat = [...ackAt]
    .filter(([id]) => arrived.has(id))
    .map(([id, at]) => Math.max(0, arrived.get(id)![0]! - at))
    .sort((a, b) => a - b)
  const acked = new Set(ackAt.keys())
  const mine = [...arrived.keys()].filter((id) => acked.has(id))
  const o: Outcome = {
    name,
    sent: result.sent,
    acked: acked.size,
    statuses: result.statuses,
    intakePerSec: result.achieved,
    intakeP99: result.p99,
    triggeredPerSec: (mine.length * 1000) / (lastArrival - started),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    lost: [...acked].filter((id) => !arrived.has(id)).length,
    doubled: mine.filter((id) => arrived.get(id)!.length > 1).length,
    depths: depths.join(' '),
    settledMs: lastArrival - started,
  }
  console.log(`  ${name}: sent ${o.sent}, answers ${JSON.stringify(o.statuses)}; load ${load()}`)
  console.log(
    `    intake ${o.intakePerSec.toFixed(0)}/s (answer p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, ` +
      `all answered after ${((intakeDone - started) / 1000).toFixed(1)} s)`,
  )
  console.log(
    `    triggers ${o.triggeredPerSec.toFixed(0)}/s (the last ${(o.settledMs / 1000).toFixed(1)} s after the first send); ` +
      `2xx → buildWithParameters p50 ${o.p50.toFixed(0)} ms, p99 ${o.p99.toFixed(0)} ms, max ${(lat.at(-1) ?? NaN).toFixed(0)} ms`,
  )
  console.log(`    lost ${o.lost}, triggered twice ${o.doubled} (by DELIVERY_ID)`)
  console.log(`    queue depth (s: deliveries pending / builds not yet in Jenkins): ${o.depths}`)
  return o
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err)
    process.exit(1)
  })
