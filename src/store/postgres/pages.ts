// The newest-first, filtered, tenant-scoped, cursor-paged lists of the API on PostgreSQL: the same
// lists as SQLite's (../sqlite/page-lists.ts: what each selects, which column each filter
// compares), one statement each; the planner reads the (filters…, seq) indexes of the schema.
import type { PageList, PageQuery } from '../sqlite/page-query.js'
import type { Queryable } from './sql.js'

export function createPgPageQuery<F extends string>(db: Queryable, list: PageList<F>) {
  return async (q: PageQuery<F>): Promise<unknown[]> => {
    const params: unknown[] = []
    const where: string[] = []
    const arg = (v: unknown) => `$${params.push(v)}`
    for (const [field, column] of Object.entries(list.filters) as [F, string][])
      if (q[field] !== undefined) where.push(`${column} = ${arg(q[field])}`)
    if (q.tenants) {
      const tenants = [...new Set(q.tenants)]
      if (tenants.length === 0) return []
      where.push(`tenant = ANY(${arg(tenants)}::text[])`)
    }
    if (q.before !== undefined) where.push(`seq < ${arg(q.before)}`)
    const sql = `${list.select}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${arg(q.limit)}`
    return (await db.query(sql, params)).rows
  }
}
