// npm run bench:load — the whole pipeline under load (issue #16's benchmark): signed GitHub pushes
// (a distinct commit each) into `tamer serve` child processes, as users run them, through rules and
// provisioning to buildWithParameters at the Jenkins emulator. Three set-ups: SQLite, PostgreSQL with
// one replica, PostgreSQL with two replicas behind a round-robin of their ports. Two loads each: a
// sustained open-loop stream (bench/open-loop.ts: request i is due at i / rate whatever came before)
// and a burst of BENCH_BURST sent at once. Prints intake and trigger throughput, delivery → trigger
// latency (the 2xx answer → buildWithParameters arriving at the emulator, by DELIVERY_ID), the queues
// over time (tamer_queue_depth from /metrics), peak RSS per replica (VmHWM), loss and duplicates, and
// the load average, beside the issue's targets.
// Knobs: BENCH_SECONDS (60), BENCH_RATE (200/s), BENCH_BURST (5000), BENCH_SETUPS (sqlite,pg1,pg2),
// BENCH_SERVE_ARGS (Node flags for the tamer serve children, e.g. --cpu-prof; test/support/burst.ts);
// BENCH_REPLICA_CPU (each replica in a cgroup of its own with that many CPUs, bench/cpu-limit.ts: scale-out
// as a deployment with resources.limits.cpu has it; with a BENCH_RATE above what one replica takes, the
// stream's sustained triggers/s is a replica's capacity); BENCH_STEP (a stepped stream that finds the
// capacity, see `stepped`), BENCH_STEP_SECONDS (20); PostgreSQL is TAMER_TEST_DATABASE_URL's server (a
// fresh database per set-up, test/support/postgres.ts).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fork, type ChildProcess } from 'node:child_process'
import pg from 'pg'
import { TamerProcess } from '../test/support/burst.js'
import { freePort } from '../test/support/free-port.js'
import { githubPush } from '../test/support/payloads.js'
import { freshDatabase } from '../test/support/postgres.js'
import { signedGitHub } from '../test/support/sign.js'
import { adoptBackends, cpuLimitUnavailable, createCpuGroup, type CpuGroup } from './cpu-limit.js'
import { isInterrupted, onInterrupt } from './interrupt.js'
import { claims, claimsBetween, cpuBetween, cpuSnapshot, logSummary, loopDelay, scrape } from './load-share.js'
import type { FromJenkins } from './jenkins-child.js'
import { openLoop, percentile, type OpenLoopResult } from './open-loop.js'
import { writeServeConfig } from './serve-config.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const RATE = Number(process.env.BENCH_RATE ?? 200)
const BURST = Number(process.env.BENCH_BURST ?? 5000)
const SETUPS = (process.env.BENCH_SETUPS ?? 'sqlite,pg1,pg2').split(',')
const SETTLE_MS = 180_000
const REPLICA_CPU = Number(process.env.BENCH_REPLICA_CPU ?? 0)
const STEP = Number(process.env.BENCH_STEP ?? 0)
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 20)
/** A step is sustained when this share of its offer triggered within it… */
const SUSTAIN = 0.95
/**
 * …and what was sent and not yet triggered at its end is at most this many seconds of its offer: a delivery
 * passes ~6 turns of a replica's event loop (intake, its commit, a claim, the route, the plan's commit, a claim,
 * the trigger), and at 0.1 CPU each may wait out a period held back (80-100 ms), so ~1 s in flight is a replica
 * keeping up; a queue that grows by 5 % of the offer over a 20 s step is past it.
 */
const BACKLOG_S = 2
/** The stream's first seconds are not counted in its sustained rate (start-up, the first job's provisioning). */
const WARM_S = Math.min(5, SECONDS / 5)

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

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
  /** Triggers per second between WARM_S and the stream's end: what the set-up sustains while it is offered more. */
  sustainedPerSec: number
  p50: number
  p99: number
  lost: number
  doubled: number
  depths: string
  settledMs: number
}

