// Every filter combination of every API list, with and without a tenant scope and a cursor, reads
// an index on (its filter columns…, seq): EXPLAIN QUERY PLAN of the statements the store itself
// prepares (pageStatements over the store's page lists) shows no SCAN of the table and no sort
// (USE TEMP B-TREE), and each filter is a constraint of the index searched, or narrowed by one
// that is (page-lists.ts narrowedBy). A missing index fails here, not in production at 500k rows.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { AuditQuery } from '../../src/http/access.js'
import { ListQuery as DeliveryListQuery } from '../../src/http/api.js'
import { ListQuery as BuildListQuery } from '../../src/http/builds.js'
import { ListQuery as NotificationListQuery } from '../../src/http/notifications.js'
import { MIGRATIONS, migrate } from '../../src/store/sqlite/migrations.js'
import {
  AUDIT_PAGES,
  BUILD_PAGES,
  DELIVERY_PAGES,
  DELIVERY_SUMMARY_PAGES,
  NOTIFICATION_PAGES,
} from '../../src/store/sqlite/page-lists.js'
import {
  pageStatements,
  TENANTS_PER_STATEMENT,
  type PageList,
  type PageQuery,
} from '../../src/store/sqlite/page-query.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { DELIVERY_STATUSES, type NewDelivery } from '../../src/store/store.js'

const LISTS = [
  { table: 'deliveries', list: DELIVERY_PAGES as PageList<string>, route: DeliveryListQuery, routeNames: {} },
  // What GET /api/deliveries and the console's list read.
  { table: 'deliveries', list: DELIVERY_SUMMARY_PAGES as PageList<string>, route: DeliveryListQuery, routeNames: {} },
  {
    table: 'builds',
    list: BUILD_PAGES as PageList<string>,
    route: BuildListQuery,
    routeNames: { delivery: 'deliveryId' },
  },
  {
    table: 'notifications',
    list: NOTIFICATION_PAGES as PageList<string>,
    route: NotificationListQuery,
    routeNames: { build: 'buildId' },
  },
  { table: 'audit_log', list: AUDIT_PAGES as PageList<string>, route: AuditQuery, routeNames: {} },
] as const

const subsets = <T>(xs: readonly T[]): T[][] =>
  xs.reduce<T[][]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]])

const TENANT_SCOPES = [undefined, ['t1'], ['t1', 't2', 't3']]

function openDb(t: { teardown(fn: () => unknown): void }, until?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-plans-'))
  const db = new BetterSqlite3(join(dir, 'plans.db'))
  migrate(db, until)
  t.teardown(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return db
}

/** What is wrong with the plans of every filter combination of `list` (empty: nothing). */
function planProblems(db: BetterSqlite3.Database, table: string, list: PageList<string>): string[] {
  const problems: string[] = []
  for (const fields of subsets(Object.keys(list.filters)))
    for (const tenants of TENANT_SCOPES)
      for (const before of [undefined, 1000]) {
        const q = {
          ...Object.fromEntries(fields.map((f) => [f, `value-of-${f}`])),
          tenants,
          before,
          limit: 51,
        } as PageQuery<string>
        const wanted = [...fields.map((f) => list.filters[f]!), ...(tenants ? ['tenant'] : [])]
        const shape = `${table} ${JSON.stringify({ filters: fields, tenants: tenants?.length, cursor: before !== undefined })}`
        for (const { sql, params } of pageStatements(list, q)) {
          const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
            (r) => r.detail,
          )
          const bad = plan.filter((d) => /^SCAN /.test(d) || /TEMP B-TREE/.test(d))
          if (bad.length) problems.push(`${shape}: ${bad.join('; ')}`)
          const searches = plan.filter((d) => d.startsWith(`SEARCH ${table} `))
          const arms = sql.split(' UNION ALL ').length
          if (searches.length !== arms)
            problems.push(`${shape}: ${searches.length} index searches for ${arms} arms: ${plan.join('; ')}`)
          for (const search of searches) {
            const constraints = /\(([^)]*)\)$/.exec(search)?.[1] ?? ''
            const equal = constraints.split(' AND ').flatMap((c) => /^(\w+)=\?$/.exec(c)?.[1] ?? [])
            const narrowed = equal.flatMap((c) => list.narrowedBy?.[c] ?? [])
            const unindexed = wanted.filter((c) => !equal.includes(c) && !narrowed.includes(c))
            if (unindexed.length) problems.push(`${shape}: ${unindexed.join(', ')} checked row by row: ${search}`)
          }
        }
      }
  return problems
}

