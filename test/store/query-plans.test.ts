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
import { AUDIT_PAGES, BUILD_PAGES, DELIVERY_PAGES, NOTIFICATION_PAGES } from '../../src/store/sqlite/page-lists.js'
import {
  pageStatements,
  TENANTS_PER_STATEMENT,
  type PageList,
  type PageQuery,
} from '../../src/store/sqlite/page-query.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { NewDelivery } from '../../src/store/store.js'

const LISTS = [
  { table: 'deliveries', list: DELIVERY_PAGES as PageList<string>, route: DeliveryListQuery, routeNames: {} },
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
  const problems = planProblems(db, 'deliveries', DELIVERY_PAGES as PageList<string>)
  t.ok(
    problems.some((p) => p.startsWith('deliveries {"filters":["provider"],') && p.includes('TEMP B-TREE')),
    'the issue #12 query: ?provider= sorted the table',
  )
  for (const { table, list } of LISTS.slice(1, 3)) t.not(planProblems(db, table, list).length, 0, table)
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
