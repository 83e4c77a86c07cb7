// A burst of signed GitHub pushes (distinct GUIDs and commits) at Tamer running as a child
// process (`tamer serve` through tsx, the real start-up path) that is SIGKILLed at chosen
// moments and restarted on the same data dir. Sends that got no answer are redelivered with
// the same GUID and body, as GitHub's "Redeliver" does. How often each acknowledged delivery
// was built is counted from the Jenkins emulator's own state, not from what Tamer says.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { freePort } from './free-port.js'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SECRETS } from './app.js'
import {
  DEFAULT_USER,
  StallableClock,
  startJenkinsEmulator,
  type JenkinsEmulator,
} from '../../src/demo/jenkins-emulator/index.js'
import type { QueueItem } from '../../src/demo/jenkins-emulator/types.js'
import { childEnv, tamerArgvOf } from './ts-hooks.js'
import { githubPush } from './payloads.js'
import { signedGitHub } from './sign.js'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const BURST_JOB = 'ds/churn-model/main'
const BUILDABLE_MS = 20
const ACTIVE = ['pending', 'waiting-for-jenkins', 'triggering', 'queued', 'running']

export interface Kill {
  /** armed once this fraction of the deliveries is acknowledged */
  atAcked: number
  /**
   * trigger-answered: fired as the emulator finishes answering a buildWithParameters 201, so
   * Jenkins has the request and Tamer has not recorded it; now: at once, wherever Tamer is.
   */
  on: 'trigger-answered' | 'now'
}

export interface BurstOptions {
  deliveries: number
  inFlight: number
  kills: Kill[]
  /** the Jenkins stand-in's timing (defaults: 1 s quiet period, 1 s queue→build gap, 150 ms builds) */
  jenkins?: { quietPeriodSec?: number; executableGapMs?: number; buildMs?: number }
  /** Tamer's jenkins.uncertainGraceMs (default 1 s) */
  uncertainGraceMs?: number
  /** The child's store: PostgreSQL at this (fresh) database; SQLite in the data dir without it. */
  databaseUrl?: string
  /**
   * Every build ends UNSTABLE and a notification rule sends each one's notice to a webhook channel:
   * a real HTTP receiver counts what arrives by the outbox id (X-Tamer-Notification).
   */
  notices?: boolean
  progress?: (msg: string) => void
}

export interface BurstResult {
  deliveries: number
  acknowledged: number
  /** acknowledged deliveries Jenkins built exactly once / more than once / never */
  builtOnce: number
  builtTwice: number
  lost: number
  /** DELIVERY_IDs Jenkins built that Tamer never acknowledged */
  builtUnacknowledged: number
  /** builds of the one job in Jenkins */
  jobBuilds: number
  /** builds Tamer lists in /api/builds, and those whose runs are not exactly one */
  records: number
  recordsNotOneRun: number
  kills: number
  /** sends that got no answer (Tamer was down or starting), each sent again */
  failedSends: number
  /** builds Tamer had to look for after a kill or an unanswered request, its looks and their Jenkins requests */
  uncertainTriggers: number
  looks: number
  lookRequests: number
  /** uncertain triggers posted again after two misses */
  reposts: number
  /** With `notices`: what Tamer decided (its notices, one per build) and what the receiver got. */
  notices?: {
    decided: number
    /** finished builds of acknowledged deliveries without exactly one decided notice */
    buildsNotOneNotice: number
    receivedOnce: number
    receivedTwice: number
    /** decided, never received: `dead` (interrupted mid-send by a kill, never sent twice) or lost */
    unreceived: number
    dead: number
    /** decided, never received and not a dead letter: lost */
    lost: number
    /** received, never decided */
    strays: number
  }
  seconds: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `tamer serve --config FILE` through tsx, stdout kept as log lines. */
export class TamerProcess {
  child: ChildProcess | null = null
  exited: Promise<void> = Promise.resolve()
  readonly logs: string[] = []
  readonly stderr: string[] = []
  starts = 0
  /** resolves once the running process answers /healthz; a new, pending one from each kill */
  private markUp!: () => void
  up: Promise<void> = new Promise((r) => (this.markUp = r))

  readonly configFile: string
  readonly base: string
  /** Told each child's pid as soon as it is spawned (bench:load puts it in a CPU-limited cgroup). */
  readonly onSpawn?: (pid: number) => void
  /** The checkout whose `tamer` runs (bench:dispatch's BENCH_BEFORE tree); this one by default. */
  readonly tree: string

  constructor(configFile: string, base: string, onSpawn?: (pid: number) => void, tree = REPO_ROOT) {
    this.configFile = configFile
    this.base = base
    this.onSpawn = onSpawn
    this.tree = tree
  }