t.test('every list filter of the API is a filter of its page list', async (t) => {
  for (const { table, list, route, routeNames } of LISTS) {
    const params = Object.keys(route.properties).filter((p) => p !== 'limit' && p !== 'cursor')
    t.same(
      params.map((p) => (routeNames as Record<string, string>)[p] ?? p).sort(),
      Object.keys(list.filters).sort(),
      table,
    )
  }
})

t.test('every filter combination, tenant scope and cursor reads an index in seq order', async (t) => {
  const db = openDb(t)
  for (const { table, list } of LISTS) t.same(planProblems(db, table, list), [], table)
})

t.test('without the list indexes (migration list-indexes) the plans are refused', async (t) => {
  const listIndexes = MIGRATIONS.find((m) => m.name === 'list-indexes')!
  const db = openDb(t, listIndexes.version - 1)
  for (const { list } of LISTS.slice(0, 2)) {
    const problems = planProblems(db, 'deliveries', list)
    t.ok(
      // One arm per status (page-lists.ts armsBy) reads (status, seq) in order, but checks the provider row by row.
      problems.some(
        (p) =>
          p.startsWith('deliveries {"filters":["provider"],') &&
          (p.includes('TEMP B-TREE') || p.includes('provider checked row by row')),
      ),
      'the issue #12 query: ?provider= read every row',
    )
  }
  for (const { table, list } of LISTS.slice(2, 4)) t.not(planProblems(db, table, list).length, 0, table)
})

function delivery(i: number, tenant: string): NewDelivery {
  return {
    provider: i % 3 ? 'github' : 'gitlab',
    dedupeKey: `k${i}`,
    hostDeliveryId: null,
    eventType: 'push',
    tenant,
    repository: `acme/${tenant}`,
    status: 'pending',
    headers: {},
    body: Buffer.from('{}'),
    normalized: { kind: 'ignored', reason: 'test' },
    receivedAt: new Date().toISOString(),
  }
}

t.test('a scope of many tenants pages newest first across statements, each row once', async (t) => {
  const store = openSqliteStore({ file: ':memory:' })
  t.teardown(() => store.close())
  const tenants = Array.from({ length: TENANTS_PER_STATEMENT + 50 }, (_, i) => `t${i}`)
  const stored = await Promise.all(
    Array.from({ length: 600 }, (_, i) => store.recordDelivery(delivery(i, tenants[(i * 7) % tenants.length]!))),
  )
  t.equal(new Set(stored.map((s) => s.id)).size, 600)
  const all = await store.listDeliveries({ limit: 1000 })
  // Every other tenant, each named twice, in no particular order.
  const scope = tenants.filter((_, i) => i % 2 === 0).reverse()
  const expected = all.filter((d) => scope.includes(d.tenant))
  const pages: string[] = []
  let before: number | undefined
  for (;;) {
    const page = await store.listDeliveries({ provider: 'github', tenants: [...scope, ...scope], before, limit: 40 })
    pages.push(...page.map((d) => d.id))
    if (page.length < 40) break
    before = page.at(-1)!.seq
  }
  t.same(
    pages,
    expected.filter((d) => d.provider === 'github').map((d) => d.id),
  )
  t.same(
    (await store.listDeliveries({ tenants: scope, limit: 10 })).map((d) => d.id),
    expected.slice(0, 10).map((d) => d.id),
  )
  // A repository narrows the tenant: one search, the scope checked on its rows.
  const ofT2 = all.filter((d) => d.tenant === 't2').map((d) => d.id)
  t.ok(ofT2.length > 1)
  t.same(
    (await store.listDeliveries({ repository: 'acme/t2', tenants: scope, limit: 100 })).map((d) => d.id),
    ofT2,
  )
  t.same(await store.listDeliveries({ repository: 'acme/t1', tenants: scope, limit: 100 }), [])
  t.same(await store.listDeliveries({ tenants: [], limit: 10 }), [])
})