let limit = 0
async function main() {
  console.log(
    `bench:load — ${RATE}/s for ${SECONDS} s, then a burst of ${BURST}; set-ups ${SETUPS.join(', ')}; load ${load()}`,
  )
  if (REPLICA_CPU > 0) {
    const why = cpuLimitUnavailable()
    if (why) console.log(`BENCH_REPLICA_CPU=${REPLICA_CPU} NOT applied: ${why}; every replica runs unlimited`)
    else limit = REPLICA_CPU
  }
  console.log(
    limit
      ? `each tamer serve replica limited to ${limit} CPU (a cgroup of its own, CFS quota); this set-up's ` +
          `PostgreSQL backends, and the Jenkins emulator (a process of its own) with the generator (this process), ` +
          `unlimited, each in a group of the same weight (so other work on the machine does not starve them)`
      : 'replicas, PostgreSQL, the Jenkins emulator and the generator all unlimited, sharing the cores',
  )
  const rows: { setup: string; outcomes: Outcome[]; rss: number[] }[] = []
  for (const setup of SETUPS) rows.push(await runSetup(setup))

  console.log('\nsummary (goals from issue #16: no loss; p99 < 100 ms on SQLite, < 250 ms on PostgreSQL at 200/s;')
  console.log('         2 replicas >= 1.6x one replica sustained; all on this machine: replicas, PostgreSQL, emulator)')
  console.log(
    'setup    run           sent  2xx   intake/s  triggers/s  sustained  p50 ms  p99 ms  lost  doubled  peak RSS MB',
  )
  for (const r of rows)
    for (const o of r.outcomes)
      console.log(
        `${r.setup.padEnd(8)} ${o.name.padEnd(13)} ${String(o.sent).padStart(5)} ${String(o.acked).padStart(5)} ` +
          `${o.intakePerSec.toFixed(0).padStart(8)} ${o.triggeredPerSec.toFixed(0).padStart(11)} ` +
          `${o.sustainedPerSec.toFixed(0).padStart(10)} ` +
          `${o.p50.toFixed(0).padStart(7)} ${o.p99.toFixed(0).padStart(7)} ${String(o.lost).padStart(5)} ` +
          `${String(o.doubled).padStart(8)}  ${r.rss.join(' + ')}`,
      )
  const sustained = (s: string) => rows.find((r) => r.setup === s)?.outcomes[0]?.sustainedPerSec
  const one = sustained('pg1')
  const two = sustained('pg2')
  if (one && two)
    console.log(
      `2 replicas / 1 replica, ${STEP > 0 ? `capacity (the fastest step of ${STEP}/s more each that kept up)` : `sustained triggers/s (${WARM_S} s to ${SECONDS} s of the stream)`}: ` +
        `${(two / one).toFixed(2)}x (goal >= 1.6x; ${limit ? `${limit} CPU per replica` : 'replicas unlimited'})`,
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
          // A set-up asked for and not run fails the bench (exit code 1) instead of passing quietly.
          skip: (msg) => void ((process.exitCode = 1), console.log(`  ${setup} skipped: ${msg}`)),
          fail: (msg) => void ((process.exitCode = 1), console.log(msg)),
        })
  if (setup !== 'sqlite' && !url) return { setup, outcomes: [], rss: [] }
  // Tamer follows no build during the bench (pollInitialMs past its end), so the figures are intake → trigger, and
  // the emulator's builds are short (`--short`: its CPU grew with the builds and items it held). It runs in its own
  // process (bench/jenkins-child.ts, as bench:dispatch's), as Jenkins does: in this one its queue walk shared the
  // generator's event loop, which became the limit of two replicas' capacity.
  const emulator = fork(join(dirname(fileURLToPath(import.meta.url)), 'jenkins-child.ts'), ['--short'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // When each buildWithParameters reached Jenkins, by DELIVERY_ID: stamped there (Date.now(), one clock on one
  // machine), on this process's performance.now() scale.
  const arrived = new Map<string, number[]>()
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-load-'))
  const procs: TamerProcess[] = []
  const groups: CpuGroup[] = []
  // Limited replicas: what serves them (PostgreSQL, Jenkins, the senders) gets their weight too, no quota. On a
  // machine busy with other work it ran at the weight of one process, and two replicas waited on it more than one.
  // PostgreSQL's backends in a group of their own: the emulator's CPU grows with the builds it holds (0.3-0.6 CPU
  // at 80-120 triggers/s), and in one group they shared one weight.
  const outside = limit ? createCpuGroup(`${setup}-outside`, 0) : undefined
  const postgres = limit && url ? createCpuGroup(`${setup}-postgres`, 0) : undefined
  let db: pg.Client | null = null
  // Once, whichever comes first: the set-up's end, or a signal ending the bench (bench/interrupt.ts: the replicas,
  // the emulator and the cgroups outlived a SIGTERM).
  let stopping: Promise<void> | null = null
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(procs.map((p) => p.stop()))
      await db?.end().catch(() => {})
      for (const g of groups) g.remove()
      outside?.remove()
      postgres?.remove()
      await stopChild(emulator)
      for (const d of drops) await d()
      rmSync(dir, { recursive: true, force: true })
    })())
  const unhook = onInterrupt(stop)
  const jenkins = await new Promise<{ url: string }>((resolve) =>
    emulator.on('message', (m: FromJenkins) => {
      if (m.type === 'ready') resolve({ url: m.url })
      if (m.type === 'arrived')
        for (const [id, t] of m.ids) arrived.set(id, [...(arrived.get(id) ?? []), t - performance.timeOrigin])
    }),
  )
  outside?.add(process.pid)
  if (emulator.pid) outside?.add(emulator.pid)
  // The queues each second: from PostgreSQL by this process (a replica's /metrics would cost that replica CPU,
  // one replica of two in pg2 but the only one in pg1); from replica 0's /metrics on SQLite.
  db = url ? new pg.Client({ connectionString: url, application_name: 'bench-load' }) : null
  await db?.connect()
  try {
    for (let r = 0; r < replicas; r++) {
      const port = await freePort()
      const file = join(dir, `tamer-${r}.yaml`)
      writeServeConfig(file, {
        port,
        dataDir: join(dir, `data-${r}`),
        jenkinsUrl: jenkins.url,
        logLevel: 'warn',
        pollInitialMs: 3_600_000,
        ...(url ? { pgUrl: url } : {}),
      })
      const group = limit ? createCpuGroup(`${setup}-${r}`, limit) : undefined
      if (group) groups.push(group)
      procs.push(new TamerProcess(file, `http://127.0.0.1:${port}`, group && ((pid) => group.add(pid))))
    }
    await Promise.all(procs.map((p) => p.start()))
    console.log(`\n${setup}: ${replicas} × tamer serve ready (${url ? 'PostgreSQL' : 'SQLite'}); load ${load()}`)
    let seq = 0
    const database = url ? new URL(url).pathname.slice(1) : null
    const queues = db ? () => pgQueues(db) : undefined
    const measure = { database, groups, emulator, postgres }
    const outcomes = [
      STEP > 0
        ? await drive(`steps of ${STEP}/s`, procs, arrived, stepped, () => seq++, queues, measure)
        : await drive(`${RATE}/s × ${SECONDS}s`, procs, arrived, fixed(RATE, SECONDS), () => seq++, queues, measure),
      // The burst: every request due at once (an open loop at a rate no machine meets).
      await drive(`burst ${BURST}`, procs, arrived, fixed(BURST * 1000, BURST / (BURST * 1000)), () => seq++, queues),
    ]
    const rss = procs.map((p) => peakRssMb(p.child?.pid))
    console.log(`  peak RSS per replica: ${rss.join(', ')} MB`)
    return { setup, outcomes, rss }
  } finally {
    unhook()
    await stop()
  }
}

