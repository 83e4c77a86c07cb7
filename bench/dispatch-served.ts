// bench:dispatch's burst against the code path users run: `tamer serve` of a tree as a child process (the CLI, as
// `npm start` starts it), its pushes sent over HTTP by `concurrency` senders on keep-alive sockets, so the senders'
// next pushes reach the service as I/O, each body with its request (the in-process `inject` hands them over as one
// storm of microtasks in a commit answer's turn). The stages the service does not expose are read from its store
// once it is stopped: accepted (the delivery's receivedAt), the build's row made (createdAt), triggeredAt, and its
// last write (updatedAt: the trigger's answer recorded; the first poll of a build is a minute away).
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BuildRecord } from '../src/store/builds.js'
import { TamerProcess } from '../test/support/burst.js'
import { freePort } from '../test/support/free-port.js'
import { githubPush } from '../test/support/payloads.js'
import { signedGitHub } from '../test/support/sign.js'
import { processCpuSeconds } from './cpu-limit.js'
import { writeServeConfig } from './serve-config.js'

export interface ServedBurst {
  builds: BuildRecord[]
  /** by commit: when the bench sent the push, and when its 202 came back (Date.now()) */
  sentAt: Map<string, number>
  answeredAt: Map<string, number>
  started: number
  accepted: number
  /** when every trigger's answer was recorded */
  done: number
  /** the service's process (every thread) from the first push to the last answer recorded, ms */
  serviceCpuMs: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function post(agent: Agent, url: URL, headers: Record<string, string>, body: string | Buffer) {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Builds of the job not yet answered by Jenkins, from the service's /metrics (tamer_queue_depth). */
async function notYetQueued(base: string): Promise<number> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text())
  let n = 0
  for (const state of ['pending', 'waiting-for-jenkins', 'triggering'])
    n += Number(new RegExp(`^tamer_queue_depth\\{queue="builds",state="${state}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
  return n
}

export async function servedBurst(o: {
  tree: string
  jenkinsUrl: string
  pushes: number
  concurrency: number
  /** how many pushes' triggers have reached the emulator so far (the warm-up's included) */
  arrivedCount: () => number
  /** pushes sent (and triggered) before the measured burst, to the same job: a provisioned job, a warm process */
  warmup?: number
}): Promise<ServedBurst> {
  const warmup = o.warmup ?? 0
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-dispatch-'))
  const port = await freePort()
  const file = join(dir, 'tamer.yaml')
  writeServeConfig(file, {
    port,
    dataDir: join(dir, 'data'),
    jenkinsUrl: o.jenkinsUrl,
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent',
    pollInitialMs: 60_000,
  })
  const tamer = new TamerProcess(file, `http://127.0.0.1:${port}`, undefined, o.tree)
  try {
    await tamer.start()
    const pid = tamer.child!.pid
    // Node's default agent would close a socket after each answer; browsers and git hosts keep theirs open.
    const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency })
    const hook = new URL('/hooks/github', tamer.base)
    const sentAt = new Map<string, number>()
    const answeredAt = new Map<string, number>()
    if (warmup > 0) {
      // Commits of their own (e…), not timed: the measured burst's start the same as without them.
      let w = 0
      const warmer = async () => {
        while (w < warmup) {
          const d = signedGitHub('push', githubPush({ after: (w++).toString(16).padStart(40, 'e') }))
          const status = await post(agent, hook, d.headers, d.body)
          if (status !== 202) throw new Error(`warm-up push: ${status}`)
        }
      }
      await Promise.all(Array.from({ length: o.concurrency }, warmer))
      const until = Date.now() + 120_000
      while (o.arrivedCount() < warmup && Date.now() < until) await sleep(20)
      while ((await notYetQueued(tamer.base)) > 0 && Date.now() < until) await sleep(20)
    }
    const cpu0 = processCpuSeconds(pid)
    const started = Date.now()
    let next = 0
    const sender = async () => {
      while (next < o.pushes) {
        const i = next++
        // From 1: an `after` of all zeros is a branch deletion to the branch registry, which then rewrote the
        // job's BRANCH choices twice in the burst (without the branch, then with it), holding its triggers meanwhile.
        const sha = (i + 1).toString(16).padStart(40, '0')
        const d = signedGitHub('push', githubPush({ after: sha }))
        sentAt.set(sha, Date.now())
        const status = await post(agent, hook, d.headers, d.body)
        answeredAt.set(sha, Date.now())
        if (status !== 202) throw new Error(`push ${i}: ${status}`)
      }
    }
    await Promise.all(Array.from({ length: o.concurrency }, sender))
    const accepted = Date.now()
    agent.destroy()
    // Every trigger at Jenkins (counted from the emulator's messages: nothing asked of the service), then every
    // answer recorded (its /metrics, a few times at the end).
    while (o.arrivedCount() < o.pushes + warmup && Date.now() - started < 120_000) await sleep(20)
    while ((await notYetQueued(tamer.base)) > 0 && Date.now() - started < 120_000) await sleep(20)
    const serviceCpuMs = (processCpuSeconds(pid) - cpu0) * 1000
    const done = Date.now()
    await tamer.stop()
    // The tree's own store reads its rows back (its schema), as the in-process run does.
    const { openSqliteStore } = (await import(pathToFileURL(join(o.tree, 'src/store/sqlite/index.ts')).href)) as {
      openSqliteStore: typeof import('../src/store/sqlite/index.js').openSqliteStore
    }
    const store = openSqliteStore({ file: join(dir, 'data', 'tamer.db') })
    const builds = (await store.listBuilds({ limit: o.pushes + warmup + 1 })).filter((b) =>
      sentAt.has(b.commitSha ?? ''),
    )
    await store.close()
    return { builds, sentAt, answeredAt, started, accepted, done, serviceCpuMs }
  } finally {
    await tamer.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
