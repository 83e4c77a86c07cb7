// Work leases on PostgreSQL (src/store/leases.ts): a claim is one statement that locks the due rows
// nobody holds with FOR UPDATE SKIP LOCKED (rows another replica is claiming at that moment are
// passed over, never waited for) and stamps them with this replica's name and an expiry. A row
// whose lease ended is free again, so a killed replica's work is taken over once its lease ends.
// Wake-ups cross replicas with LISTEN/NOTIFY on one channel; polling stays the fallback.
// https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE
// https://www.postgresql.org/docs/15/sql-notify.html
import pg from 'pg'
import { ACTIVE_BUILD_STATES, type BuildRecord } from '../builds.js'
import type { Due, Lease, WorkKind, WorkLeaseStore } from '../leases.js'
import { WORK_KINDS } from '../leases.js'
import { toBuild } from '../sqlite/build-reads.js'
import { toDelivery } from '../sqlite/delivery-row.js'
import { toPost } from '../sqlite/host-post-reads.js'
import { toNotification } from '../sqlite/notification-reads.js'
import { DELIVERY_COLUMNS } from '../sqlite/page-lists.js'
import { createPgDiffJobs } from './diff-jobs.js'
import { scalar, WORK_CHANNEL, type Queryable } from './sql.js'

const TABLES: Record<WorkKind, string> = {
  delivery: 'deliveries',
  build: 'builds',
  notice: 'notifications',
  'host-post': 'host_posts',
  diff: 'diff_jobs',
}

const ACTIVE = [...ACTIVE_BUILD_STATES]
const FREE = '(lease_until IS NULL OR lease_until <= $1)'

/**
 * Claims at most `limit` rows of `table` matching `where` (its parameters from $4 on; $1 is the
 * lease's clock, $2 its owner, $3 its end), in `order`. Returns the claimed rows in that order.
 */
async function claim(
  db: Queryable,
  table: string,
  where: string,
  order: string,
  lease: Lease,
  limit: number,
  params: unknown[],
  columns = `${table}.*`,
): Promise<Record<string, unknown>[]> {
  const n = params.length + 4
  const { rows } = await db.query(
    `WITH c AS (
       SELECT seq AS claimed FROM ${table} WHERE ${where} AND ${FREE}
       ORDER BY ${order} LIMIT $${n} FOR UPDATE SKIP LOCKED)
     UPDATE ${table} SET lease_owner = $2, lease_until = $3 FROM c WHERE seq = c.claimed RETURNING ${columns}`,
    [lease.now, lease.owner, lease.until, ...params, limit],
  )
  return rows
}

const byDue = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Number(a.next_attempt_at ?? 0) - Number(b.next_attempt_at ?? 0) || Number(a.seq) - Number(b.seq)
const bySeq = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.seq) - Number(b.seq)

/**
 * The next retry time of `where`'s rows, or the soonest end of another owner's lease on one that is
 * due now: a replica that died holding due work is looked at again when its lease ends.
 */
async function nextAt(db: Queryable, table: string, where: string, lease: Lease, params: unknown[]) {
  const n = params.length
  return scalar<number>(
    db,
    `SELECT min(x) FROM (
       SELECT min(next_attempt_at) AS x FROM ${table} WHERE ${where} AND next_attempt_at > $${n + 1}
       UNION ALL
       SELECT min(lease_until) FROM ${table} WHERE ${where}
         AND (next_attempt_at IS NULL OR next_attempt_at <= $${n + 1}) AND lease_until > $${n + 1}
         AND lease_owner <> $${n + 2}) m`,
    [...params, lease.now, lease.owner],
  )
}

export interface PgWorkLeases extends WorkLeaseStore {
  /** Stops listening (the store's close). */
  stopListening(): Promise<void>
}