/** Deliveries pending / builds not yet in Jenkins, read from the set-up's database. */
async function pgQueues(db: pg.Client): Promise<[number, number]> {
  const { rows } = await db.query<{ d: string; b: string }>(
    `SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending') AS d,
            (SELECT count(*) FROM builds WHERE state IN ('pending', 'waiting-for-jenkins', 'triggering')) AS b`,
  )
  return [Number(rows[0]!.d), Number(rows[0]!.b)]
}

interface Segment {
  rate: number
  seconds: number
}

/** A segment of the stream measured: its offer, its triggers/s, what was left at its end, whether it kept up. */
interface Done {
  rate: number
  triggers: number
  /** Sent by the segment's end and not triggered by then (this segment's and earlier ones'). */
  backlog: number
  kept: boolean
}

/** The stream's next segment after `done`, or null when the stream is over. */
type Plan = (done: Done[]) => Segment | null

/** One segment at `rate` for `seconds` (the fixed stream, the burst). */
const fixed =
  (rate: number, seconds: number): Plan =>
  (done) =>
    done.length === 0 ? { rate, seconds } : null

/**
 * Steps of STEP/s more each (STEP, 2 × STEP, …) for STEP_SECONDS each, until two steps in a row did not keep
 * up (`keptUp`): the set-up is saturated. Stopping there keeps the backlog small, so the capacity is not that
 * of a store holding an ever longer queue. One step short (a pause of a second at a small CPU quota) does not
 * end the climb; the one after it must keep up on its own, with what the pause left behind cleared.
 */
const stepped: Plan = (done) => {
  if (done.length >= 2 && !done.at(-1)!.kept && !done.at(-2)!.kept) return null
  if (done.length >= 40) return null
  return { rate: STEP * (done.length + 1), seconds: STEP_SECONDS }
}

