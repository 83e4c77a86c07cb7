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
  /**
   * A column of few values whose (…, column, seq) indexes also serve the lists that do not filter on it: one arm
   * per value, each in seq order, merged, instead of an index without it that every insert writes too. Not for an
   * unfiltered list (the table's own order serves it).
   */
  armsBy?: { column: string; values: readonly string[] }
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
const MAX_ARMS = 500

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
  const split = list.armsBy
  const values =
    split && (given.length > 0 || q.tenants) && !given.some(([, column]) => column === split.column)
      ? split.values
      : [undefined]
  /** One arm per value of armsBy (one arm when unsplit), each with the tenant's term when given. */
  const arms = (tenant: unknown, extra = '', extraParams: unknown[] = []) =>
    values.map((value) => ({
      sql: `${list.select} WHERE ${[
        ...(tenant === undefined ? [] : [term('tenant')]),
        ...where.slice(0, -1),
        ...(value === undefined ? [] : [`${split!.column} = ?`]),
        where.at(-1)!,
      ].join(' AND ')}${extra}`,
      params: [
        ...(tenant === undefined ? [] : [tenant]),
        ...params.slice(0, -1),
        ...(value === undefined ? [] : [value]),
        params.at(-1),
        ...extraParams,
      ],
    }))
  const statement = (parts: PageStatement[]): PageStatement => ({
    sql: `${parts.map((a) => a.sql).join(' UNION ALL ')} ORDER BY seq DESC LIMIT ?`,
    params: [...parts.flatMap((a) => a.params), q.limit],
  })
  if (!q.tenants) return [statement(arms(undefined))]
  const tenants = [...new Set(q.tenants)]
  if (tenants.length === 0) return []
  // Narrowed, the tenant is checked on the narrowing index's rows in one search, not one per tenant.
  if (narrowed.has('tenant'))
    return [statement(arms(undefined, ` AND +tenant IN (${tenants.map(() => '?').join(', ')})`, tenants))]
  // SQLite allows 500 arms (SQLITE_MAX_COMPOUND_SELECT): 100 tenants × 5 delivery statuses.
  const perStatement = Math.min(TENANTS_PER_STATEMENT, Math.floor(MAX_ARMS / values.length))
  const statements: PageStatement[] = []
  for (let i = 0; i < tenants.length; i += perStatement)
    statements.push(statement(tenants.slice(i, i + perStatement).flatMap((tenant) => arms(tenant))))
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
