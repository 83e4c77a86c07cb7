// The newest-first, filtered, tenant-scoped, cursor-paged list every API reads (deliveries,
// builds, notifications, audit): built once here, statements prepared once per filter shape.
// Each shape has an index on (its filter columns…, seq) (migration 13), so a page reads `limit`
// rows whatever the table's size; test/store/query-plans.test.ts checks every shape's plan.
import type { Database, Statement } from 'better-sqlite3'

export interface PageList<F extends string> {
  /** `SELECT … FROM <table>`, with `seq` among the columns. */
  select: string
  /** Each filter of the list's query and the column it compares for equality. */
  filters: Record<F, string>
  /**
   * Filters left to a row-by-row check after another filter's index: the key's rows are few or
   * nearly all match (a repository's tenant is tenantOf(repository)), so no index is spent on them.
   */
  narrowedBy?: Partial<Record<string, readonly string[]>>
}

export type PageQuery<F extends string> = { [K in F]?: string | number } & {
  /** Only these tenants' rows (API tokens scoped to tenants); none at all when empty. */
  tenants?: readonly string[]
  /** Only rows with seq below this (pages run newest first). */
  before?: number
  limit: number
}

export interface PageStatement {
  sql: string
  params: unknown[]
}

/**
 * Tenants per statement. SQLite reads `tenant IN (…) ORDER BY seq` from the (tenant, …, seq)
 * index one tenant after the other and sorts everything they hold (USE TEMP B-TREE); one
 * `UNION ALL` arm per tenant, each already in seq order, is merged instead and stops at the limit
 * (https://sqlite.org/lang_select.html#compound_select_statements). SQLite allows 500 arms
 * (SQLITE_MAX_COMPOUND_SELECT); more tenants take several statements, merged here.
 */
export const TENANTS_PER_STATEMENT = 100

/** `seq < ?` always (the top without a cursor): one shape per filter set, and a range search. */
const NO_CURSOR = Number.MAX_SAFE_INTEGER

/** The statements one page reads (several only for tokens with more than TENANTS_PER_STATEMENT tenants). */
export function pageStatements<F extends string>(list: PageList<F>, q: PageQuery<F>): PageStatement[] {
  const given = (Object.entries(list.filters) as [F, string][]).filter(([field]) => q[field] !== undefined)
  // A column another filter narrows is written `+column`, which no index can serve, so SQLite
  // searches the narrowing column's index, not one of the narrowed's with as many columns
  // (https://sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_).
  const narrowed = new Set(given.flatMap(([, column]) => list.narrowedBy?.[column] ?? []))
  const term = (column: string) => `${narrowed.has(column) ? '+' : ''}${column} = ?`
  const where = [...given.map(([, column]) => term(column)), 'seq < ?']
  const params: unknown[] = [...given.map(([field]) => q[field]), q.before ?? NO_CURSOR]
  const arm = (tenant: boolean) =>
    `${list.select} WHERE ${[...(tenant ? [term('tenant')] : []), ...where].join(' AND ')}`
  const order = `ORDER BY seq DESC LIMIT ?`
  if (!q.tenants) return [{ sql: `${arm(false)} ${order}`, params: [...params, q.limit] }]
  const tenants = [...new Set(q.tenants)]
  if (tenants.length === 0) return []
  // Narrowed, the tenant is checked on the narrowing index's rows in one search, not one per tenant.
  if (narrowed.has('tenant'))
    return [
      {
        sql: `${arm(false)} AND +tenant IN (${tenants.map(() => '?').join(', ')}) ${order}`,
        params: [...params, ...tenants, q.limit],
      },
    ]
  const statements: PageStatement[] = []
  for (let i = 0; i < tenants.length; i += TENANTS_PER_STATEMENT) {
    const chunk = tenants.slice(i, i + TENANTS_PER_STATEMENT)
    statements.push({
      sql: `${chunk.map(() => arm(true)).join(' UNION ALL ')} ${order}`,
      params: [...chunk.flatMap((tenant) => [tenant, ...params]), q.limit],
    })
  }
  return statements
}

export function createPageQuery<F extends string>(db: Database, list: PageList<F>) {
  const prepared = new Map<string, Statement>()
  return (q: PageQuery<F>): unknown[] => {
    const pages = pageStatements(list, q).map(({ sql, params }) => {
      let stmt = prepared.get(sql)
      if (!stmt) prepared.set(sql, (stmt = db.prepare(sql)))
      return stmt.all(...params) as { seq: number }[]
    })
    if (pages.length === 1) return pages[0]!
    return pages
      .flat()
      .sort((a, b) => b.seq - a.seq)
      .slice(0, q.limit)
  }
}
