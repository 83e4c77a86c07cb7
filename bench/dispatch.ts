// npm run bench:dispatch — 1,000 signed pushes through intake → rules → provision →
// buildWithParameters against the Jenkins emulator (real clock, quiet period 0), sent over HTTP by 50 senders on
// keep-alive sockets to `tamer serve` as a child (bench/dispatch-served.ts), as users run it; BENCH_INJECT=1: to the
// service in this process with `inject` instead (BENCH_TRACE and BENCH_CPU_PROF imply it).
// Prints the time from delivery accepted to buildWithParameters sent (p50/p99), where that time
// went (per-stage timestamps of each delivery, taken by wrapping the store: committed, routed,
// planned, intent committed, request at Jenkins, answer recorded) and the Jenkins HTTP requests per
// triggered build. BENCH_BEFORE=<a checkout of an older commit>: that tree's service too, the two
// taking turns in one run (BENCH_ROUNDS each, in fresh processes), with the ratios. BENCH_TRACE=1: the order in which
// the event loop ran the commit answers' callbacks, the triggers' writes and the senders' next pushes, and the SQLite
// writer's requests (size, round trip, the writer's busy time), and the CPU of each thread. BENCH_EMULATOR=own: each
// tree's run against its own tree's emulator (by default every tree meets this tree's).
// Then the burst with kills (issue #17): `tamer
// serve` as a child process, SIGKILLed three times during a burst of signed pushes and
// restarted, sends without an answer redelivered; prints how often each acknowledged
// delivery was built and what resolving the uncertain triggers cost in Jenkins requests.
// BURST_ENGINES=sqlite,postgres runs the burst on each engine (PostgreSQL: a fresh database on
// TAMER_TEST_DATABASE_URL's server, test/support/postgres.ts), every build UNSTABLE with its notice
// counted at a webhook receiver (issue #16's crash proof at full size: BURST=500).
import { execFileSync, fork } from 'node:child_process'
import { subscribe } from 'node:diagnostics_channel'
import { Socket } from 'node:net'
import { Worker } from 'node:worker_threads'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ServiceStore } from '../src/store/service-store.js'
import type { FromJenkins, JenkinsStats } from './jenkins-child.js'
import { githubPush } from '../test/support/payloads.js'
import { signedGitHub } from '../test/support/sign.js'
import { SECRETS } from '../test/support/app.js'
import { runBurst } from '../test/support/burst.js'
import { freshDatabase } from '../test/support/postgres.js'
import { servedBurst, type ServedBurst } from './dispatch-served.js'

const PUSHES = Number(process.env.PUSHES ?? 1000)
const CONCURRENCY = 50
const BURST = Number(process.env.BURST ?? 300)
const BURST_ENGINES = (process.env.BURST_ENGINES ?? 'sqlite').split(',')

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
/** BENCH_WARMUP=n (served only): n pushes to the job before the measured burst (a provisioned job, a warm process). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0)
const root = fileURLToPath(new URL('..', import.meta.url))

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')

/**
 * BENCH_TRACE=1: the order in which this process's event loop ran, mid-burst, as runs of one letter: C a delivery's
 * commit answered (recordDelivery resolved), P a plan answered, Q a trigger's request made, W its bytes written to
 * the socket, A a 202 seen by a sender, S a sender's next push started, B / O the writer's answer to a batch of
 * deliveries (with the writes queued meanwhile) / to build writes alone, R a delivery queued for the writer, | the end
 * of a turn.
 */
const TRACE = process.env.BENCH_TRACE === '1'
/**
 * `tamer serve` as a child over HTTP (bench/dispatch-served.ts), unless BENCH_INJECT=1: the service in this process,
 * driven with `inject`, which BENCH_TRACE and BENCH_CPU_PROF need (they patch and profile the service's own process).
 */
const SERVED = process.env.BENCH_INJECT !== '1' && !TRACE && !process.env.BENCH_CPU_PROF
const trace: string[] = []
const traceAt: number[] = []
/** A check-phase callback after marks closes their turn (no spinning: an idle loop would take a core). */
let turnPending = false
const mark = TRACE
  ? (c: string) => {
      trace.push(c)
      traceAt.push(performance.now())
      if (turnPending) return
      turnPending = true
      setImmediate(() => {
        turnPending = false
        trace.push('|')
        traceAt.push(performance.now())
      })
    }
  : () => {}