t.test('a list that does not filter on status reads every status, newest first (one arm each)', async (t) => {
  const store = openSqliteStore({ file: ':memory:' })
  t.teardown(() => store.close())
  const rows = []
  for (const [i, status] of [...DELIVERY_STATUSES, ...DELIVERY_STATUSES].entries())
    rows.push(await store.recordDelivery({ ...delivery(3 * i + 1, 't1'), status }))
  const newestFirst = rows.map((r) => r.id).reverse()
  t.same(
    (await store.listDeliveries({ provider: 'github', limit: 20 })).map((d) => d.id),
    newestFirst,
  )
  t.same(
    (await store.listDeliveries({ tenants: ['t1'], limit: 20 })).map((d) => d.id),
    newestFirst,
  )
  t.same(
    (await store.listDeliveries({ repository: 'acme/t1', tenants: ['t1', 't2'], limit: 20 })).map((d) => d.id),
    newestFirst,
  )
  // The limit stops the merge across arms, and a cursor continues it.
  const top = await store.listDeliveries({ tenants: ['t1'], provider: 'github', limit: 3 })
  t.same(
    top.map((d) => d.id),
    newestFirst.slice(0, 3),
  )
  const next = await store.listDeliveries({ tenants: ['t1'], provider: 'github', before: top.at(-1)!.seq, limit: 20 })
  t.same(
    next.map((d) => d.id),
    newestFirst.slice(3),
  )
})

t.test('every read of every console page searches an index, never scans or sorts a table', async (t) => {
  // Every statement the store runs while the console answers, recorded at better-sqlite3's Statement (the
  // store prepares them on the main thread; writes go to the writer thread), then explained on the same
  // database with the same parameters.
  const { startPipelineApp } = await import('../support/pipeline-app.js')
  const { SECRETS } = await import('../support/app.js')
  const h = await startPipelineApp(t, {
    rules: [
      {
        name: 'data science',
        repository: 'acme-ds/*',
        events: ['push'],
        template: 'tests-only',
        job: 'ds/{repo}/{branch}',
        schedules: [{ cron: '0 2 * * *' }],
      },
    ],
    config: {
      api: {
        tokens: [
          { token: SECRETS.api, scope: 'operate' },
          { token: 'scoped-token', tenants: ['default', 'x', 'y'] },
        ],
      },
    },
  })
  await h.push()
  await h.drain()
  await h.service.branches.catchUp()
  const [build] = await h.builds()
  t.ok(build, 'a build to show')

  const Statement = Object.getPrototypeOf(new BetterSqlite3(':memory:').prepare('SELECT 1')) as {
    all: (...a: unknown[]) => unknown
    get: (...a: unknown[]) => unknown
  }
  const seen: { sql: string; params: unknown[]; db: BetterSqlite3.Database }[] = []
  let recording = false
  for (const m of ['all', 'get'] as const) {
    const original = Statement[m]
    Statement[m] = function (this: { source: string; database: BetterSqlite3.Database }, ...params: unknown[]) {
      if (recording) seen.push({ sql: this.source, params, db: this.database })
      return original.apply(this, params)
    }
    t.teardown(() => void (Statement[m] = original))
  }
  const pages = [
    '/ui/deliveries',
    '/ui/deliveries?provider=github&status=processed',
    '/ui/deliveries?tenant=default&repository=acme-ds%2Fchurn-model',
    `/ui/deliveries/${build!.deliveryId}`,
    '/ui/builds',
    '/ui/builds?state=running&job=x',
    `/ui/builds/${build!.id}`,
    '/ui/repos',
    `/ui/repos/${encodeURIComponent('acme-ds/churn-model')}/branches`,
    `/ui/repos/${encodeURIComponent('acme-ds/churn-model')}/branches?state=deleted&cursor=5`,
    '/ui/schedules',
    '/ui/dead-letters',
  ]
  for (const token of [SECRETS.api, 'scoped-token']) {
    const login = await h.app.inject({ method: 'POST', url: '/ui/login', payload: { token } })
    const cookie = String(login.headers['set-cookie']).split(';')[0]!
    for (const url of pages) {
      recording = true
      const res = await h.app.inject({ url, headers: { cookie } })
      recording = false
      t.equal(res.statusCode, 200, url)
    }
  }
  const problems: string[] = []
  const statements = new Map(seen.map((s) => [s.sql, s]))
  const someDb = seen[0]!.db
  const tables = new Set(
    someDb.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
  )
  // Sorts of rows already bounded by what was asked: the runs of the builds shown (ids in json_each), the
  // last build of each rule on the branches shown (one row per rule).
  const bounded = [/IN \(SELECT value FROM json_each\(\?\)\)/, /GROUP BY rule\) AS last/]
  for (const { sql, params, db } of statements.values()) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail)
    const bad = plan.filter(
      (d) =>
        (/^SCAN (\w+)/.test(d) && tables.has(/^SCAN (\w+)/.exec(d)![1]!)) ||
        (/TEMP B-TREE/.test(d) && !bounded.some((b) => b.test(sql))),
    )
    if (bad.length) problems.push(`${sql}: ${bad.join('; ')}`)
  }
  t.ok(statements.size >= 10, `${statements.size} distinct statements`)
  t.same(problems, [])
})
