// npm run bench:console — every console page at 100k stored deliveries (issue #14, item 5; goal: each
// page answers in < 100 ms). Fills a SQLite store in a temp dir (bench/store-fill.ts, the schema of
// today's migrations; builds are half as many as deliveries, notifications a tenth, a dead letter in
// 25 of them, 10 branches per repository), serves it as `tamer serve` does (composeService, listening on
// a free port; the pipeline, notifier and reporter held so nothing runs the pending rows), signs in
// through /ui/login and times each page over real HTTP (one keep-alive connection), unscoped and with a
// token scoped to one tenant, from the top and from a cursor halfway down.
// BENCH_DELIVERIES (100000) sizes the store; BENCH_REQUESTS (50) requests per case after a warm-up
// round; BENCH_DIR: fill there (or reuse what a run left there) and keep it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { composeService } from '../src/compose/index.js'
import { createLogger } from '../src/logging.js'
import { nativeEngine } from '../src/engines/engine.js'
import { migrate } from '../src/store/sqlite/migrations.js'
import { openSqliteStore } from '../src/store/sqlite/index.js'
import { SECRETS, testConfig } from '../test/support/app.js'
import { fill, fmt, percentile, providerOf, REPOS, repoName, TENANTS, tenantOf } from './store-fill.js'

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 100_000)
const BUILDS = Math.round(DELIVERIES / 2)
const NOTIFICATIONS = Math.round(DELIVERIES / 10)
const BRANCHES_PER_REPO = 10
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50)
const GOAL_MS = 100
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