function traceTurns(jenkinsPort: number) {
  if (!TRACE) return
  subscribe('http.client.request.created', () => mark('Q'))
  const write = Socket.prototype.write
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    if (this.remotePort === jenkinsPort) mark('W')
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  } as typeof write
}
/**
 * The SQLite writer's requests (BENCH_TRACE): each one's kind and size, its round trip (posted → answer read on this
 * thread), whether another was in flight when it was posted, and the writer thread's busy time between two answers.
 */
interface WriterTrip {
  /** when it was posted (performance.now()) */
  at: number
  type: string
  items: number
  ops: number
  behind: boolean
  ms: number
  busyMs: number
}
const trips: WriterTrip[] = []
function traceWriter() {
  if (!TRACE) return
  const posted = new WeakMap<Worker, { at: number; type: string; items: number; ops: number; behind: boolean }[]>()
  const busySeen = new WeakMap<Worker, number>()
  const post = Worker.prototype.postMessage
  Worker.prototype.postMessage = function (this: Worker, m: unknown, ...rest: unknown[]) {
    const r = m as { type?: string; items?: unknown[]; ops?: unknown[] }
    if (r.type === 'batch' || r.type === 'ops') {
      const q = posted.get(this) ?? []
      posted.set(this, q)
      q.push({
        at: performance.now(),
        type: r.type,
        items: r.items?.length ?? 0,
        ops: r.ops?.length ?? 0,
        behind: q.length > 0,
      })
    }
    return (post as (...a: unknown[]) => void).call(this, m, ...rest)
  } as typeof post
  const emit = Worker.prototype.emit
  Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
    if (event === 'message') {
      const sent = posted.get(this)?.shift()
      const busy = this.performance.eventLoopUtilization().active
      if (sent) {
        trips.push({ ...sent, ms: performance.now() - sent.at, busyMs: busy - (busySeen.get(this) ?? busy) })
        mark(sent.type === 'batch' ? 'B' : 'O')
      }
      busySeen.set(this, busy)
    }
    return emit.call(this, event, ...args)
  } as typeof emit
}

/** CPU time (ms) of each of this process's threads so far, by name and id (Linux /proc; 10 ms ticks). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>()
  if (!TRACE) return out
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      out.set(`${name} ${tid}`, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100)
    } catch {
      // a thread that ended meanwhile
    }
  }
  return out
}

function printTrace() {
  if (!TRACE) return
  const runs: string[] = []
  for (let i = 0; i < trace.length;) {
    let j = i
    while (j < trace.length && trace[j] === trace[i]) j++
    runs.push(j - i > 1 ? `${trace[i]}${j - i}` : trace[i]!)
    i = j
  }
  const text = runs.join(' ').replace(/(\| )+/g, '| ')
  const mid = Math.floor(text.length / 2)
  console.log(`  event-loop order mid-burst:\n    ${text.slice(mid, mid + 1500)}`)
  // Each commit answer's turn: how long its callbacks ran (to the next macrotask), and the time to the next answer.
  const turns: { at: number; ms: number; c: number; s: number; w: number }[] = []
  for (let i = 0; i < trace.length; i++) {
    if (trace[i] !== 'C' || trace[i - 1] === 'C') continue
    let j = i
    const t = { at: traceAt[i]!, ms: 0, c: 0, s: 0, w: 0 }
    for (; j < trace.length && trace[j] !== '|'; j++) {
      if (trace[j] === 'C') t.c++
      if (trace[j] === 'S') t.s++
      if (trace[j] === 'W') t.w++
    }
    t.ms = (traceAt[j - 1] ?? t.at) - t.at
    turns.push(t)
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  const gaps = turns.slice(1).map((t, k) => t.at - turns[k]!.at - turns[k]!.ms)
  // From the end of a commit answer's turn to the post of the batch that carries its senders' next pushes (a batch
  // waits while two requests are in flight).
  const batches = trips.filter((x) => x.type === 'batch')
  const toPost = turns
    .map((t) => (batches.find((x) => x.at >= t.at)?.at ?? NaN) - (t.at + t.ms))
    .filter((ms) => !Number.isNaN(ms))
  // From a commit answer to the last of its senders' next deliveries queued for the writer (the batch formed).
  const formed = turns.map((t) => {
    let n = 0
    let last = NaN
    for (let i = traceAt.findIndex((x) => x >= t.at); i >= 0 && i < trace.length && n < t.s; i++)
      if (trace[i] === 'R') [n, last] = [n + 1, traceAt[i]!]
    return last - t.at
  })
  // The writer's requests in flight as each turn ended (its two slots: a batch posted later waited for one).
  const inFlightAtEnd = [0, 0, 0]
  for (const t of turns) {
    const end = t.at + t.ms
    inFlightAtEnd[Math.min(2, trips.filter((x) => x.at <= end && x.at + x.ms > end).length)]!++
  }
  for (const type of ['batch', 'ops']) {
    const ts = trips.filter((x) => x.type === type)
    if (ts.length === 0) continue
    const p = (f: (x: WriterTrip) => number) => {
      const xs = ts.map(f).sort((a, b) => a - b)
      return `${pct(xs, 50).toFixed(1)}/${pct(xs, 99).toFixed(1)}`
    }
    console.log(
      `  writer '${type}': ${ts.length} requests, ${ts.filter((x) => x.behind).length} posted behind another; deliveries p50/p99 ${p((x) => x.items)}, writes ${p((x) => x.ops)}; round trip ${p((x) => x.ms)} ms, the writer busy ${p((x) => x.busyMs)} ms`,
    )
  }
  console.log(
    `  commit answers: ${turns.length}, median ${med(turns.map((t) => t.c))} deliveries, ${med(turns.map((t) => t.w)) / 2} requests written and ${med(turns.map((t) => t.s))} next pushes in their turn, which ran ${med(turns.map((t) => t.ms)).toFixed(1)} ms; its next pushes all queued for the writer ${med(formed).toFixed(1)} ms after the answer, their batch posted ${med(toPost).toFixed(1)} ms after the turn; ${med(gaps).toFixed(1)} ms from the turn to the next answer (medians); the writer's requests in flight at the turns' ends: 0 in ${inFlightAtEnd[0]}, 1 in ${inFlightAtEnd[1]}, 2 in ${inFlightAtEnd[2]}`,
  )
}

/**
 * The stages of one delivery, in order; each is a Date.now() (acceptedAt is the delivery's receivedAt). committed,
 * routed, planned, intent and answer seen are stamped by wrapping the store, so only in this process (BENCH_INJECT);
 * 202 seen by the sender, the build's row (createdAt) and its last write (updatedAt: the answer recorded) in either.
 */
