// Work leases on PostgreSQL (src/store/leases.ts): a claim is one statement that locks the due rows
// nobody holds with FOR UPDATE SKIP LOCKED (rows another replica is claiming at that moment are
// passed over, never waited for) and stamps them with this replica's name and an expiry. A row
// whose lease ended is free again, so a killed replica's work is taken over once its lease ends.
// Wake-ups cross replicas with LISTEN/NOTIFY on one channel; polling stays the fallback.
// No index covers the lease columns of the tables a trigger passes through (migration 7): a claim, a
// renewal and a release rewrite the row in place (a HOT update) instead of adding an entry to each of
// its indexes. The heartbeat and the shutdown find a replica's rows by the ids it claimed.
// https://www.postgresql.org/docs/15/storage-hot.html
// https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE
// https://www.postgresql.org/docs/15/sql-notify.html
import pg from 'pg'
import type { ClaimedBuilds, ClaimIntent, Lease, WorkKind, WorkLeaseStore } from '../leases.js'
import { WORK_KINDS } from '../leases.js'
import { toBuild } from '../sqlite/build-reads.js'
import { toDelivery } from '../sqlite/delivery-row.js'
import { toPost } from '../sqlite/host-post-reads.js'
import { toNotification } from '../sqlite/notification-reads.js'
import { DELIVERY_COLUMNS } from '../sqlite/page-lists.js'
import { createPgDiffJobs } from './diff-jobs.js'
import { ACTIVE_BUILD_SQL, named, WORK_CHANNEL, type Queryable } from './sql.js'
import { HELD_BUILD } from './held.js'

const TABLES: Record<WorkKind, string> = {
  delivery: 'deliveries',
  build: 'builds',
  notice: 'notifications',
  'host-post': 'host_posts',
  diff: 'diff_jobs',
}

/** The kinds whose leases no index covers: found by the ids this process claimed (diff_jobs keeps its index). */
const BY_ID: WorkKind[] = ['delivery', 'build', 'notice', 'host-post']

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

/** When a row falls due, as SQL: the due test ($1 is the claim's clock) and the time, epoch ms, of one due later. */
interface DueAt {
  due: string
  at: string
}
const NEXT_ATTEMPT: DueAt = { due: '(next_attempt_at IS NULL OR next_attempt_at <= $1)', at: 'next_attempt_at' }
/**
 * Builds: the key of the partial index builds_due (migration 7), in its order, so a claim reads the first
 * `limit` due rows instead of sorting every due one (a backlog of hundreds, each claim). `$1 >= 0`: the same rows.
 */
const BUILD_DUE: DueAt = { due: 'coalesce(next_attempt_at, 0) <= $1', at: 'coalesce(next_attempt_at, 0)' }

/**
 * Claims at most `limit` due rows of `table` matching `where` (parameters from $4 on, as claim's), in
 * `order`, and in the same statement (one round trip, issue #16) the next time one falls due: the next
 * retry of `where`'s rows, or the soonest end of another owner's lease on one that is due now (a replica
 * that died holding due work is looked at again when its lease ends). Every part of a statement reads one
 * snapshot, from before its UPDATE: the rows claimed here were free in it, so they are not the "other
 * owner's lease" (as when the two were separate statements, the second after the claim). A claim that took
 * all it asked for leaves the next time unread (null): the steps it started wake the next pass when they end,
 * and that one reads it; its scan over the due rows is skipped while there is a backlog.
 */