function fillStore(file: string) {
  const db = new BetterSqlite3(file)
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  migrate(db)
  const t0 = performance.now()
  fill(db, { deliveries: DELIVERIES, builds: BUILDS, notifications: NOTIFICATIONS })
  // The branch registry: every repository, each with live and deleted branches (repos and branches pages).
  const repo = db.prepare(
    `INSERT INTO repositories (tenant, provider, repository, default_branch, synced_at, updated_at)
     VALUES (?, ?, ?, 'main', ?, ?)`,
  )
  const branch = db.prepare(
    `INSERT INTO branches (tenant, provider, repository, branch, state, commit_sha, author_name, author_email,
       committed_at, source, pushed_at, deleted_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'Ada', 'ada@example.com', ?, 'push', ?, ?, ?)`,
  )
  const at = new Date().toISOString()
  db.transaction(() => {
    for (let r = 0; r < REPOS; r++) {
      repo.run(tenantOf(r), providerOf(r), repoName(r), at, at)
      for (let b = 0; b < BRANCHES_PER_REPO; b++) {
        const deleted = b % 5 === 4
        const name = b === 0 ? 'main' : `feature/${b}-ü; rm -rf ~`
        const sha = `${r}-${b}`.padStart(40, 'c')
        branch.run(
          tenantOf(r),
          providerOf(r),
          repoName(r),
          name,
          deleted ? 'deleted' : 'live',
          sha,
          at,
          at,
          deleted ? at : null,
          at,
        )
      }
    }
    // A few dead letters in every tenant (the dead-letters page lists state = 'dead').
    db.prepare(`UPDATE notifications SET state = 'dead' WHERE seq % 25 = 0`).run()
  })()
  console.log(
    `filled ${DELIVERIES} deliveries, ${BUILDS} builds, ${NOTIFICATIONS} notifications, ${REPOS} repositories, ` +
      `${REPOS * BRANCHES_PER_REPO} branches in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  db.close()
}

async function main() {
  const keep = process.env.BENCH_DIR
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'tamer-bench-console-'))
  const file = join(dir, 'tamer.db')
  console.log(`load average at start: ${load()} (${dir})`)
  if (keep && existsSync(file)) console.log(`reusing ${file}`)
  else fillStore(file)

  const reader = new BetterSqlite3(file, { readonly: true })
  const one = <T>(sql: string) => reader.prepare(sql).get() as T
  // A delivery with a build and a notice, halfway down; a build with notices; the busiest repository.
  const mid = one<{ id: string; buildId: string; tenant: string }>(
    `SELECT b.delivery_id AS id, b.id AS buildId, b.tenant FROM notifications n JOIN builds b ON b.id = n.build_id
     WHERE n.seq = ${Math.round(NOTIFICATIONS / 2)}`,
  )
  const half = { deliveries: Math.round(DELIVERIES / 2), builds: Math.round(BUILDS / 2) }
  reader.close()
  const scopedTenant = mid.tenant
  const busiest = repoName(0)
  const ownRepo = repoName(Number(scopedTenant.slice(1)))

  const config = testConfig({
    server: { logLevel: 'silent', host: '127.0.0.1', port: 0, rateLimit: { apiPerSource: 0, apiPerTenant: 0 } },
    dataDir: dir,
    tenants: Array.from({ length: TENANTS }, (_, k) => ({ name: `t${k}`, repositories: [`org-${k}/**`] })),
    api: { tokens: [SECRETS.api, { token: 'bench-one-tenant', tenants: [scopedTenant], name: 'one' }] },
  })
  const store = openSqliteStore({ file })
  const service = await composeService(config, {
    store,
    logger: createLogger('silent'),
    diffEngine: nativeEngine,
    hold: ['pipeline', 'notifier', 'reporter'],
  })
  const base = await service.listen()

  async function signIn(token: string): Promise<string> {
    const res = await fetch(`${base}/ui/login`, {
      method: 'POST',
      body: new URLSearchParams({ token, next: '/ui/deliveries' }),
      redirect: 'manual',
    })
    const cookie = res.headers.get('set-cookie')?.split(';')[0]
    if (res.status !== 303 || !cookie) throw new Error(`sign-in: ${res.status}`)
    return cookie
  }
  const cookies = { all: await signIn(SECRETS.api), one: await signIn('bench-one-tenant') }

  const repoPath = (r: string) => `/ui/repos/${encodeURIComponent(r)}/branches`
  const pages = (scope: 'all' | 'one') => {
    const repo = scope === 'all' ? busiest : ownRepo
    return [
      '/ui/deliveries',
      `/ui/deliveries?cursor=${half.deliveries}`,
      '/ui/deliveries?provider=bitbucket-server',
      '/ui/deliveries?status=failed',
      `/ui/deliveries?tenant=${scopedTenant}&status=processed`,
      `/ui/deliveries?repository=${encodeURIComponent(repo)}&provider=github`,
      `/ui/deliveries?repository=${encodeURIComponent(repoName(1999))}`,
      `/ui/deliveries/${mid.id}`,
      '/ui/builds',
      `/ui/builds?cursor=${half.builds}`,
      '/ui/builds?state=running',
      '/ui/builds?job=ci-7',
      `/ui/builds/${mid.buildId}`,
      '/ui/repos',
      '/ui/repos?cursor=1000',
      repoPath(repo),
      `${repoPath(repo)}?state=deleted`,
      '/ui/schedules',
      '/ui/dead-letters',
      `/ui/dead-letters?cursor=${Math.round(NOTIFICATIONS / 2)}`,
    ]
  }
  const request = async (path: string, cookie: string) => {
    const start = performance.now()
    const cpu0 = process.cpuUsage()
    const res = await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' })
    const body = await res.text()
    const ms = performance.now() - start
    const cpu = process.cpuUsage(cpu0)
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 300)}`)
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes: body.length }
  }

  const cases = (['all', 'one'] as const).flatMap((scope) => pages(scope).map((path) => ({ scope, path })))
  // Warm-up: every page's statements prepared and its code compiled before timing.
  for (const c of cases) for (let i = 0; i < 3; i++) await request(c.path, cookies[c.scope])

  const rows: { label: string; p50: number; p99: number; cpu50: number; cpu99: number; kb: number }[] = []
  for (const c of cases) {
    const times: number[] = []
    const cpu: number[] = []
    let bytes = 0
    for (let i = 0; i < REQUESTS; i++) {
      const r = await request(c.path, cookies[c.scope])
      times.push(r.ms)
      cpu.push(r.cpuMs)
      bytes = r.bytes
    }
    times.sort((a, b) => a - b)
    cpu.sort((a, b) => a - b)
    const label = `${c.path} [${c.scope === 'all' ? 'all tenants' : `tenant ${scopedTenant}`}]`
    rows.push({
      label,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      cpu50: percentile(cpu, 50),
      cpu99: percentile(cpu, 99),
      kb: bytes / 1024,
    })
  }

  const width = Math.max(...rows.map((r) => r.label.length))
  // Wall time includes waiting for a core on a loaded machine; CPU time is the process's own work for the
  // request (server and client: they share this process), threads included.
  console.log(`\n${'page'.padEnd(width)}   p50 ms  p99 ms  CPU p50  CPU p99    KB  goal < ${GOAL_MS} ms (p99)`)
  for (const r of rows)
    console.log(
      `${r.label.padEnd(width)}   ${fmt(r.p50)}  ${fmt(r.p99)}   ${fmt(r.cpu50)}   ${fmt(r.cpu99)}  ` +
        `${r.kb.toFixed(0).padStart(4)}  ${r.p99 < GOAL_MS ? 'ok' : 'SLOW'}`,
    )
  const slow = rows.filter((r) => r.p99 >= GOAL_MS)
  const worst = rows.reduce((a, b) => (b.p99 > a.p99 ? b : a))
  console.log(
    `\n${rows.length} pages, ${REQUESTS} requests each over HTTP: ${slow.length} over the goal; ` +
      `worst p99 ${worst.p99.toFixed(1)} ms (${worst.label})`,
  )
  const worstCpu = rows.reduce((a, b) => (b.cpu99 > a.cpu99 ? b : a))
  console.log(`worst CPU p99 ${worstCpu.cpu99.toFixed(1)} ms (${worstCpu.label})`)
  console.log(`load average at end: ${load()}`)
  await service.close()
  if (!keep) rmSync(dir, { recursive: true, force: true })
  if (slow.length) process.exitCode = 1
}

await main()