const STAGES = [
  'accepted',
  'committed',
  '202 seen',
  'routed',
  'planned',
  'build row',
  'intent',
  'intent committed',
  'at Jenkins',
  'answer seen',
  'last write',
] as const
type Stage = (typeof STAGES)[number]

/** One run of one tree, with what the emulator counted. */
interface RunResult extends JenkinsStats {
  tree: string
  /** `tamer serve` over HTTP, or the service in the bench's process driven with `inject` */
  mode: 'served' | 'inject'
  load: string
  intakeMs: number
  allMs: number
  p50: number
  p99: number
  max: number
  stampedP50: number
  stampedP99: number
  /** sent (by the bench) → at Jenkins */
  sentP50: number
  sentP99: number
  /** stage → [p50, p99] of the time since the stage before it, and of the time since accepted */
  stages: Record<string, { step: [number, number]; total: [number, number] }>
  /** deliveries accepted and triggers arriving at Jenkins per second, first to last of each */
  acceptRate: number
  triggerRate: number
  /** the most deliveries accepted and not yet at Jenkins at one time, and when (ms after the first accepted) */
  backlog: number
  backlogAtMs: number
  /** the worst accepted → at Jenkins of each tenth of the pushes, in the order they were accepted */
  worstByTenth: number[]
  /** CPU (user + system, ms) from the first push to the last answer recorded: this process (intake, pipeline, the
   * store's threads, the bench's own sends), and the emulator's */
  serviceCpuMs: number
  jenkinsCpuMs: number
  builds: number
  retried: Record<string, number>
}

/**
 * The store as the service gets it, with each delivery's stage stamped when it passes: recordDelivery answered
 * (committed), planDelivery asked and answered (routed, planned), the build's intent write asked and answered.
 */