/**
 * A step kept up when at least SUSTAIN of its offer triggered within it and at most BACKLOG_S seconds of its
 * offer was sent and not triggered at its end: a step that counts a backlog it caught up still ends with it
 * small, and one that keeps up only by letting a queue grow does not count. The same rule for any set-up.
 */
const keptUp = (rate: number, triggers: number, backlog: number) =>
  triggers >= SUSTAIN * rate && backlog <= BACKLOG_S * rate

/**
 * What a set-up sustains: stepped, its capacity, the triggers/s of the fastest step that kept up (0 when none
 * did); fixed, the stream's rate.
 */
function sustained(done: Done[], steps: boolean): number {
  if (done.length === 0) return NaN
  if (!steps) return done[0]!.triggers
  return Math.max(0, ...done.filter((d) => d.kept).map((d) => d.triggers))
}

async function drive(
  name: string,
  procs: TamerProcess[],
  arrived: Map<string, number[]>,
  plan: Plan,
  next: () => number,
  /** The queues (deliveries pending, builds not yet in Jenkins), when not from replica 0's /metrics. */
  queues?: () => Promise<[number, number]>,
  measure?: { database: string | null; groups: CpuGroup[]; emulator: ChildProcess; postgres?: CpuGroup },
): Promise<Outcome> {
  const ackAt = new Map<string, number>()
  const logsFrom = procs.map((p) => p.logs.length)
  // Queue depth over time, each second: from the store (the store is shared).
  const depths: string[] = []
  let sampling = true
  const fromMetrics = async (): Promise<[number, number]> => {
    const text = await scrape(procs[0]!)
    const depth = (q: string, s: string) =>
      Number(new RegExp(`^tamer_queue_depth\\{queue="${q}",state="${s}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
    return [
      depth('deliveries', 'pending'),
      depth('builds', 'pending') + depth('builds', 'waiting-for-jenkins') + depth('builds', 'triggering'),
    ]
  }
  const sampler = (async () => {
    const t0 = performance.now()
    while (sampling) {
      const [d, b] = await (queues ?? fromMetrics)().catch((): [number, number] => [NaN, NaN])
      depths.push(`${((performance.now() - t0) / 1000).toFixed(0)}s:${d}/${b}`)
      // The set-up's PostgreSQL backends keep the weight of what serves the replicas (a pool opens more as it needs).
      if (measure?.postgres && measure.database) adoptBackends(measure.postgres, measure.database)
      await sleep(1000)
    }
  })()
  const claimsBefore = await Promise.all(procs.map(claims))
  const snap = () => (measure ? cpuSnapshot(procs, measure.database, measure.groups, measure.emulator.pid) : null)
  /** First arrivals at the emulator between two moments (performance.now()), of any delivery. */
  const triggersBetween = (from: number, to: number) => {
    let n = 0
    for (const [, at] of arrived) if (at[0]! >= from && at[0]! < to) n++
    return n
  }
  const started = performance.now()
  const done: (Done & { cpu: string })[] = []
  /** First arrivals at the emulator up to a moment, of any delivery. */
  const triggeredBy = (to: number) => {
    let n = 0
    for (const [, at] of arrived) if (at[0]! <= to) n++
    return n
  }
  const loops: Promise<OpenLoopResult>[] = []
  let offset = 0
  let sent = 0
  for (let seg = plan(done); seg; seg = plan(done)) {
    const total = Math.round(seg.rate * seg.seconds)
    const pushes = Array.from({ length: total }, () => {
      const n = next() + 1
      return signedGitHub('push', githubPush({ after: n.toString(16).padStart(40, '0') }), { delivery: randomUUID() })
    })
    const first = offset
    offset += total
    sent += total
    const from = performance.now()
    // A step's open loop is not awaited: the next step starts on time whatever this one's answers do.
    loops.push(
      openLoop({
        url: procs[0]!.base + '/hooks/github',
        urlOf: (i) => `${procs[(first + i) % procs.length]!.base}/hooks/github`,
        rate: seg.rate,
        seconds: seg.seconds,
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
      }),
    )
    if (!measure) break
    // The first WARM_S of a fixed stream are not counted (start-up, the job's provisioning); a step counts whole.
    const warm = plan === stepped ? 0 : WARM_S * 1000
    await sleep(from + warm - performance.now())
    const a = snap()!
    // Read now, each replica's event-loop delay figures start again (prom-client): at the end they are this step's.
    await Promise.all(procs.map(scrape))
    const to = from + seg.seconds * 1000
    // The emulator tells of arrivals in batches every 5 ms: those up to `to` are in by then.
    await sleep(to + 50 - performance.now())
    const b = snap()!
    const texts = await Promise.all(procs.map(scrape))
    const triggers = (triggersBetween(from + warm, to) * 1000) / (seg.seconds * 1000 - warm)
    const backlog = sent - triggeredBy(to)
    const kept = keptUp(seg.rate, triggers, backlog)
    done.push({ rate: seg.rate, triggers, backlog, kept, cpu: cpuBetween(a, b) })
    const delays = texts.map((t) => {
      const l = loopDelay(t)
      return `${l.p99.toFixed(0)}/${l.max.toFixed(0)}`
    })
    if (plan === stepped)
      console.log(
        `    step ${seg.rate}/s: ${triggers.toFixed(0)} triggers/s (${((100 * triggers) / seg.rate).toFixed(0)} %), ` +
          `${backlog} not triggered at its end: ${kept ? 'kept up' : 'fell short'}; event loop delay p99/max ` +
          `${delays.join(', ')} ms; CPUs ${done.at(-1)!.cpu}; load ${load()}`,
      )
  }
  const results = await Promise.all(loops)
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
  const statuses: Record<number, number> = {}
  for (const r of results) for (const [k, v] of Object.entries(r.statuses)) statuses[+k] = (statuses[+k] ?? 0) + v
  const o: Outcome = {
    name,
    sent,
    acked: acked.size,
    statuses,
    intakePerSec: (sent * 1000) / (intakeDone - started),
    intakeP99: Math.max(...results.map((r) => r.p99)),
    triggeredPerSec: (mine.length * 1000) / (lastArrival - started),
    sustainedPerSec: sustained(done, plan === stepped),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    lost: [...acked].filter((id) => !arrived.has(id)).length,
    doubled: mine.filter((id) => arrived.get(id)!.length > 1).length,
    depths: depths.join(' '),
    settledMs: lastArrival - started,
  }
  console.log(`  ${name}: sent ${o.sent}, answers ${JSON.stringify(o.statuses)}; load ${load()}`)
  const answers =
    results.length === 1 ? ` (answer p50 ${results[0]!.p50.toFixed(0)} ms, p99 ${results[0]!.p99.toFixed(0)} ms,` : ' ('
  console.log(
    `    intake ${o.intakePerSec.toFixed(0)}/s${answers} all answered after ${((intakeDone - started) / 1000).toFixed(1)} s)`,
  )
  console.log(
    `    triggers ${o.triggeredPerSec.toFixed(0)}/s (the last ${(o.settledMs / 1000).toFixed(1)} s after the first send); ` +
      `2xx → buildWithParameters p50 ${o.p50.toFixed(0)} ms, p99 ${o.p99.toFixed(0)} ms, max ${(lat.at(-1) ?? NaN).toFixed(0)} ms`,
  )
  if (done.length > 0) {
    const best = done.reduce((x, d) => (d.triggers > x.triggers ? d : x))
    const kept = done.find((d) => d.kept && d.triggers === o.sustainedPerSec)
    const short = done.filter((d) => !d.kept && (!kept || d.rate < kept.rate)).map((d) => `${d.rate}/s`)
    console.log(
      plan === stepped
        ? `    capacity ${o.sustainedPerSec.toFixed(0)} triggers/s (the fastest step that kept up: ${kept?.rate ?? '–'}/s ` +
            `offered, >= ${SUSTAIN * 100} % triggered within it, <= ${BACKLOG_S} s of it left at its end; ` +
            `short below it: ${short.join(', ') || 'none'}; the peak, ${best.triggers.toFixed(0)} at ${best.rate}/s)`
        : `    sustained ${best.triggers.toFixed(0)} triggers/s from ${WARM_S} s to the stream's end; CPUs ${best.cpu}`,
    )
  }
  if (procs.length > 1 || measure)
    console.log(
      `    claims per replica (with work / empty): ${claimsBetween(claimsBefore, await Promise.all(procs.map(claims)))}`,
    )
  procs.forEach((p, r) => {
    const logged = logSummary(p, logsFrom[r]!)
    if (logged) console.log(`    replica ${r} logged: ${logged}`)
  })
  console.log(`    lost ${o.lost}, triggered twice ${o.doubled} (by DELIVERY_ID)`)
  console.log(`    queue depth (s: deliveries pending / builds not yet in Jenkins): ${o.depths}`)
  return o
}

main()
  .then(() => process.exit())
  .catch((err) => {
    // Interrupted: the signal's handler exits once the children are stopped (an error here is their stopping).
    if (isInterrupted()) return
    console.error(err)
    process.exit(1)
  })

/** Ends the emulator's process and waits for it to be gone. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill()
  })
}