async function claimDue(
  db: Queryable,
  table: string,
  where: string,
  order: string,
  lease: Lease,
  limit: number,
  params: unknown[],
  when: DueAt = NEXT_ATTEMPT,
  intent?: ClaimIntent,
): Promise<{ rows: Record<string, unknown>[]; nextAt: number | null }> {
  const values: unknown[] = [lease.now, lease.owner, lease.until, ...params, limit]
  const n = values.length
  const short = `(SELECT count(*) FROM c) < $${n}`
  // A build's trigger intent with its claim (ClaimIntent): decided on the row as locked, written with the lease.
  // Only a build never held itself (a pending one with a next attempt was behind an earlier one, and is held in
  // turn until its own request: its step checks again, so a later build cannot overtake it on the way).
  const intended = intent
    ? `state = 'pending' AND coalesce(next_attempt_at, 0) <= 0 AND (template IS NULL OR template <> ALL($${values.push(intent.exceptTemplates)}::text[]))
         AND NOT EXISTS (SELECT 1 FROM builds h WHERE h.job = builds.job AND h.seq < builds.seq AND (${HELD_BUILD}))`
    : 'false'
  const writeIntent = intent
    ? `, state = CASE WHEN c.intent THEN 'triggering' ELSE state END,
         attempts = CASE WHEN c.intent THEN attempts + 1 ELSE attempts END,
         triggered_at = CASE WHEN c.intent THEN $${values.push(intent.at)}::bigint ELSE triggered_at END,
         missed_at = CASE WHEN c.intent THEN NULL ELSE missed_at END,
         updated_at = CASE WHEN c.intent THEN $${values.push(new Date(intent.at).toISOString())}::text ELSE updated_at END`
    : ''
  const { rows } = await db.query({
    // Prepared once per connection: planning this statement cost as much as running it (issue #16).
    name: `claim-${table}${intent ? '-intent' : ''}`,
    text: `WITH c AS (
       SELECT seq AS claimed, ${intended} AS intent FROM ${table} WHERE ${where} AND ${when.due} AND ${FREE}
       ORDER BY ${order} LIMIT $${n} FOR UPDATE OF ${table} SKIP LOCKED),
     u AS (
       UPDATE ${table} SET lease_owner = $2, lease_until = $3${writeIntent} FROM c WHERE seq = c.claimed
       RETURNING ${table}.*, c.intent AS claim_intent),
     n AS (
       SELECT min(x) AS claim_next_at FROM (
         SELECT min(${when.at}) AS x FROM ${table} WHERE ${where} AND ${when.at} > $1 AND ${short}
         UNION ALL
         SELECT min(lease_until) FROM ${table} WHERE ${where} AND ${when.due} AND lease_until > $1
           AND lease_owner <> $2 AND ${short}) m)
     SELECT u.*, n.claim_next_at FROM n LEFT JOIN u ON true`,
    values,
  })
  const next = rows[0]?.claim_next_at
  const claimed = rows.filter((r) => r.id !== null)
  for (const r of claimed) delete r.claim_next_at
  if (!intent) for (const r of claimed) delete r.claim_intent
  return { rows: claimed, nextAt: next === null || next === undefined ? null : Number(next) }
}

export interface PgWorkLeases extends WorkLeaseStore {
  /** Rows a write of this store leased to `owner` (DeliveryPlan.lease, holdStoredDeliveries): held as if claimed. */
  adopt(kind: WorkKind, owner: string, rows: readonly { id: string }[]): void
  /** Stops listening (the store's close). */
  stopListening(): Promise<void>
}

/**
 * `ownBackends`: the server process ids of this store's writer connections, so a NOTIFY they sent is told as
 * this replica's own (its units were woken directly; issue #16).
 */