  async start(): Promise<void> {
    // The child runs as an operator would start it: no test runner hooks, no TAMER_* from this shell.
    // BENCH_SERVE_ARGS: Node flags for the child (e.g. --cpu-prof), as bench:intake takes them.
    const extra = (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean)
    const child = spawn(process.execPath, [...extra, ...tamerArgvOf(this.tree, 'serve', '--config', this.configFile)], {
      cwd: this.tree,
      env: childEnv({}, ['TAMER_']),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    if (child.pid) this.onSpawn?.(child.pid)
    this.starts++
    this.exited = new Promise((r) => child.once('exit', () => r()))
    let partial = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      this.logs.push(...lines.filter(Boolean))
    })
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')))
    let gone = false
    void this.exited.then(() => (gone = true))
    const deadline = Date.now() + 180_000
    for (;;) {
      if (gone) throw new Error(`tamer exited during start-up: ${this.stderr.join('').slice(-2000)}`)
      if (Date.now() > deadline) throw new Error('tamer did not become ready in 180 s')
      const ok = await fetch(`${this.base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return this.markUp()
      await sleep(100)
    }
  }

  /** SIGKILL, synchronously: nothing more runs in Tamer after this call. */
  killNow(): void {
    this.child?.kill('SIGKILL')
    this.up = new Promise((r) => (this.markUp = r))
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGTERM')
    // A cleared timer, not a bare sleep: a pending 20 s timer kept every test file that stopped a
    // child alive for 20 s after its last test (burst-kill, replicas, kill-restart: 60 s of npm test).
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 20_000)))])
    clearTimeout(timer)
    this.child?.kill('SIGKILL')
    await this.exited
  }
}

function writeConfig(
  dir: string,
  port: number,
  jenkins: JenkinsEmulator,
  quietPeriodSec: number,
  uncertainGraceMs: number,
  o: { databaseUrl?: string; noticeUrl?: string },
): string {
  const file = join(dir, 'tamer.yaml')
  const config = {
    server: { host: '127.0.0.1', port, logLevel: 'info', drainDelayMs: 0 },
    dataDir: join(dir, 'data'),
    ...(o.databaseUrl ? { store: { engine: 'postgres', url: o.databaseUrl, postgres: { leaseMs: 2_000 } } } : {}),
    ...(o.noticeUrl
      ? {
          notifications: {
            channels: [{ name: 'receiver', type: 'webhook', url: o.noticeUrl }],
            rules: [{ on: ['unstable'], channels: ['receiver'] }],
            retryBaseMs: 200,
            retryMaxMs: 1_000,
          },
        }
      : {}),
    providers: { github: { secrets: [SECRETS.github] } },
    api: { tokens: [SECRETS.api] },
    jenkins: {
      url: jenkins.url,
      user: DEFAULT_USER.id,
      token: DEFAULT_USER.apiToken,
      // the emulator's quiet period (1 s) and fast polling, so a burst settles in seconds
      quietPeriodSec,
      uncertainGraceMs,
      pollInitialMs: 250,
      pollMaxMs: 1_000,
      retryBaseMs: 200,
      retryMaxMs: 2_000,
    },
    rules: [
      { name: 'ds', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds/{repo}/{branch}' },
    ],
    // the pushes name a remote that does not exist: no background diffs
    diffs: { precompute: false },
  }
  writeFileSync(file, JSON.stringify(config, null, 2)) // JSON is YAML
  return file
}

export async function runBurst(o: BurstOptions): Promise<BurstResult> {
  const started = Date.now()
  const say = o.progress ?? (() => {})
  // A strict Jenkins stand-in on the real clock: 1 s quiet period, 1 s between leaving the
  // queue and the build existing (a busy Jenkins), builds of ~150 ms, `builds` = the newest 100.
  const quietPeriodSec = o.jenkins?.quietPeriodSec ?? 1
  const clock = new StallableClock()
  const jenkins = await startJenkinsEmulator({
    clock,
    quietPeriodSec,
    buildableMs: BUILDABLE_MS,
    executableGapMs: o.jenkins?.executableGapMs ?? 1_000,
    defaultScenario: { durationMs: o.jenkins?.buildMs ?? 150, ...(o.notices ? { result: 'UNSTABLE' as const } : {}) },
  })
  // The notice receiver: every POST it got, by the outbox id the webhook channel sends.
  const received = new Map<string, number>()
  let receiver: Server | null = null
  if (o.notices) {
    receiver = createServer((req, res) => {
      const id = String(req.headers['x-tamer-notification'] ?? '')
      req.resume()
      req.on('end', () => {
        received.set(id, (received.get(id) ?? 0) + 1)
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r))
  }
  const noticeUrl = receiver ? `http://127.0.0.1:${(receiver.address() as { port: number }).port}/notices` : undefined
  const dir = mkdtempSync(join(tmpdir(), 'tamer-burst-'))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const tamer = new TamerProcess(
    writeConfig(dir, port, jenkins, quietPeriodSec, o.uncertainGraceMs ?? 1_000, {
      databaseUrl: o.databaseUrl,
      noticeUrl,
    }),
    base,
  )
  const auth = { authorization: `Bearer ${SECRETS.api}` }
  try {
    await tamer.start()
    say(`tamer ready after ${Date.now() - started} ms`)

    const deliveries = Array.from({ length: o.deliveries }, (_, i) =>
      signedGitHub('push', githubPush({ after: (i + 1).toString(16).padStart(40, '0') }), { delivery: randomUUID() }),
    )
    const ack = new Map<number, string>()
    const queue = deliveries.map((_, i) => i)
    let failedSends = 0
    const send = async (i: number): Promise<boolean> => {
      const d = deliveries[i]!
      try {
        const res = await fetch(`${base}/hooks/github`, {
          method: 'POST',
          headers: d.headers,
          body: d.body,
          signal: AbortSignal.timeout(30_000),
        })
        const body = (await res.json()) as { id?: string }
        if ((res.status === 202 || res.status === 200) && body.id) return (ack.set(i, body.id), true)
      } catch {
        // no answer: the process died, or was starting
      }
      return false
    }
    const worker = async () => {
      while (ack.size < deliveries.length) {
        const i = queue.shift()
        if (i === undefined) {
          await sleep(20)
          continue
        }
        if (await send(i)) continue
        failedSends++
        queue.push(i)
        // Down or starting: send again once it answers, not thousands of times into a closed port.
        await sleep(50)
        await tamer.up
      }
    }

    let kills = 0
    let stops = 0
    /** Kills Tamer as Jenkins finishes answering a buildWithParameters; the queue item it made. */
    const killAtTriggerAnswer = () =>
      new Promise<QueueItem | null>((fired) => {
        const timer = setTimeout(() => (jenkins.control.onResponse(null), tamer.killNow(), fired(null)), 10_000)
        jenkins.control.onResponse((r) => {
          if (r.method !== 'POST' || !r.path.includes('/buildWithParameters') || r.status !== 201) return
          jenkins.control.onResponse(null)
          clearTimeout(timer)
          tamer.killNow()
          const id = new URLSearchParams(r.body).get('DELIVERY_ID')
          fired(
            jenkins.state.queue.items.findLast((i) =>
              i.params?.some((p) => p.name === 'DELIVERY_ID' && p.value === id),
            ) ?? null,
          )
        })
      })
    const killer = async () => {
      for (const k of o.kills) {
        while (ack.size < k.atAcked * deliveries.length) await sleep(5)
        const stop = ++stops
        if (k.on === 'trigger-answered') {
          const item = await killAtTriggerAnswer()
          // Jenkins goes on until that request has left the queue and stands still in its
          // queue→build gap, until the restarted Tamer first reads the queue: as far as Jenkins
          // can tell, Tamer came back at once (as a production restart does), not after the
          // seconds a start-up takes on a loaded test machine.
          if (item) clock.stopAt(item.due + BUILDABLE_MS + 100)
          jenkins.control.onRequest((r) => {
            if (r.method !== 'GET' || !r.path.startsWith('/queue/api/json')) return
            jenkins.control.onRequest(null)
            clock.resume()
          })
        } else tamer.killNow()
        kills++
        await tamer.exited
        say(`killed (${k.on}) at ${ack.size} acknowledged; restarting`)
        const t0 = Date.now()
        await tamer.start()
        say(`restarted in ${Date.now() - t0} ms`)
        // With nothing uncertain to look for, Tamer reads no queue: Jenkins does not wait long.
        setTimeout(() => stop === stops && (jenkins.control.onRequest(null), clock.resume()), 3_000).unref()
      }
    }
    await Promise.all([killer(), ...Array.from({ length: o.inFlight }, worker)])
    say(`all ${ack.size} acknowledged after ${Date.now() - started} ms; waiting for every build to finish`)

    // Settled: nothing pending or active in Tamer, nothing queued or building in Jenkins.
    const count = async (path: string) =>
      ((await (await fetch(`${base}${path}`, { headers: auth })).json()) as { items: unknown[] }).items.length
    // What Tamer lists (every page).
    const all = async <T>(path: string): Promise<T[]> => {
      const out: T[] = []
      for (let cursor: number | null = null; ;) {
        const page = (await (
          await fetch(`${base}${path}?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth })
        ).json()) as { items: T[]; nextCursor: number | null }
        out.push(...page.items)
        if (!page.nextCursor) return out
        cursor = page.nextCursor
      }
    }
    const deadline = Date.now() + 180_000
    for (;;) {
      const tamerBusy =
        (await count('/api/deliveries?status=pending&limit=1')) +
        (await Promise.all(ACTIVE.map((s) => count(`/api/builds?state=${s}&limit=1`)))).reduce((a, b) => a + b, 0) +
        (o.notices
          ? (await count('/api/notifications?state=pending&limit=1')) +
            (await count('/api/notifications?state=sending&limit=1'))
          : 0)
      const now = clock.now()
      const jenkinsBusy =
        jenkins.state.queue.active(now).length +
        (jenkins.state.item(BURST_JOB)?.builds.filter((b) => b.endAt > now).length ?? 0)
      // A build's notice is decided by the notifier's pass after the build's end is committed (or by its scan
      // after a restart): settled once there are as many decided as builds ended, or the deadline says otherwise.
      const undecided =
        tamerBusy === 0 && jenkinsBusy === 0 && o.notices
          ? (await all<unknown>('/api/builds')).length - (await all<unknown>('/api/notifications')).length
          : 0
      if (tamerBusy === 0 && jenkinsBusy === 0 && undecided <= 0) break
      if (Date.now() > deadline) {
        if (undecided > 0) break // counted below as builds without their notice
        throw new Error('the burst did not settle in 180 s')
      }
      await sleep(250)
    }

    // What Jenkins ran, per DELIVERY_ID.
    const job = jenkins.state.item(BURST_JOB)
    const runs = new Map<string, number>()
    const idOf = (params: { name: string; value: string | boolean }[] | null) =>
      String(params?.find((p) => p.name === 'DELIVERY_ID')?.value ?? '')
    for (const b of job?.builds ?? []) runs.set(idOf(b.params), (runs.get(idOf(b.params)) ?? 0) + 1)
    for (const i of jenkins.state.queue.items)
      if (i.job === job && !i.cancelled && !i.build) runs.set(idOf(i.params), (runs.get(idOf(i.params)) ?? 0) + 1)
    const acked = new Set(ack.values())
    const times = [...acked].map((id) => runs.get(id) ?? 0)

    type Listed = { id: string; deliveryId: string; runs: unknown[] }
    const listed = await all<Listed>('/api/builds')
    let notices: BurstResult['notices']
    if (o.notices) {
      const decided = await all<{ id: string; buildId: string; state: string }>('/api/notifications')
      const ids = new Set(decided.map((n) => n.id))
      const perBuild = new Map<string, number>()
      for (const n of decided) perBuild.set(n.buildId, (perBuild.get(n.buildId) ?? 0) + 1)
      notices = {
        decided: decided.length,
        buildsNotOneNotice: listed.filter((b) => acked.has(b.deliveryId) && perBuild.get(b.id) !== 1).length,
        receivedOnce: decided.filter((n) => received.get(n.id) === 1).length,
        receivedTwice: decided.filter((n) => (received.get(n.id) ?? 0) > 1).length,
        unreceived: decided.filter((n) => !received.has(n.id)).length,
        dead: decided.filter((n) => n.state === 'dead').length,
        lost: decided.filter((n) => !received.has(n.id) && n.state !== 'dead').length,
        strays: [...received.keys()].filter((id) => !ids.has(id)).length,
      }
    }

    const looks = tamer.logs
      .filter((l) => l.includes('looked in Jenkins for an uncertain trigger'))
      .map((l) => JSON.parse(l) as { buildId: string; requests: number })
    return {
      deliveries: deliveries.length,
      acknowledged: acked.size,
      builtOnce: times.filter((n) => n === 1).length,
      builtTwice: times.filter((n) => n > 1).length,
      lost: times.filter((n) => n === 0).length,
      builtUnacknowledged: [...runs.keys()].filter((id) => !acked.has(id)).length,
      jobBuilds: job?.builds.length ?? 0,
      records: listed.length,
      recordsNotOneRun: listed.filter((b) => b.runs.length !== 1).length,
      kills,
      failedSends,
      uncertainTriggers: new Set(looks.map((l) => l.buildId)).size,
      looks: looks.length,
      lookRequests: looks.reduce((s, l) => s + l.requests, 0),
      reposts: tamer.logs.filter((l) => l.includes('no trace of the uncertain trigger')).length,
      ...(notices ? { notices } : {}),
      seconds: (Date.now() - started) / 1000,
    }
  } finally {
    await tamer.stop()
    await jenkins.close()
    receiver?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
