// Issue #16: two replicas on one PostgreSQL. Two `tamer serve` children (started as an operator
// would, migrating the same fresh database at once) sit behind a round-robin of their ports and
// take a burst of signed GitHub pushes for one templated job; one replica is SIGKILLed mid-way and
// not restarted. A send that gets no answer is redelivered to the other port with the same GUID
// and body (as a load balancer and GitHub's "Redeliver" would). Every delivery answered 2xx must
// reach Jenkins' buildWithParameters exactly once (counted at the emulator by DELIVERY_ID), and
// both replicas must have done part of the work: the survivor takes over what the dead one had
// claimed once its leases end (store.postgres.leaseMs).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_USER, StallableClock, startJenkinsEmulator } from '../../src/demo/jenkins-emulator/index.js'
import { SECRETS } from '../support/app.js'
import { TamerProcess } from '../support/burst.js'
import { freePort } from '../support/free-port.js'
import { githubPush } from '../support/payloads.js'
import { freshDatabase } from '../support/postgres.js'
import { signedGitHub } from '../support/sign.js'

t.setTimeout(240_000) // two start-ups of a child process: seconds each, far more on a loaded machine

const JOB = 'ds/churn-model/main'
const DELIVERIES = 80
const IN_FLIGHT = 16
const LEASE_MS = 2_000
const ACTIVE = ['pending', 'waiting-for-jenkins', 'triggering', 'queued', 'running']
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('two replicas, one SIGKILLed mid-burst: nothing acknowledged lost, nothing triggered twice', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  // Jenkins on the wall clock (its builds end on their own), never stopped here.
  const clock = new StallableClock()
  const jenkins = await startJenkinsEmulator({
    clock,
    quietPeriodSec: 1,
    buildableMs: 20,
    executableGapMs: 200,
    defaultScenario: { durationMs: 150 },
    // One Jenkins user per replica: who sent each buildWithParameters is Jenkins' own record.
    users: [DEFAULT_USER, { id: 'tamer-b', apiToken: 'tamer-b-token' }],
  })
  t.teardown(() => jenkins.close())
  // Every buildWithParameters Jenkins accepted, by DELIVERY_ID, and by the replica (Jenkins user) that sent it.
  const triggers = new Map<string, number>()
  const byUser = new Map<string, number>()
  let kill = () => {}
  jenkins.control.onResponse((r) => {
    if (r.method !== 'POST' || !r.path.includes('/buildWithParameters') || r.status !== 201) return
    const id = new URLSearchParams(r.body).get('DELIVERY_ID') ?? ''
    triggers.set(id, (triggers.get(id) ?? 0) + 1)
    const basic = String(r.headers.authorization ?? '').replace(/^Basic /, '')
    const user = Buffer.from(basic, 'base64').toString('utf8').split(':')[0]!
    byUser.set(user, (byUser.get(user) ?? 0) + 1)
    // Mid-way through the work: replica a dies as Jenkins answers its tenth trigger (unrecorded by a).
    if (user === DEFAULT_USER.id && byUser.get(user) === 10) kill()
  })

  const dir = mkdtempSync(join(tmpdir(), 'tamer-replicas-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const replica = async (name: string, user: { id: string; apiToken: string }) => {
    const port = await freePort()
    const file = join(dir, `${name}.yaml`)
    const config = {
      server: { host: '127.0.0.1', port, logLevel: 'info', drainDelayMs: 0 },
      dataDir: join(dir, name),
      store: { engine: 'postgres', url, postgres: { leaseMs: LEASE_MS } },
      providers: { github: { secrets: [SECRETS.github] } },
      api: { tokens: [SECRETS.api] },
      jenkins: {
        url: jenkins.url,
        user: user.id,
        token: user.apiToken,
        quietPeriodSec: 1,
        uncertainGraceMs: 1_000,
        pollInitialMs: 250,
        pollMaxMs: 1_000,
        retryBaseMs: 200,
        retryMaxMs: 2_000,
      },
      rules: [
        { name: 'ds', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds/{repo}/{branch}' },
      ],
      diffs: { precompute: false },
    }
    writeFileSync(file, JSON.stringify(config)) // JSON is YAML
    return new TamerProcess(file, `http://127.0.0.1:${port}`)
  }
  const replicas = [await replica('a', DEFAULT_USER), await replica('b', { id: 'tamer-b', apiToken: 'tamer-b-token' })]
  t.teardown(() => Promise.all(replicas.map((r) => r.stop())))
  // Both at once: the migrations run once, under PostgreSQL's advisory lock.
  await Promise.all(replicas.map((r) => r.start()))
  const [a, b] = replicas as [TamerProcess, TamerProcess]
  kill = () => {
    if (killedAt >= 0) return
    killedAt = acked.size
    a.killNow()
  }

  const deliveries = Array.from({ length: DELIVERIES }, (_, i) =>
    signedGitHub('push', githubPush({ after: (i + 1).toString(16).padStart(40, '0') }), { delivery: randomUUID() }),
  )
  let killedAt = -1
  const acked = new Map<number, string>()
  const queue = deliveries.map((_, i) => i)
  let turn = 0
  let failedSends = 0
  const send = async (i: number): Promise<boolean> => {
    const d = deliveries[i]!
    // Round robin over both ports, the dead one included: a load balancer notices a death by failing.
    const target = replicas[turn++ % 2]!
    try {
      const res = await fetch(`${target.base}/hooks/github`, {
        method: 'POST',
        headers: d.headers,
        body: d.body,
        signal: AbortSignal.timeout(30_000),
      })
      const body = (await res.json()) as { id?: string }
      if (res.status >= 200 && res.status < 300 && body.id) return (acked.set(i, body.id), true)
    } catch {
      // no answer: that replica is dead
    }
    return false
  }
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      if (!(await send(i))) {
        failedSends++
        queue.push(i) // redelivered (to the next port in turn)
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  // A slow replica a (a loaded machine) may not have sent its tenth trigger by the time every delivery
  // is acknowledged: it still routes and triggers the half it acknowledged, so wait for that kill.
  for (const end = Date.now() + 60_000; killedAt < 0 && Date.now() < end;) await sleep(100)
  kill() // if it never came: it dies now, with whatever work is still under way
  t.equal(acked.size, DELIVERIES, `every delivery answered 2xx in the end (${failedSends} sends went unanswered)`)

  // Settled: nothing pending or active in the store (asked of the survivor), nothing left in Jenkins.
  const auth = { authorization: `Bearer ${SECRETS.api}` }
  const count = async (path: string) =>
    ((await (await fetch(`${b.base}${path}`, { headers: auth })).json()) as { items: unknown[] }).items.length
  const deadline = Date.now() + 60_000
  for (;;) {
    const busy =
      (await count('/api/deliveries?status=pending&limit=1')) +
      (await Promise.all(ACTIVE.map((s) => count(`/api/builds?state=${s}&limit=1`)))).reduce((x, y) => x + y, 0)
    const job = jenkins.state.item(JOB)
    const now = clock.now()
    const jenkinsBusy = jenkins.state.queue.active(now).length + (job?.builds.filter((x) => x.endAt > now).length ?? 0)
    if (busy === 0 && jenkinsBusy === 0) break
    if (Date.now() > deadline) {
      const states = await Promise.all(
        ACTIVE.map(async (s) => `${s} ${await count(`/api/builds?state=${s}&limit=200`)}`),
      )
      throw new Error(`the burst did not settle in 60 s: ${states.join(', ')}; Jenkins busy ${jenkinsBusy}`)
    }
    await sleep(200)
  }

  const ids = [...acked.values()]
  const times = ids.map((id) => triggers.get(id) ?? 0)
  t.equal(times.filter((n) => n === 0).length, 0, 'no acknowledged delivery lost')
  t.equal(times.filter((n) => n > 1).length, 0, 'no delivery triggered twice')
  t.equal([...triggers.keys()].filter((id) => !ids.includes(id)).length, 0, 'nothing triggered that was not acked')
  t.equal(jenkins.state.item(JOB)?.builds.length, DELIVERIES, 'Jenkins built each once')

  // Who did the work: Jenkins' record of who triggered, and each replica's log of its routes.
  const routed = replicas.map((r) => r.logs.filter((l) => l.includes('"msg":"delivery routed')).length)
  const triggered = [byUser.get(DEFAULT_USER.id) ?? 0, byUser.get('tamer-b') ?? 0]
  t.comment(
    `replica a killed at ${killedAt} acknowledged; routed a ${routed[0]}, b ${routed[1]}; triggered a ${triggered[0]}, b ${triggered[1]}`,
  )
  t.ok(triggered[0]! >= 10 && triggered[1]! > 0, 'both replicas triggered builds')
  t.ok(routed[0]! > 0 && routed[1]! > 0, 'both replicas routed deliveries')
})
