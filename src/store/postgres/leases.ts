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
import { WORK_CHANNEL, type Queryable } from './sql.js'

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
 * Claims at most `limit` due rows of `table` matching `where` (parameters from $4 on, as claim's), in
 * `order`, and in the same statement (one round trip, issue #16) the next time one falls due: the next
 * retry of `where`'s rows, or the soonest end of another owner's lease on one that is due now (a replica
 * that died holding due work is looked at again when its lease ends). Every part of a statement reads one
 * snapshot, from before its UPDATE: the rows claimed here were free in it, so they are not the "other
 * owner's lease" (as when the two were separate statements, the second after the claim).
 */
async function claimDue(
  db: Queryable,
  table: string,
  where: string,
  order: string,
  lease: Lease,
  limit: number,
  params: unknown[],
): Promise<{ rows: Record<string, unknown>[]; nextAt: number | null }> {
  const n = params.length + 4
  const due = '(next_attempt_at IS NULL OR next_attempt_at <= $1)'
  const { rows } = await db.query(
    `WITH c AS (
       SELECT seq AS claimed FROM ${table} WHERE ${where} AND ${due} AND ${FREE}
       ORDER BY ${order} LIMIT $${n} FOR UPDATE SKIP LOCKED),
     u AS (
       UPDATE ${table} SET lease_owner = $2, lease_until = $3 FROM c WHERE seq = c.claimed RETURNING ${table}.*),
     n AS (
       SELECT min(x) AS claim_next_at FROM (
         SELECT min(next_attempt_at) AS x FROM ${table} WHERE ${where} AND next_attempt_at > $1
         UNION ALL
         SELECT min(lease_until) FROM ${table} WHERE ${where} AND ${due} AND lease_until > $1
           AND lease_owner <> $2) m)
     SELECT u.*, n.claim_next_at FROM n LEFT JOIN u ON true`,
    [lease.now, lease.owner, lease.until, ...params, limit],
  )
  const next = rows[0]?.claim_next_at
  const claimed = rows.filter((r) => r.id !== null)
  for (const r of claimed) delete r.claim_next_at
  return { rows: claimed, nextAt: next === null || next === undefined ? null : Number(next) }
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

  /**
   * Releases queued while one statement is in flight go together in the next: one UPDATE per kind and owner
   * for many rows, not a round trip per step, notice or post done (issue #16).
   */
  const releases: { kind: WorkKind; id: string; owner: string; resolve: () => void; reject: (e: unknown) => void }[] =
    []
  let releasing = false
  const flushReleases = () => {
    if (releasing || releases.length === 0) return
    releasing = true
    const batch = releases.splice(0)
    const groups = new Map<string, typeof batch>()
    for (const r of batch) {
      const key = `${r.kind}\n${r.owner}`
      groups.set(key, [...(groups.get(key) ?? []), r])
    }
    void (async () => {
      for (const group of groups.values()) {
        const { kind, owner } = group[0]!
        try {
          // Rows another transaction holds (the writer's, updating them) are skipped, never waited for: locking
          // many rows while the writer locks them in its own order would deadlock with it. Those few are then
          // released one by one, as before (a one-row UPDATE holds nothing else while it waits).
          const { rows } = await pool.query<{ id: string }>(
            `UPDATE ${TABLES[kind]} SET lease_owner = NULL, lease_until = NULL
             WHERE seq IN (SELECT seq FROM ${TABLES[kind]} WHERE id = ANY($1::text[]) AND lease_owner = $2
                           FOR UPDATE SKIP LOCKED)
             RETURNING id`,
            [group.map((r) => r.id), owner],
          )
          const done = new Set(rows.map((r) => r.id))
          for (const r of group) {
            if (!done.has(r.id))
              await pool.query(
                `UPDATE ${TABLES[kind]} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`,
                [r.id, owner],
              )
            r.resolve()
          }
        } catch (err) {
          for (const r of group) r.reject(err)
        }
      }
      releasing = false
      flushReleases()
    })()
  }

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
      const order = 'coalesce(next_attempt_at, 0), seq'
      const c = await claimDue(pool, 'builds', 'state = ANY($4::text[])', order, lease, limit, [ACTIVE])
      return { due: c.rows.sort(byDue).map((r) => toBuild(r as never)), nextAt: c.nextAt }
    },
    async claimDueNotifications(lease, limit) {
      const order = 'coalesce(next_attempt_at, 0), seq'
      const c = await claimDue(pool, 'notifications', `state = 'pending'`, order, lease, limit, [])
      return { due: c.rows.sort(byDue).map((r) => toNotification(r as never)), nextAt: c.nextAt }
    },
    async claimDueHostPosts(lease, limit) {
      const c = await claimDue(pool, 'host_posts', `state = 'pending'`, 'seq', lease, limit, [])
      return { due: c.rows.sort(bySeq).map((r) => toPost(r as never)), nextAt: c.nextAt }
    },
    releaseWork(kind, id, owner) {
      return new Promise<void>((resolve, reject) => {
        releases.push({ kind, id, owner, resolve, reject })
        flushReleases()
      })
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