function traced(
  store: ServiceStore,
  at: Map<string, Partial<Record<Stage, number>>>,
  buildOf: Map<string, string>,
  answered: Set<string>,
) {
  const stamp = (id: string, stage: Stage) => {
    const s = at.get(id) ?? {}
    s[stage] ??= Date.now()
    at.set(id, s)
  }
  return {
    ...store,
    async recordDelivery(d) {
      mark('R')
      const r = await store.recordDelivery(d)
      mark('C')
      stamp(r.id, 'committed')
      return r
    },
    async planDelivery(plan) {
      stamp(plan.deliveryId, 'routed')
      const builds = await store.planDelivery(plan)
      mark('P')
      stamp(plan.deliveryId, 'planned')
      for (const b of builds) buildOf.set(b.id, plan.deliveryId)
      return builds
    },
    async updateBuild(id, patch) {
      const deliveryId = buildOf.get(id)
      const intent = patch.state === 'triggering' && deliveryId
      if (intent) stamp(deliveryId, 'intent')
      if (patch.state === 'queued' && deliveryId) stamp(deliveryId, 'answer seen')
      await store.updateBuild(id, patch)
      if (intent) stamp(deliveryId, 'intent committed')
      if (patch.state === 'queued') answered.add(id)
    },
  } satisfies ServiceStore
}

