// Diff jobs on PostgreSQL (../leases.ts): claimed like the other work (leases.ts: FOR UPDATE
// SKIP LOCKED, an owner and an expiry the keeper renews), so a push is diffed by one replica and a
// killed replica's jobs are taken over once their leases end. Queueing tells every replica with
// NOTIFY in the same statement; the claim also gives up spent jobs and says when another
// replica's lease ends, so that one statement is a whole look at the queue.
// https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING
import type { DiffJob, DiffJobQueue } from '../leases.js'
import { WORK_CHANNEL, type Queryable } from './sql.js'

const FREE = '(lease_until IS NULL OR lease_until <= $1)'

interface JobRow {
  what: 'claimed' | 'spent' | 'next'
  id: string | null
  tenant: string | null
  attempts: number | null
  /** claimed: the job's tag; next: the soonest end of another replica's lease */
  turn: number | null
  seq: number | null
}

const toJob = (r: JobRow): DiffJob => ({ deliveryId: r.id!, tenant: r.tenant!, attempts: Number(r.attempts) })

export function createPgDiffJobs(db: Queryable, now: () => number = Date.now): DiffJobQueue {
  return {
    async queueDiffJobs(jobs, limit) {
      if (jobs.length === 0) return
      // Tenants take turns by tag (start-time fair queueing): a tenant's next job is tagged after its
      // last one, a tenant with none queued starts at the lowest tag, and claims go lowest tag first.
      await db.query(
        `WITH incoming AS (
           SELECT DISTINCT ON (id) id, tenant, ord FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(id, tenant, ord)
           WHERE NOT EXISTS (SELECT 1 FROM diff_jobs j WHERE j.id = u.id) ORDER BY id, ord),
         low AS (SELECT coalesce(min(tag), 1) - 1 AS tag FROM diff_jobs),
         q AS (
           INSERT INTO diff_jobs (id, tenant, tag, queued_at)
           SELECT i.id, i.tenant,
             coalesce((SELECT max(j.tag) FROM diff_jobs j WHERE j.tenant = i.tenant), (SELECT tag FROM low))
               + row_number() OVER (PARTITION BY i.tenant ORDER BY i.ord), $3
           FROM incoming i ORDER BY i.ord
           ON CONFLICT (id) DO NOTHING RETURNING 1)
         SELECT pg_notify('${WORK_CHANNEL}', 'diff') FROM (SELECT 1 FROM q LIMIT 1) n`,
        [jobs.map((j) => j.deliveryId), jobs.map((j) => j.tenant), now()],
      )
      // Past the limit, the oldest waiting jobs of the tenant with the most go, one tenant per statement.
      for (let round = 0; round < 8; round++) {
        const { rowCount } = await db.query(
          `WITH waiting AS (SELECT seq, tenant FROM diff_jobs WHERE ${FREE}),
                over AS (SELECT count(*) - $2 AS n FROM waiting),
                longest AS (SELECT tenant FROM waiting GROUP BY tenant ORDER BY count(*) DESC, min(seq) LIMIT 1)
           DELETE FROM diff_jobs WHERE seq IN (
             SELECT seq FROM waiting WHERE tenant = (SELECT tenant FROM longest)
             ORDER BY seq LIMIT greatest((SELECT n FROM over), 0))`,
          [now(), limit],
        )
        if (!rowCount) return
      }
    },

    async claimDiffJobs(lease, limit, maxAttempts, busyTenants) {
      // One job per tenant per claim (each tenant's lowest tag), lowest tags first; the caller claims again for more.
      // `next` counts spent jobs too: one held by a dead replica is given up when its lease ends, not a lease later.
      const { rows } = await db.query<JobRow>(
        `WITH spent AS (
           DELETE FROM diff_jobs WHERE attempts >= $4 AND ${FREE} RETURNING id, tenant, attempts),
         ranked AS (
           SELECT seq, tag, row_number() OVER (PARTITION BY tenant ORDER BY tag, seq) AS turn FROM diff_jobs
           WHERE attempts < $4 AND ${FREE} AND NOT (tenant = ANY($5::text[]))),
         c AS (
           SELECT j.seq, r.tag FROM diff_jobs j JOIN ranked r ON r.seq = j.seq
           WHERE r.turn = 1 AND j.attempts < $4 AND (j.lease_until IS NULL OR j.lease_until <= $1)
           ORDER BY r.tag, j.seq LIMIT $6 FOR UPDATE OF j SKIP LOCKED),
         claimed AS (
           UPDATE diff_jobs SET lease_owner = $2, lease_until = $3, attempts = diff_jobs.attempts + 1
           FROM c WHERE diff_jobs.seq = c.seq RETURNING diff_jobs.id, diff_jobs.tenant, diff_jobs.attempts, c.tag, c.seq)
         SELECT 'claimed' AS what, id, tenant, attempts, tag AS turn, seq FROM claimed
         UNION ALL SELECT 'spent', id, tenant, attempts, NULL, NULL FROM spent
         UNION ALL SELECT 'next', NULL, NULL, NULL, min(lease_until), NULL FROM diff_jobs
           WHERE lease_until > $1 AND lease_owner <> $2`,
        [lease.now, lease.owner, lease.until, maxAttempts, busyTenants, limit],
      )
      const claimed = rows
        .filter((r) => r.what === 'claimed')
        .sort((a, b) => Number(a.turn) - Number(b.turn) || Number(a.seq) - Number(b.seq))
      const next = rows.find((r) => r.what === 'next')?.turn
      return {
        due: claimed.map(toJob),
        givenUp: rows.filter((r) => r.what === 'spent').map(toJob),
        nextAt: next == null ? null : Number(next),
      }
    },

    async finishDiffJob(deliveryId, owner) {
      await db.query('DELETE FROM diff_jobs WHERE id = $1 AND lease_owner = $2', [deliveryId, owner])
    },
  }
}
