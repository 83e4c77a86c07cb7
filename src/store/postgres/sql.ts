// What the PostgreSQL reads and writes run on: the pool (reads, each its own statement) or the
// writer's client inside its transaction. Both are pg's `query`.
import { createHash } from 'node:crypto'
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg'
import { ACTIVE_BUILD_STATES } from '../builds.js'

/** The channel every replica LISTENs on (leases.ts); the payload is the kinds of work committed, comma-separated. */
export const WORK_CHANNEL = 'tamer_work'

/**
 * A build is active, with its states written into the statement: a partial index (builds_due, migration 7) is
 * used only where the query's own condition proves its predicate, which a parameter never does
 * (test/store/postgres-hot.test.ts checks).
 */
export const ACTIVE_BUILD_SQL = `state IN (${ACTIVE_BUILD_STATES.map((s) => `'${s}'`).join(', ')})`

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>>
  /** A named statement: prepared once per connection, then only executed. */
  query<R extends QueryResultRow = QueryResultRow>(q: QueryConfig): Promise<QueryResult<R>>
}

/** The first row's first column, or null. */
export async function scalar<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T | null> {
  const { rows } = await db.query(sql, params)
  const row = rows[0] as Record<string, unknown> | undefined
  return row ? (Object.values(row)[0] as T) : null
}

export async function one<R>(db: Queryable, sql: string, params: unknown[] = []): Promise<R | null> {
  return ((await db.query(sql, params)).rows[0] as R | undefined) ?? null
}

export async function all<R>(db: Queryable, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query(sql, params)).rows as R[]
}

/**
 * A statement prepared once per connection, named by its text: the trigger path's statements (a plan, a build's
 * update, a claim) cost PostgreSQL as much to parse and plan as to run (issue #16: a plan's one statement
 * 0.8 -> 1.2 ms of a backend's CPU unprepared, bench phases). Only for texts of a small family (they vary
 * with a plan's build count or a patch's columns, not with values): each stays prepared on its connection.
 */
export function named(text: string, values: unknown[]): QueryConfig {
  return { name: `t${createHash('sha1').update(text).digest('base64url').slice(0, 16)}`, text, values }
}