export function createPgLeases(pool: pg.Pool, url: string, types: unknown): PgWorkLeases {
  const listeners = new Set<(kinds: WorkKind[]) => void>()
  let listener: pg.Client | null = null
  let retry: NodeJS.Timeout | null = null
  let closed = false

  const tell = (payload: string | undefined) => {
    const kinds = (payload ?? '').split(',').filter((k): k is WorkKind => (WORK_KINDS as readonly string[]).includes(k))
    for (const l of [...listeners]) l(kinds)
  }

  /** One connection of its own, outside the pool: LISTEN belongs to a session. Lost, it is made again. */
  const listen = () => {
    if (closed || listener) return
    const client = new pg.Client({ connectionString: url, application_name: 'tamer-listen', types: types as never })
    listener = client
    const again = () => {
      if (listener !== client) return
      listener = null
      client.end().catch(() => {})
      // Until it is back, the units' polling finds the work; on reconnecting, everyone looks once.
      if (!closed) retry = setTimeout(() => ((retry = null), listen()), 1_000)
    }
    client.on('error', again)
    client.on('end', again)
    client.on('notification', (m) => tell(m.payload))
    client
      .connect()
      .then(() => client.query(`LISTEN ${WORK_CHANNEL}`))
      .then(() => tell(WORK_KINDS.join(',')))
      .catch(again)
  }

  return {
    sharedWork: true,
    diffJobs: createPgDiffJobs(pool),
    async claimPendingDeliveries(lease, limit) {
      const rows = await claim(pool, 'deliveries', `status = 'pending'`, 'seq', lease, limit, [], DELIVERY_COLUMNS)
      return rows.sort(bySeq).map((r) => toDelivery(r as never))
    },
    async claimDueBuilds(lease, limit): Promise<Due<BuildRecord>> {
      const where = 'state = ANY($4::text[]) AND (next_attempt_at IS NULL OR next_attempt_at <= $1)'
      const rows = await claim(pool, 'builds', where, 'coalesce(next_attempt_at, 0), seq', lease, limit, [ACTIVE])
      const next = await nextAt(pool, 'builds', 'state = ANY($1::text[])', lease, [ACTIVE])
      return { due: rows.sort(byDue).map((r) => toBuild(r as never)), nextAt: next ?? null }
    },
    async claimDueNotifications(lease, limit) {
      const where = `state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)`
      const rows = await claim(pool, 'notifications', where, 'coalesce(next_attempt_at, 0), seq', lease, limit, [])
      const next = await nextAt(pool, 'notifications', `state = 'pending'`, lease, [])
      return { due: rows.sort(byDue).map((r) => toNotification(r as never)), nextAt: next ?? null }
    },
    async claimDueHostPosts(lease, limit) {
      const where = `state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)`
      const rows = await claim(pool, 'host_posts', where, 'seq', lease, limit, [])
      const next = await nextAt(pool, 'host_posts', `state = 'pending'`, lease, [])
      return { due: rows.sort(bySeq).map((r) => toPost(r as never)), nextAt: next ?? null }
    },
    async releaseWork(kind, id, owner) {
      await pool.query(
        `UPDATE ${TABLES[kind]} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`,
        [id, owner],
      )
    },
    async renewLeases(owner, until) {
      // Rows the writer's open transaction holds are skipped for this beat (the next one renews them): locking
      // many rows in another order than that transaction would deadlock with it.
      for (const t of Object.values(TABLES))
        await pool.query(
          `UPDATE ${t} SET lease_until = $2
           WHERE seq IN (SELECT seq FROM ${t} WHERE lease_owner = $1 FOR UPDATE SKIP LOCKED)`,
          [owner, until],
        )
    },
    async releaseLeases(owner) {
      let released = 0
      // Row by row in seq order (the writer is stopped by then; another replica's claims skip locked rows).
      for (const t of Object.values(TABLES))
        released +=
          (
            await pool.query(
              `UPDATE ${t} SET lease_owner = NULL, lease_until = NULL
               WHERE seq IN (SELECT seq FROM ${t} WHERE lease_owner = $1 ORDER BY seq FOR UPDATE)`,
              [owner],
            )
          ).rowCount ?? 0
      return released
    },
    onWork(l) {
      listeners.add(l)
      listen()
      return () => void listeners.delete(l)
    },
    async stopListening() {
      closed = true
      if (retry) clearTimeout(retry)
      const client = listener
      listener = null
      await client?.end().catch(() => {})
    },
  }
}