/** The burst in this process, driven with `inject` (BENCH_INJECT=1; BENCH_TRACE and BENCH_CPU_PROF need it). */
async function injectBurst(
  tree: string,
  jenkinsUrl: string,
  at: Map<string, Partial<Record<Stage, number>>>,
  arrived: Map<string, number>,
): Promise<ServedBurst> {
  const from = (path: string) => import(pathToFileURL(join(tree, path)).href)
  const { composeService } = (await from('src/compose/index.ts')) as typeof import('../src/compose/index.js')
  const { validateConfig } = (await from('src/config/load.ts')) as typeof import('../src/config/load.js')
  const { nativeEngine } = (await from('src/engines/engine.ts')) as typeof import('../src/engines/engine.js')
  const { openSqliteStore } = (await from('src/store/sqlite/index.ts')) as typeof import('../src/store/sqlite/index.js')
  const { DEFAULT_USER } = await import('../src/demo/jenkins-emulator/index.js')
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-dispatch-'))
  const config = validateConfig({
    server: { logLevel: (process.env.BENCH_LOG_LEVEL ?? 'silent') as 'silent' },
    providers: { github: { secrets: [SECRETS.github] } },
    jenkins: { url: jenkinsUrl, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken, pollInitialMs: 60_000 },
    rules: [
      { name: 'ds', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds/{repo}/{branch}' },
    ],
    // Dispatch alone: the pushes name a remote that does not exist, so no background diffs.
    diffs: { precompute: false },
  })
  const buildOf = new Map<string, string>()
  const answered = new Set<string>()
  traceWriter()
  const store = traced(openSqliteStore({ file: join(dir, 'tamer.db') }), at, buildOf, answered)
  // As serve composes it (no notices to send here; the in-process engine: nothing is diffed).
  const { app } = await composeService(config, { store, diffEngine: nativeEngine, hold: ['notifier'] })
  await app.ready()

  // BENCH_CPU_PROF=<dir>: a CPU profile of this process's main thread over the burst alone (not the start-up).
  const profiler = process.env.BENCH_CPU_PROF ? new Session() : null
  if (profiler) {
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  }
  traceTurns(Number(new URL(jenkinsUrl).port))
  const threads0 = threadCpu()
  const cpu0 = process.cpuUsage()
  const started = Date.now()
  let next = 0
  // When each push was sent, by its commit: "accepted" is stamped after the signature is verified, so a service that
  // left pushes waiting before that (or this closed loop's senders waiting for a 202) would hide it from the figure.
  const sentAt = new Map<string, number>()
  const answeredAt = new Map<string, number>()
  const worker = async () => {
    while (next < PUSHES) {
      const i = next++
      // From 1: an `after` of all zeros is a branch deletion to the branch registry, which then rewrote the
      // job's BRANCH choices twice in the burst (without the branch, then with it), holding its triggers meanwhile.
      const sha = (i + 1).toString(16).padStart(40, '0')
      mark('S')
      const d = signedGitHub('push', githubPush({ after: sha }))
      sentAt.set(sha, Date.now())
      const res = await app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
      mark('A')
      answeredAt.set(sha, Date.now())
      if (res.statusCode !== 202) throw new Error(`push ${i}: ${res.statusCode}`)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const accepted = Date.now()
  // Every trigger arrived at Jenkins (a cheap count: reading 1,000 builds on the service's thread would slow it),
  // then every answer recorded.
  while (arrived.size < PUSHES && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 50))
  while (answered.size < PUSHES && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 5))
  const cpu = process.cpuUsage(cpu0)
  printTrace()
  if (TRACE) {
    const used = [...threadCpu()]
      .map(([k, ms]) => [k, ms - (threads0.get(k) ?? 0)] as const)
      .filter(([, ms]) => ms >= 20)
      .map(([k, ms]) => `${k.replace(/ \d+$/, '')} ${(ms / PUSHES).toFixed(2)}`)
    console.log(`  CPU per push by thread over the burst (ms; 10 ms ticks): ${used.join(', ')}`)
  }
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop')
    profiler.disconnect()
    mkdirSync(process.env.BENCH_CPU_PROF!, { recursive: true })
    const file = join(process.env.BENCH_CPU_PROF!, `dispatch-${Date.now()}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    console.error(`CPU profile of the burst: ${file}`)
  }
  for (;;) {
    const triggered = (await store.listBuilds({ limit: PUSHES + 1 })).filter(
      (b) => b.state === 'queued' || b.state === 'running',
    )
    if (triggered.length >= PUSHES) break
    if (Date.now() - started > 120_000) throw new Error(`only ${triggered.length} of ${PUSHES} triggered`)
    // The emulator stamps each arrival, so this poll's period does not enter the figures.
    await new Promise((r) => setTimeout(r, 250))
  }
  const done = Date.now()
  const builds = await store.listBuilds({ limit: PUSHES + 1 })
  await app.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return { builds, sentAt, answeredAt, started, accepted, done, serviceCpuMs: (cpu.user + cpu.system) / 1000 }
}

async function runOnce(tree: string): Promise<RunResult> {
  // The same Jenkins emulator for every tree, in its own process (bench/jenkins-child.ts), as Jenkins is;
  // BENCH_EMULATOR=own: each tree's own (to compare emulators in turn: its cost counts against the service).
  const emulatorTree = process.env.BENCH_EMULATOR === 'own' ? tree : root
  const child = fork(join(emulatorTree, 'bench/jenkins-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // When each buildWithParameters reached Jenkins, by DELIVERY_ID (stamped there: one clock on one machine).
  const arrived = new Map<string, number>()
  let statsOf: ((s: JenkinsStats) => void) | null = null
  let cpuOf: ((ms: number) => void) | null = null
  const jenkins = await new Promise<{ url: string }>((resolve) =>
    child.on('message', (m: FromJenkins) => {
      if (m.type === 'ready') resolve({ url: m.url })
      if (m.type === 'arrived') for (const [id, t] of m.ids) if (!arrived.has(id)) arrived.set(id, t)
      if (m.type === 'stats') statsOf?.(m.stats)
      if (m.type === 'cpu') cpuOf?.(m.ms)
    }),
  )
  const jenkinsCpu = () =>
    new Promise<number>((resolve) => {
      cpuOf = resolve
      child.send('cpu')
    })
  const at = new Map<string, Partial<Record<Stage, number>>>()
  const jenkinsCpu0 = await jenkinsCpu()
  const { builds, sentAt, answeredAt, started, accepted, done, serviceCpuMs } = SERVED
    ? await servedBurst({
        tree,
        jenkinsUrl: jenkins.url,
        pushes: PUSHES,
        concurrency: CONCURRENCY,
        arrivedCount: () => arrived.size,
        warmup: WARMUP,
      })
    : await injectBurst(tree, jenkins.url, at, arrived)
  const jenkinsCpuMs = (await jenkinsCpu()) - jenkinsCpu0
  const triggered = builds.filter((b) => b.state === 'queued' || b.state === 'running').length
  if (triggered < PUSHES) throw new Error(`only ${triggered} of ${PUSHES} triggered`)
  const retried: Record<string, number> = {}
  for (const b of builds)
    if (b.attempts > 1)
      retried[String(b.lastError ?? b.attempts)] = (retried[String(b.lastError ?? b.attempts)] ?? 0) + 1
  const lat = builds.map((b) => (arrived.get(b.parameters.DELIVERY_ID!) ?? NaN) - b.acceptedAt).sort((a, b) => a - b)
  const stamped = builds.map((b) => (b.triggeredAt ?? NaN) - b.acceptedAt).sort((a, b) => a - b)
  const fromSent = builds
    .map((b) => (arrived.get(b.parameters.DELIVERY_ID!) ?? NaN) - (sentAt.get(b.commitSha ?? '') ?? NaN))
    .sort((a, b) => a - b)
  // The queue between intake and Jenkins: +1 when a delivery is accepted, -1 when its trigger arrives.
  const accepts = builds.map((b) => b.acceptedAt).sort((a, b) => a - b)
  const arrivals = builds.map((b) => arrived.get(b.parameters.DELIVERY_ID!) ?? NaN).sort((a, b) => a - b)
  const rate = (ts: number[]) => (ts.length - 1) / Math.max(0.001, (ts.at(-1)! - ts[0]!) / 1000)
  const byAccepted = builds
    .map((b) => [b.acceptedAt, (arrived.get(b.parameters.DELIVERY_ID!) ?? NaN) - b.acceptedAt] as const)
    .sort((a, b) => a[0] - b[0])
  const tenth = Math.ceil(byAccepted.length / 10)
  const worstByTenth = Array.from({ length: 10 }, (_, i) =>
    Math.max(...byAccepted.slice(i * tenth, (i + 1) * tenth).map(([, ms]) => ms)),
  )
  let backlog = 0
  let backlogAtMs = 0
  for (let i = 0, k = 0; i < accepts.length; i++) {
    while (k < arrivals.length && arrivals[k]! <= accepts[i]!) k++
    if (i + 1 - k > backlog) [backlog, backlogAtMs] = [i + 1 - k, accepts[i]! - accepts[0]!]
  }
  // Where the time went: each stage against the one before it (a stage a tree does not pass is skipped).
  const steps = new Map<Stage, { step: number[]; total: number[] }>()
  for (const b of builds) {
    const s: Partial<Record<Stage, number>> = {
      ...at.get(b.deliveryId),
      accepted: b.acceptedAt,
      '202 seen': answeredAt.get(b.commitSha ?? ''),
      'build row': Date.parse(b.createdAt),
      'last write': Date.parse(b.updatedAt),
      'at Jenkins': arrived.get(b.parameters.DELIVERY_ID!),
    }
    for (const k of STAGES) if (!Number.isFinite(s[k])) delete s[k]
    // An intent committed with the plan: the build was planned 'triggering'.
    if (s.intent === undefined && s.planned !== undefined) s['intent committed'] = s.planned
    // Each step since the stage that came before it in time: an early route (SQLite, issue #12) is routed before its
    // delivery's commit is answered, and planned in that commit.
    const passed = STAGES.slice(1)
      .filter((stage) => s[stage] !== undefined)
      .sort((x, y) => s[x]! - s[y]! || STAGES.indexOf(x) - STAGES.indexOf(y))
    let prev = b.acceptedAt
    for (const stage of passed) {
      const t = s[stage]!
      const e = steps.get(stage) ?? { step: [], total: [] }
      e.step.push(t - prev)
      e.total.push(t - b.acceptedAt)
      steps.set(stage, e)
      prev = t
    }
  }
  const p5099 = (xs: number[]): [number, number] => {
    const sorted = [...xs].sort((a, b) => a - b)
    return [pct(sorted, 50), pct(sorted, 99)]
  }
  const stages = Object.fromEntries(
    [...steps]
      .sort(([x], [y]) => STAGES.indexOf(x) - STAGES.indexOf(y))
      .map(([stage, e]) => [stage, { step: p5099(e.step), total: p5099(e.total) }]),
  )
  // Exactly once in effect: every DELIVERY_ID is in exactly one queue item (or build) in Jenkins.
  const stats = await new Promise<JenkinsStats>((resolve) => {
    statsOf = resolve
    child.send('stats')
  })
  const result: RunResult = {
    tree,
    mode: SERVED ? 'served' : 'inject',
    load: load(),
    intakeMs: accepted - started,
    allMs: done - started,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: lat.at(-1) ?? NaN,
    stampedP50: pct(stamped, 50),
    stampedP99: pct(stamped, 99),
    sentP50: pct(fromSent, 50),
    sentP99: pct(fromSent, 99),
    stages,
    acceptRate: rate(accepts),
    triggerRate: rate(arrivals),
    backlog,
    backlogAtMs,
    worstByTenth,
    serviceCpuMs,
    jenkinsCpuMs,
    // The Jenkins counts cover the warm-up's builds too.
    builds: builds.length + (SERVED ? WARMUP : 0),
    ...stats,
    retried,
  }
  child.send('close')
  await new Promise((r) => child.once('exit', r))
  return result
}

function report(r: RunResult) {
  console.log(
    `bench:dispatch — ${PUSHES} pushes, ${CONCURRENCY} concurrent, one templated job (ds/churn-model/main); ${r.mode === 'served' ? `tamer serve as a child, over HTTP on keep-alive sockets${WARMUP ? `, after ${WARMUP} warm-up pushes to the job` : ''}` : "the service in the bench's process, driven with inject"}`,
  )
  if (Object.keys(r.retried).length) console.log('  retried:', r.retried)
  console.log(`  intake of all pushes: ${r.intakeMs} ms; all triggered after ${r.allMs} ms`)
  console.log(
    `  accepted → buildWithParameters at Jenkins: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (goal: p99 < 100 ms); load ${r.load}`,
  )
  console.log(
    `  (accepted → triggeredAt, stamped before the intent is committed: p50 ${r.stampedP50} ms, p99 ${r.stampedP99} ms)`,
  )
  console.log(`  sent → buildWithParameters at Jenkins: p50 ${r.sentP50} ms, p99 ${r.sentP99} ms`)
  console.log(
    `  accepted ${r.acceptRate.toFixed(0)}/s, at Jenkins ${r.triggerRate.toFixed(0)}/s; at most ${r.backlog} accepted and not yet at Jenkins (${r.backlogAtMs} ms in)`,
  )
  console.log(`  worst of each tenth of the pushes, in accepted order (ms): ${r.worstByTenth.join(' ')}`)
  const per = (ms: number) => ((ms / r.builds) * 1000).toFixed(0)
  console.log(
    `  CPU per push: ${r.mode === 'served' ? "tamer serve's process" : 'this process'} ${per(r.serviceCpuMs)} µs (intake, pipeline, store threads${r.mode === 'served' ? '' : ", the bench's sends"}), the emulator ${per(r.jenkinsCpuMs)} µs`,
  )
  console.log('  where the time went, per delivery (ms; since the stage before / since accepted):')
  for (const [stage, e] of Object.entries(r.stages))
    console.log(
      `    ${stage.padEnd(18)} p50 ${String(e.step[0]).padStart(5)}  p99 ${String(e.step[1]).padStart(5)}   |  p50 ${String(e.total[0]).padStart(5)}  p99 ${String(e.total[1]).padStart(5)}`,
    )
  console.log(
    `  Jenkins: ${r.distinct} distinct DELIVERY_IDs queued or built, ${r.doubled} of them more than once (goal: 0)`,
  )
  const other = r.requests - r.triggers - r.provisioning - r.crumbs
  console.log(
    `  Jenkins requests: ${r.requests} total for ${r.builds} builds = ${(r.requests / r.builds).toFixed(3)} per build (goal: 1.0 and one-off provisioning)`,
  )
  console.log(
    `    buildWithParameters ${r.triggers}, provisioning (config.xml/createItem, once per job and folder) ${r.provisioning}, crumb ${r.crumbs}, other ${other}`,
  )
  console.log(
    '  minimum the API allows: 1 request per build (one POST buildWithParameters; an API token needs no crumb),',
  )
  console.log(
    '  plus one-off provisioning per job; following a build to its result needs >= 1 queue-item GET and >= 1 build GET more.',
  )
}

/** One run of `tree` in a fresh process (so the trees share no module cache or heap). */
function runChild(tree: string): RunResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: root,
    env: { ...process.env, BENCH_CHILD_TREE: tree, BURST: '0' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  })
  const line = out.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`no result from the run of ${tree}:\n${out}`)
  return JSON.parse(line.slice('RESULT '.length)) as RunResult
}

async function main() {
  if (PUSHES === 0) return // the burst with kills alone
  const child = process.env.BENCH_CHILD_TREE
  if (child) return void console.log(`RESULT ${JSON.stringify(await runOnce(child))}`)
  const beforeTree = process.env.BENCH_BEFORE
  if (!beforeTree) return report(await runOnce(root))
  // Interleaved: before, after, after, before, … so a slower minute of this shared machine weighs on both.
  const runs: RunResult[] = []
  for (let round = 0; round < ROUNDS; round++)
    for (const tree of round % 2 === 0 ? [beforeTree, root] : [root, beforeTree]) {
      const r = runChild(tree)
      runs.push(r)
      console.log(
        `  ${tree === root ? 'after ' : 'before'}: p50 ${r.p50} ms, p99 ${r.p99} ms (from sent: ${r.sentP50} / ${r.sentP99} ms); worst of each tenth ${r.worstByTenth.join(' ')}; all triggered after ${r.allMs} ms; accepted ${r.acceptRate.toFixed(0)}/s, at Jenkins ${r.triggerRate.toFixed(0)}/s, backlog ≤ ${r.backlog}; CPU per push ${((r.serviceCpuMs / r.builds) * 1000).toFixed(0)} + ${((r.jenkinsCpuMs / r.builds) * 1000).toFixed(0)} µs; ${(r.requests / r.builds).toFixed(3)} requests per build, ${r.doubled} sent twice; load ${r.load}`,
      )
    }
  for (const [name, tree] of [
    ['before', beforeTree],
    ['after', root],
  ] as const) {
    console.log(`\n${name} (${tree}), its last run:`)
    report(runs.filter((r) => r.tree === tree).at(-1)!)
  }
  const med = (tree: string, f: (r: RunResult) => number) => {
    const xs = runs
      .filter((r) => r.tree === tree)
      .map(f)
      .sort((a, b) => a - b)
    return xs[Math.floor(xs.length / 2)]!
  }
  const p99 = [med(beforeTree, (r) => r.p99), med(root, (r) => r.p99)] as const
  const all = [med(beforeTree, (r) => r.allMs), med(root, (r) => r.allMs)] as const
  console.log(
    `\nmedians over ${ROUNDS} runs each: p99 ${p99[0]} → ${p99[1]} ms (${(p99[0] / p99[1]).toFixed(1)}× lower); all triggered ${all[0]} → ${all[1]} ms`,
  )
}

async function burstWithKills(engine: string) {
  const drops: (() => unknown)[] = []
  const databaseUrl =
    engine === 'postgres'
      ? await freshDatabase({
          teardown: (fn) => drops.push(fn),
          skip: (msg) => console.log(`  postgres skipped: ${msg}`),
          fail: (msg) => console.log(msg),
        })
      : undefined
  if (engine === 'postgres' && !databaseUrl) return
  const r = await runBurst({
    deliveries: BURST,
    inFlight: 20,
    kills: [
      { atAcked: 0.25, on: 'trigger-answered' },
      { atAcked: 0.5, on: 'now' },
      { atAcked: 0.75, on: 'trigger-answered' },
    ],
    databaseUrl: databaseUrl ?? undefined,
    notices: BURST_ENGINES.length > 1 || engine !== 'sqlite',
  }).finally(async () => {
    for (const d of drops) await d()
  })
  console.log(
    `bench:dispatch burst with kills [${engine}] — ${r.deliveries} pushes, 20 in flight, one templated job; tamer serve SIGKILLed ${r.kills} times and restarted; load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  )
  console.log(
    '  (Jenkins stand-in: 1 s quiet period, 1 s queue→build gap, 150 ms builds, `builds` = newest 100, standing still while Tamer restarts',
  )
  console.log('   after a kill at a trigger answer; Tamer: quietPeriodSec 1, uncertainGraceMs 1000)')
  console.log(
    `  acknowledged ${r.acknowledged} of ${r.deliveries} (${r.failedSends} sends without an answer, redelivered)`,
  )
  console.log(
    `  built once ${r.builtOnce}, built twice ${r.builtTwice}, lost ${r.lost}; built but never acknowledged ${r.builtUnacknowledged}; ${r.jobBuilds} builds of the job`,
  )
  console.log(`  /api/builds: ${r.records} builds, ${r.recordsNotOneRun} with other than one run`)
  const per = r.uncertainTriggers ? (r.lookRequests / r.uncertainTriggers).toFixed(2) : '0'
  console.log(
    `  uncertain triggers ${r.uncertainTriggers}: ${r.looks} looks, ${r.lookRequests} Jenkins requests = ${per} extra requests per uncertain trigger; ${r.reposts} sent again after two misses`,
  )
  const n = r.notices
  if (n)
    console.log(
      `  notices (every build UNSTABLE): ${n.decided} decided, ${n.buildsNotOneNotice} builds without exactly one; received once ${n.receivedOnce}, twice ${n.receivedTwice}, never ${n.unreceived} (dead ${n.dead}), strays ${n.strays}`,
    )
  console.log(`  ${r.seconds.toFixed(1)} s in all (mostly the four start-ups of tamer serve)`)
  // The soak of test/pipeline/burst-kill.test.ts: a delivery built twice, lost or not listed fails the bench.
  if (r.builtTwice || r.lost || r.builtUnacknowledged || r.records !== r.acknowledged || r.recordsNotOneRun)
    process.exitCode = 1
  if (n && (n.receivedOnce !== r.acknowledged || n.receivedTwice || n.strays || n.buildsNotOneNotice))
    process.exitCode = 1
}

main()
  .then(async () => {
    if (process.env.BURST === '0' || process.env.BENCH_BEFORE) return
    for (const engine of BURST_ENGINES) await burstWithKills(engine)
  })
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err)
    process.exit(1)
  })
