// npm run bench:list — the list API at 500k stored deliveries (issue #12, item 5; goal: every
// documented filter, tenant scope and cursor < 20 ms). Fills a store in a temp dir with one
// transaction of direct inserts into its own schema (migrations up to the one before the list
// indexes), times a few pages at the store before them, times each migration from there, then
// opens the real app on the file and times every filter combination of /api/deliveries,
// /api/builds and /api/notifications through app.inject, unscoped and with tokens scoped to one
// and to three tenants, from the top and from a cursor halfway down.
// BENCH_DELIVERIES (500000) sizes the store: builds are half as many, notifications a tenth;
// BENCH_REQUESTS (100) requests per case, after one warm-up round of every case. BENCH_DIR: fill
// there (or reuse what a run left there) and keep it. BENCH_BEFORE=<a checkout of an older commit>:
// that tree's app too, on the same file in the same process, the two taking turns request by request.
// CPU per request is the process's in the request's window (see cpuMs).
import { existsSync, mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { BUILD_STATES } from '../src/store/builds.js'
import { NOTIFICATION_STATES } from '../src/store/notifications.js'
import { DELIVERY_STATUSES } from '../src/store/store.js'
import { MIGRATIONS, migrate } from '../src/store/sqlite/migrations.js'
import { DELIVERY_PAGES } from '../src/store/sqlite/page-lists.js'
import { pageStatements } from '../src/store/sqlite/page-query.js'
import * as thisTree from '../test/support/app.js'
import { fill, fmt, percentile, PROVIDERS, repoName, TENANTS, tenantOf } from './store-fill.js'

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 500_000)
const BUILDS = Math.round(DELIVERIES / 2)
const NOTIFICATIONS = Math.round(DELIVERIES / 10)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100)
const GOAL_MS = 20
/**
 * CPU time, ms: the process's, which Linux accounts to the nanosecond for the caller (getrusage
 * RUSAGE_SELF). The main thread's own (threadCpuUsage, /proc/thread-self/schedstat) is only brought up to
 * date at a tick or a switch, so a 1 ms page read 0 or 4 ms there. Hence every thread counts: GC helpers,
 * the writer thread and background work of the app(s) in the request's window (a p99 can hold a collection).
 */
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