export function createPgLeases(
  pool: pg.Pool,
  url: string,
  types: unknown,
  ownBackends: ReadonlySet<number> = new Set(),
): PgWorkLeases {
  /**
   * The ids each owner claimed through this store, by kind: what its heartbeat renews and its shutdown gives
   * back. An id leaves when released here, or when a renewal finds the row no longer held by that owner (its
   * lease ended in another write: a plan, a parked route, another replica's claim after it expired). Each id
   * maps to its claim's number, so a renewal forgets only the claims it looked at, not one made again meanwhile.
   */
  const held = new Map<string, Map<WorkKind, Map<string, number>>>()
  let claims = 0
  const heldOf = (owner: string, kind: WorkKind) => {
    const kinds = held.get(owner) ?? new Map<WorkKind, Map<string, number>>()
    held.set(owner, kinds)
    const ids = kinds.get(kind) ?? new Map<string, number>()
    kinds.set(kind, ids)
    return ids
  }
  const claimed = <R extends { id: string }>(kind: WorkKind, owner: string, rows: R[]): R[] => {
    const ids = heldOf(owner, kind)
    for (const r of rows) ids.set(r.id, ++claims)
    return rows
  }
  const listeners = new Set<(kinds: WorkKind[], own: boolean) => void>()
  let listener: pg.Client | null = null
  let retry: NodeJS.Timeout | null = null
  let closed = false

  /**
   * Releases queued while one statement is in flight go together in the next: one UPDATE per kind and owner
   * for many rows, not a round trip per step, notice or post done (issue #16).
   */
  const releases: {
    kind: WorkKind
    id: string
    owner: string
    /** The claim released (a claim made again before this release answers is not forgotten). */
    claim: number | undefined
    resolve: () => void
    reject: (e: unknown) => void
  }[] = []
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
            named(
              `UPDATE ${TABLES[kind]} SET lease_owner = NULL, lease_until = NULL
               WHERE seq IN (SELECT seq FROM ${TABLES[kind]} WHERE id = ANY($1::text[]) AND lease_owner = $2
                             FOR UPDATE SKIP LOCKED)
               RETURNING id`,
              [group.map((r) => r.id), owner],
            ),
          )
          const done = new Set(rows.map((r) => r.id))
          for (const r of group) {
            const ids = held.get(r.owner)?.get(r.kind)
            if (ids?.get(r.id) === r.claim) ids?.delete(r.id)
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

  const tell = (payload: string | undefined, own = false) => {
    const kinds = (payload ?? '').split(',').filter((k): k is WorkKind => (WORK_KINDS as readonly string[]).includes(k))
    for (const l of [...listeners]) l(kinds, own)
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
    client.on('notification', (m) => tell(m.payload, ownBackends.has(m.processId)))
    client
      .connect()
      .then(() => client.query(`LISTEN ${WORK_CHANNEL}`))
      .then(() => tell(WORK_KINDS.join(',')))
      .catch(again)
  }

  return {
    adopt: (kind, owner, rows) => void claimed(kind, owner, [...rows]),
    sharedWork: true,
    diffJobs: createPgDiffJobs(pool),
    async claimPendingDeliveries(lease, limit) {
      const rows = await claim(pool, 'deliveries', `status = 'pending'`, 'seq', lease, limit, [], DELIVERY_COLUMNS)
      const due = rows.sort(bySeq).map((r) => toDelivery(r as never))
      return claimed('delivery', lease.owner, due)
    },
    async claimDueBuilds(lease, limit, intent): Promise<ClaimedBuilds> {
      const order = 'coalesce(next_attempt_at, 0), seq'
      const c = await claimDue(pool, 'builds', ACTIVE_BUILD_SQL, order, lease, limit, [], BUILD_DUE, intent)
      const intents = new Set(c.rows.filter((r) => r.claim_intent === true).map((r) => String(r.id)))
      for (const r of c.rows) delete r.claim_intent
      const due = c.rows.sort(byDue).map((r) => toBuild(r as never))
      return { due: claimed('build', lease.owner, due), nextAt: c.nextAt, ...(intent ? { intents } : {}) }
    },
    async claimDueNotifications(lease, limit) {
      const order = 'coalesce(next_attempt_at, 0), seq'
      const c = await claimDue(pool, 'notifications', `state = 'pending'`, order, lease, limit, [])
      const due = c.rows.sort(byDue).map((r) => toNotification(r as never))
      return { due: claimed('notice', lease.owner, due), nextAt: c.nextAt }
    },
    async claimDueHostPosts(lease, limit) {
      const c = await claimDue(pool, 'host_posts', `state = 'pending'`, 'seq', lease, limit, [])
      const due = c.rows.sort(bySeq).map((r) => toPost(r as never))
      return { due: claimed('host-post', lease.owner, due), nextAt: c.nextAt }
    },
    releaseWork(kind, id, owner) {
      return new Promise<void>((resolve, reject) => {
        releases.push({ kind, id, owner, claim: held.get(owner)?.get(kind)?.get(id), resolve, reject })
        flushReleases()
      })
    },
    async renewLeases(owner, until) {
      // Rows the writer's open transaction holds are skipped for this beat (the next one renews them): locking
      // many rows in another order than that transaction would deadlock with it. The SELECT reads the snapshot
      // from before the UPDATE: the ids still this owner's, skipped or not; the others are forgotten.
      for (const kind of BY_ID) {
        const ids = held.get(owner)?.get(kind)
        if (!ids || ids.size === 0) continue
        const t = TABLES[kind]
        const looked = [...ids]
        const { rows } = await pool.query<{ id: string }>(
          `WITH r AS (UPDATE ${t} SET lease_until = $2
             WHERE seq IN (SELECT seq FROM ${t} WHERE id = ANY($3::text[]) AND lease_owner = $1 FOR UPDATE SKIP LOCKED))
           SELECT id FROM ${t} WHERE id = ANY($3::text[]) AND lease_owner = $1`,
          [owner, until, looked.map(([id]) => id)],
        )
        const still = new Set(rows.map((r) => r.id))
        for (const [id, n] of looked) if (!still.has(id) && ids.get(id) === n) ids.delete(id)
      }
      await pool.query(
        `UPDATE diff_jobs SET lease_until = $2
         WHERE seq IN (SELECT seq FROM diff_jobs WHERE lease_owner = $1 FOR UPDATE SKIP LOCKED)`,
        [owner, until],
      )
    },
    async releaseLeases(owner) {
      let released = 0
      // Row by row in seq order (the writer is stopped by then; another replica's claims skip locked rows).
      const release = async (t: string, where: string, params: unknown[]) =>
        (
          await pool.query(
            `UPDATE ${t} SET lease_owner = NULL, lease_until = NULL
             WHERE seq IN (SELECT seq FROM ${t} WHERE ${where} ORDER BY seq FOR UPDATE)`,
            params,
          )
        ).rowCount ?? 0
      for (const kind of BY_ID) {
        const ids = held.get(owner)?.get(kind)
        if (ids && ids.size > 0)
          released += await release(TABLES[kind], 'id = ANY($2::text[]) AND lease_owner = $1', [owner, [...ids.keys()]])
      }
      held.delete(owner)
      return released + (await release('diff_jobs', 'lease_owner = $1', [owner]))
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
