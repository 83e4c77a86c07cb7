// BuildStore.heldBuildBefore on PostgreSQL, for the reads (the pool) and for a plan's transaction, which checks
// it before writing a trigger's intent (PlannedBuild.intent).
import { one, type Queryable } from './sql.js'

export async function heldBuildBefore(
  db: Queryable,
  job: string,
  seq: number,
): Promise<{ id: string; nextAttemptAt: number | null } | null> {
  const r = await one<{ id: string; next_attempt_at: string | number | null }>(
    db,
    // Three index walks over the few rows each can match (SQLite's createHeldBuildQuery says why).
    `SELECT id, next_attempt_at FROM (
       (SELECT seq, id, next_attempt_at FROM builds WHERE job = $1 AND state = 'waiting-for-jenkins' AND seq < $2
        ORDER BY seq DESC LIMIT 1)
       UNION ALL
       (SELECT seq, id, next_attempt_at FROM builds WHERE state = 'pending' AND next_attempt_at > 0 AND job = $1
          AND seq < $2 ORDER BY seq DESC LIMIT 1)
       UNION ALL
       (SELECT seq, id, next_attempt_at FROM builds WHERE job = $1 AND state = 'triggering' AND seq < $2
          AND (attempts > 1 OR missed_at IS NOT NULL) ORDER BY seq DESC LIMIT 1)
     ) h ORDER BY seq DESC LIMIT 1`,
    [job, seq],
  )
  if (!r) return null
  return { id: r.id, nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at) }
}