function fillAndMigrate(file: string, listIndexes: (typeof MIGRATIONS)[number]) {
  // The fill writes a new file: no WAL and no fsync, the pages go straight to it.
  let db = new BetterSqlite3(file)
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  migrate(db, listIndexes.version - 1)
  let t0 = performance.now()
  fill(db, { deliveries: DELIVERIES, builds: BUILDS, notifications: NOTIFICATIONS })
  console.log(
    `filled ${DELIVERIES} deliveries, ${BUILDS} builds, ${NOTIFICATIONS} notifications in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )

  // Before the list indexes, at the store (no HTTP): the issue's ?provider= query.
  for (const q of [{ provider: 'github' }, { provider: 'bitbucket-server' }, { status: 'failed' }] as Record<
    string,
    string
  >[]) {
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      t0 = performance.now()
      for (const s of pageStatements(DELIVERY_PAGES, { ...q, limit: 51 })) db.prepare(s.sql).all(...s.params)
      times.push(performance.now() - t0)
    }
    console.log(
      `before migration ${listIndexes.version}, store only, /api/deliveries?${new URLSearchParams(q)}: p50 ${fmt(
        percentile(
          times.sort((a, b) => a - b),
          50,
        ),
      )} ms`,
    )
  }
  db.close()

  // As the store opens it: WAL, then the migrations it has not run.
  db = new BetterSqlite3(file)
  db.pragma('journal_mode = WAL')
  for (const m of MIGRATIONS.filter((m) => m.version >= listIndexes.version)) {
    t0 = performance.now()
    migrate(db, m.version)
    const s = ((performance.now() - t0) / 1000).toFixed(1)
    console.log(`migration ${m.version} (${m.name}) on ${DELIVERIES} deliveries: ${s} s`)
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}

async function main() {
  const keep = process.env.BENCH_DIR
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'tamer-bench-list-'))
  const file = join(dir, 'tamer.db')
  const listIndexes = MIGRATIONS.find((m) => m.name === 'list-indexes')!
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${dir})`,
  )
  if (keep && existsSync(file)) console.log(`reusing ${file}`)
  else fillAndMigrate(file, listIndexes)
  // The fill's deliveries bypass the branch registry, so the app's catch-up (pipeline/branches.ts) would read
  // them all back, 200 at a time, on the main thread during the timings: a one-off after an upgrade, not a list's.
  const db = new BetterSqlite3(file)
  const behind = db
    .prepare('UPDATE branch_cursor SET delivery_seq = (SELECT MAX(seq) FROM deliveries) RETURNING delivery_seq')
    .pluck()
    .get()
  console.log(`branch registry marked caught up at delivery ${String(behind)}`)
  db.close()

  const scoped = { one: ['t3'], three: ['t1', 't7', 't13'] }
  const before = process.env.BENCH_BEFORE
  const trees: { name: string; support: typeof thisTree }[] = [{ name: 'this tree', support: thisTree }]
  if (before)
    trees.push({
      name: 'before',
      support: (await import(pathToFileURL(join(resolve(before), 'test/support/app.ts')).href)) as typeof thisTree,
    })
  const { SECRETS } = thisTree
  const configOf = ({ testConfig }: typeof thisTree) =>
    testConfig({
      // The bench sends thousands of requests a minute from one address and three tokens.
      server: { logLevel: 'silent', rateLimit: { apiPerSource: 0, apiPerTenant: 0 } },
      tenants: Array.from({ length: TENANTS }, (_, k) => ({ name: `t${k}`, repositories: [`org-${k}/**`] })),
      api: {
        tokens: [
          SECRETS.api,
          { token: 'bench-one-tenant', tenants: scoped.one, name: 'one' },
          { token: 'bench-three-tenants', tenants: scoped.three, name: 'three' },
        ],
      },
    })
  const teardowns: (() => unknown)[] = []
  const apps = [] as Awaited<ReturnType<typeof thisTree.startTestApp>>[]
  for (const { support } of trees)
    apps.push(await support.startTestApp({ teardown: (fn) => teardowns.push(fn) }, { config: configOf(support), dir }))
  /** Deliveries with builds, for ?delivery=. */
  const reader = new BetterSqlite3(file, { readonly: true })
  const planned = reader.prepare('SELECT delivery_id AS deliveryId, tenant FROM builds WHERE seq % 997 = 1').all() as {
    deliveryId: string
    tenant: string
  }[]
  reader.close()
  const tokens = { all: SECRETS.api, one: 'bench-one-tenant', three: 'bench-three-tenants' } as const

  // Values each case cycles through: every provider, status and state; busy, middling and quiet
  // repositories and jobs, and (scoped) the scope's own and the busiest one, another tenant's.
  const inScope = (tenants: readonly string[] | null, r: number) => tenants === null || tenants.includes(tenantOf(r))
  const repoValues = (tenants: readonly string[] | null) =>
    [0, 1, 7, 60, 400, 1999, 13, 21, 3, 41]
      .filter((r) => inScope(tenants, r))
      .concat(tenants ? [Number(tenants[0]!.slice(1)), 0] : [])
      .map(repoName)
  const deliveryValues = (tenants: readonly string[] | null) =>
    planned.filter((p) => tenants === null || tenants.includes(p.tenant)).map((p) => p.deliveryId)
  const jobValues = ['ci-0', 'ci-3', 'ci-7', 'ci-13', 'ci-49']

  interface Case {
    path: string
    filters: Record<string, string[]>
    scope: keyof typeof tokens
  }
  const cases: Case[] = []
  const combos = <T extends string>(keys: T[]) =>
    keys.reduce<T[][]>((acc, k) => [...acc, ...acc.map((s) => [...s, k])], [[]])
  for (const scope of ['all', 'one', 'three'] as const) {
    const tenants = scope === 'all' ? null : scoped[scope]
    const pools = {
      '/api/deliveries': { provider: [...PROVIDERS], repository: repoValues(tenants), status: [...DELIVERY_STATUSES] },
      '/api/builds': { state: [...BUILD_STATES], delivery: deliveryValues(tenants), job: jobValues },
      '/api/notifications': { state: [...NOTIFICATION_STATES] },
    } as Record<string, Record<string, string[]>>
    for (const [path, pool] of Object.entries(pools))
      for (const keys of combos(Object.keys(pool)))
        cases.push({ path, filters: Object.fromEntries(keys.map((k) => [k, pool[k]!])), scope })
  }

  const cursors = {
    '/api/deliveries': Math.round(DELIVERIES / 2),
    '/api/builds': Math.round(BUILDS / 2),
    '/api/notifications': Math.round(NOTIFICATIONS / 2),
  } as Record<string, number>
  const request = async (app: number, c: Case, cursor: boolean, i: number) => {
    const query = new URLSearchParams(
      Object.entries(c.filters).map(([k, values]): [string, string] => [k, values[i % values.length]!]),
    )
    if (cursor) query.set('cursor', String(cursors[c.path]))
    const start = performance.now()
    const cpu0 = cpuMs()
    const res = await apps[app]!.app.inject({
      method: 'GET',
      url: `${c.path}?${query}`,
      headers: { authorization: `Bearer ${tokens[c.scope]}` },
    })
    const ms = performance.now() - start
    const cpu = cpuMs() - cpu0
    if (res.statusCode !== 200) throw new Error(`${c.path}?${query}: ${res.statusCode} ${res.body}`)
    return { ms, cpuMs: cpu, items: (res.json().items as unknown[]).length }
  }
  // Warm-up: every case's statements prepared and the routes' code compiled before timing.
  for (const c of cases)
    for (const cursor of [false, true])
      for (let i = 0; i < 3; i++) for (let a = 0; a < apps.length; a++) await request(a, c, cursor, i)

  interface Row {
    label: string
    p50: number
    p99: number
    cpu50: number
    cpu99: number
    items: number
  }
  const rows: Row[][] = trees.map(() => [])
  for (const c of cases)
    for (const cursor of [false, true]) {
      const times = trees.map((): number[] => [])
      const cpu = trees.map((): number[] => [])
      const items = trees.map(() => 0)
      // Turns alternate who goes first, so a busier moment of the machine weighs on both.
      for (let i = 0; i < REQUESTS; i++)
        for (let k = 0; k < apps.length; k++) {
          const a = (i + k) % apps.length
          const r = await request(a, c, cursor, i)
          times[a]!.push(r.ms)
          cpu[a]!.push(r.cpuMs)
          items[a]! += r.items
        }
      const filters = Object.keys(c.filters).join('+') || '(none)'
      const label = `${c.path} ${filters}${cursor ? ' +cursor' : ''} [${c.scope === 'all' ? 'all tenants' : `${scoped[c.scope].length} tenant${c.scope === 'one' ? '' : 's'}`}]`
      for (let a = 0; a < apps.length; a++) {
        const wall = times[a]!.sort((x, y) => x - y)
        const own = cpu[a]!.sort((x, y) => x - y)
        rows[a]!.push({
          label,
          p50: percentile(wall, 50),
          p99: percentile(wall, 99),
          cpu50: percentile(own, 50),
          cpu99: percentile(own, 99),
          items: items[a]! / wall.length,
        })
      }
    }

  // Wall time includes waiting for a core on a loaded machine; CPU time is the request's own work.
  const width = Math.max(...rows[0]!.map((r) => r.label.length))
  const cells = (r: Row) => `${fmt(r.p50)}  ${fmt(r.p99)}   ${fmt(r.cpu50)}   ${fmt(r.cpu99)}`
  const head = 'p50 ms  p99 ms  CPU p50  CPU p99'
  console.log(
    `\n${'case'.padEnd(width)}   ${head}  items/page  goal < ${GOAL_MS} ms p99 (wall, CPU)${before ? `   before: ${head}` : ''}`,
  )
  rows[0]!.forEach((r, i) =>
    console.log(
      `${r.label.padEnd(width)}   ${cells(r)}  ${r.items.toFixed(0).padStart(10)}  ${r.p99 < GOAL_MS ? 'ok  ' : 'SLOW'} ${r.cpu99 < GOAL_MS ? 'ok  ' : 'SLOW'}${before ? `             ${cells(rows[1]![i]!)}` : ''}`,
    ),
  )
  for (const [a, { name }] of trees.entries()) {
    const slow = rows[a]!.filter((r) => r.p99 >= GOAL_MS)
    const slowCpu = rows[a]!.filter((r) => r.cpu99 >= GOAL_MS)
    const worst = rows[a]!.reduce((x, y) => (y.p99 > x.p99 ? y : x))
    const worstCpu = rows[a]!.reduce((x, y) => (y.cpu99 > x.cpu99 ? y : x))
    const sum = (f: (r: Row) => number) => rows[a]!.reduce((s, r) => s + f(r), 0).toFixed(0)
    console.log(
      `\n${name}: ${rows[a]!.length} cases, ${REQUESTS} requests each: ${slow.length} over the goal in wall p99, ${slowCpu.length} in CPU p99; worst p99 ${worst.p99.toFixed(1)} ms (${worst.label}); worst CPU p99 ${worstCpu.cpu99.toFixed(1)} ms (${worstCpu.label}); sums of the cases' p50s: wall ${sum((r) => r.p50)} ms, CPU ${sum((r) => r.cpu50)} ms`,
    )
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  if (keep)
    for (const h of apps) {
      await h.app.close()
      await h.store.close()
    }
  else for (const fn of teardowns.reverse()) await fn()
}

await main()
