// The newest-first, filtered, tenant-scoped, cursor-paged list every API reads (deliveries,
// builds, notifications): built once here, statements prepared once per filter shape.
import type { Database, Statement } from 'better-sqlite3'

export interface PageQuery {
  /** Column = value filters; undefined values are left out. */
  equals: Record<string, unknown>
  tenants?: readonly string[]
  before?: number
  limit: number
}

export function createPageQuery(db: Database, select: string) {
  const prepared = new Map<string, Statement>()
  return (q: PageQuery): unknown[] => {
    const where: string[] = []
    const params: unknown[] = []
    for (const [column, value] of Object.entries(q.equals)) if (value !== undefined) (where.push(`${column} = ?`), params.push(value))
    if (q.before !== undefined) (where.push('seq < ?'), params.push(q.before))
    if (q.tenants) {
      if (q.tenants.length === 0) return []
      where.push(`tenant IN (${q.tenants.map(() => '?').join(', ')})`)
      params.push(...q.tenants)
    }
    const sql = `${select} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`
    let stmt = prepared.get(sql)
    if (!stmt) prepared.set(sql, (stmt = db.prepare(sql)))
    return stmt.all(...params, q.limit)
  }
}
