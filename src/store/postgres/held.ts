// BuildStore.heldBuildBefore on PostgreSQL, for the reads (the pool) and for a plan's transaction, which checks
// it before writing a trigger's intent (PlannedBuild.intent).
import { named, type Queryable } from './sql.js'

/**
 * A build Jenkins has not taken because a call failed or it was held (BuildStore.heldBuildBefore): the
 * predicate of the partial index builds_held, word for word, so the planner can prove it and use the index.
 */
export const HELD_BUILD =
  "state = 'waiting-for-jenkins' OR (state = 'pending' AND next_attempt_at > 0) " +
  "OR (state = 'triggering' AND (attempts > 1 OR missed_at IS NOT NULL))"

export async function heldBuildBefore(
  db: Queryable,
  job: string,
  seq: number,
): Promise<{ id: string; nextAttemptAt: number | null } | null> {
  // One walk of builds_held (migration 7), which holds only such builds: the few an outage leaves. Prepared.
  const { rows } = await db.query<{ id: string; next_attempt_at: string | number | null }>(
    named(
      `SELECT id, next_attempt_at FROM builds WHERE job = $1 AND seq < $2 AND (${HELD_BUILD}) ORDER BY seq DESC LIMIT 1`,
      [job, seq],
    ),
  )
  const r = rows[0]
  if (!r) return null
  return { id: r.id, nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at) }
}
