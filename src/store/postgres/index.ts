// PostgreSQL store (issue #16): the whole ServiceStore on one database that several replicas may
// share. Migrations run once under an advisory lock (migrations.ts). Writes group-commit like
// SQLite's writer thread: every delivery and write that queues while a commit is in flight joins
// the next transaction, each in its own savepoint so a failing one rolls back alone; a promise
// resolves only after COMMIT returned. Deliveries are deduplicated by the UNIQUE (provider,
// dedupe_key) constraint with INSERT … ON CONFLICT DO NOTHING: two replicas storing the same
// redelivery store it once, and the second reads the first's id.
// https://www.postgresql.org/docs/15/sql-insert.html#SQL-ON-CONFLICT
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { DatabaseUnreachableError, RotationError, StoreUnavailableError } from '../../errors.js'
import { redactBodyCredentials } from '../../security/url-credentials.js'
import { ACTIVE_BUILD_STATES, type BuildRecord, type DeliveryPlan } from '../builds.js'
import type { RepositoryKey } from '../branches.js'
import type { DecideOutcome } from '../signoffs.js'
import type { ServiceStore } from '../service-store.js'
import type { NewDelivery, RecordResult } from '../store.js'
import { packEvents, toDeliveryRow } from '../sqlite/delivery-row.js'
import { securityWrites } from '../sqlite/security-writes.js'
import type { WriteOp, WriteResult } from '../sqlite/writer.js'
import { isRetryable, isUnavailable, pgFailure } from './failures.js'
import { migratePostgres } from './migrations.js'
import { createPgReads, metricReportBySeq } from './reads.js'
import { createPgLeases } from './leases.js'
import { WORK_CHANNEL } from './sql.js'
import type { Lease, WorkKind } from '../leases.js'
import { applyWrite, RotationRefused } from './writes.js'
import { inLanes, laneOf } from './lanes.js'
import { inLockOrder } from './lock-order.js'

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq's URL form); the password is never logged. */
  url: string
  /** Most deliveries (and, separately, other writes) in one commit. */
  maxBatch?: number
  /** Connections in the pool (reads share it with the writer's one transaction at a time). */
  poolSize?: number
  /** How long connecting may take before the store is reported unreachable. */
  connectTimeoutMs?: number
}

/** `host:port/database` of a URL, without user or password, for messages. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url)
    const host = u.hostname || u.searchParams.get('host') || 'localhost'
    return `${host}:${u.port || '5432'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`
  } catch {
    return 'the configured database URL (not a valid URL)'
  }
}

/** BIGINT (int8) as a JS number, as SQLite gives integers: seqs and epoch ms stay far below 2^53. */
const INT8 = 20
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid as never, format as never)) as typeof pg.types.getTypeParser,
}

interface Waiting<R> {
  resolve: (r: R) => void
  reject: (e: unknown) => void
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<ServiceStore> {
  const target = describeDatabase(options.url)
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 8,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'tamer',
    types,
  })
  // The two writers' connections (below), apart: they pipeline (lanes.ts), which a pool shared by reads must not.
  /** The server process ids of the writer's connections (leases.ts tells this replica's own NOTIFYs by them). */
  const writerBackends = new Set<number>()
  const writerPool = new pg.Pool({
    connectionString: options.url,
    max: 3,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'tamer-writer',
    types,
    pipeline: true,
  } as pg.PoolConfig)
  // An idle connection the server drops must not end the process; the next query reconnects.
  pool.on('error', () => {})
  writerPool.on('error', () => {})
  // A closed connection's process id may later be another process's (leases.ts tells own NOTIFYs by it).
  writerPool.on('remove', (c) => void writerBackends.delete((c as unknown as { processID?: number }).processID ?? 0))
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (err) {
    await Promise.all([pool.end(), writerPool.end()]).catch(() => {})
    throw new DatabaseUnreachableError(target, reasonOf(err))
  }
  try {
    await migratePostgres(client)
  } catch (err) {
    client.release(true)
    await Promise.all([pool.end(), writerPool.end()]).catch(() => {})
    throw err
  }
  client.release()

  const maxBatch = options.maxBatch ?? 256
  const reads = createPgReads(pool)
  const leases = createPgLeases(pool, options.url, types, writerBackends)
  // Three writers, each one transaction at a time on its own pipelined connection: builds' updates (a trigger's
  // saves, a callback's), the branch registry's, and everything else. A trigger's save waited behind the commit of
  // a batch of hundreds of deliveries and plans, and while it waited it held a step slot (issue #16). Every
  // replica's branch pass takes the one branch cursor row until its commit: in the batch of deliveries and plans,
  // one replica's whole batch waited for the other's commit, and two replicas stored no faster than one
  // (bench:load). The three write different rows (a plan inserts builds, an update changes an existing one, the
  // registry its own tables), so they neither wait for nor deadlock with each other; every caller awaits its
  // write before the next that depends on it.
  const main = new WriteQueue()
  const updates = new WriteQueue()
  const branchWrites = new WriteQueue()
  let closed = false
  /** This process's lease on the pending deliveries it stores (holdStoredDeliveries), once its pipeline runs. */
  let holdLease: (() => Lease) | null = null

  const pump = (q: WriteQueue) => {
    if (q.running || q.idle()) return
    q.running = commitBatch(q).finally(() => {
      q.running = null
      pump(q)
    })
  }

  /**
   * One transaction: the deliveries queued and the writes queued (in lock order, lock-order.ts), each part in a
   * savepoint. A deadlock or serialization failure rolls the whole transaction back and runs it again, as
   * PostgreSQL advises, a bounded number of times before its callers are answered unavailable (503): nothing of
   * a rolled-back attempt stays, and callers are answered once, from the attempt that committed.
   * https://www.postgresql.org/docs/15/mvcc-serialization-failure-handling.html
   */
  async function commitBatch(q: WriteQueue): Promise<void> {
    const batch = q.deliveries.splice(0, maxBatch)
    const opsBatch = inLockOrder(q.ops.splice(0, maxBatch))
    const everyone = [...batch, ...opsBatch]
    let conn: pg.PoolClient
    try {
      conn = await writerPool.connect()
      // pg's Client keeps its server process id (BackendKeyData), untyped in @types/pg.
      const pid = (conn as unknown as { processID?: number | null }).processID
      if (pid) writerBackends.add(pid)
    } catch (err) {
      for (const w of everyone) w.reject(pgFailure(err))
      return
    }
    // The server lost while this connection is checked out: an 'error' event no pool listens for (the
    // query in flight fails on its own and the batch is answered unavailable).
    const lost = () => {}
    conn.on('error', lost)
    let settled: (() => void)[] = []
    let failed: unknown = null
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          // First all parts in one transaction without savepoints (issue #16: each query's round trip, not its
          // work, was the cost, and a savepoint is one more per part); parts rarely fail, and when one does the
          // whole transaction is rolled back and run again with each part in its savepoint, so it fails alone.
          settled = (await runParts(conn, batch, opsBatch, false)) ?? (await runParts(conn, batch, opsBatch, true))!
          break
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => {})
          if (!isRetryable(err) || attempt >= TRANSACTION_ATTEMPTS) throw err
          // Apart by a random pause, so two writers that collided do not meet again at once.
          await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt))
        }
      }
    } catch (err) {
      failed = err
    } finally {
      conn.off('error', lost)
      // A connection that failed mid-transaction is not given to anyone else.
      conn.release(failed !== null && isUnavailable(failed) && !isRetryable(failed) ? (failed as Error) : undefined)
    }
    if (failed !== null) for (const w of everyone) w.reject(pgFailure(failed))
    else for (const s of settled) s()
  }

  /**
   * One transaction of the deliveries and writes; resolves to how each is answered once it committed. Careful:
   * each part in a savepoint (a failing part is rolled back alone), one after another, in as few round trips as
   * the server allows: BEGIN with the first savepoint, a part's release with the next one's savepoint, each pair
   * one query. Not careful: no savepoints, parts side by side in their lanes on the pipelined connection
   * (lanes.ts), and a part's failure rolls the transaction back and resolves to null.
   */
  async function runParts(
    conn: pg.PoolClient,
    batch: WriteQueue['deliveries'],
    opsBatch: WriteQueue['ops'],
    careful: boolean,
  ): Promise<(() => void)[] | null> {
    const settled: (() => void)[] = []
    const kinds = new Set<WorkKind>()
    const lease = batch.length > 0 && holdLease ? holdLease() : null
    const parts = careful ? new Savepoints(conn) : null
    // Once one part failed the transaction is aborted: the parts after it are not sent.
    let aborted = false
    const run = async <T>(fn: () => Promise<T>): Promise<Part<T> | null> => {
      if (parts) return parts.run(fn)
      if (aborted) return null
      try {
        return { ok: true, value: await fn() }
      } catch (error) {
        if (isUnavailable(error)) throw error
        aborted = true
        return null
      }
    }
    // Not careful, BEGIN goes out with the first parts instead of taking a round trip of its own.
    const begin = conn.query(careful ? 'BEGIN; SAVEPOINT part' : 'BEGIN')
    if (careful) await begin
    const items: (number | 'deliveries')[] = [...(batch.length > 0 ? ['deliveries' as const] : []), ...opsBatch.keys()]
    const lane = (item: number | 'deliveries') =>
      careful ? null : item === 'deliveries' ? 'deliveries' : laneOf(opsBatch[item]!.op)
    const work = inLanes(items, lane, (item): Promise<Part<RecordResult[] | WriteResult | BuildRecord[]> | null> =>
      item === 'deliveries'
        ? run(() =>
            insertDeliveries(
              conn,
              batch.map((p) => p.delivery),
              lease,
            ),
          )
        : run(() => applyWrite(conn, opsBatch[item]!.op)),
    )
    const [began, done] = await Promise.allSettled([begin, work])
    if (began.status === 'rejected') throw began.reason
    if (done.status === 'rejected') throw done.reason
    for (const [k, item] of items.entries()) {
      const part = done.value[k]
      if (!part) return rollback(conn)
      if (item === 'deliveries') {
        const inserted = part as Part<RecordResult[]>
        if (!inserted.ok) for (const p of batch) settled.push(() => p.reject(inserted.error))
        else
          batch.forEach((p, i) => {
            const r = inserted.value[i]!
            const fresh = p.delivery.status === 'pending' && !r.duplicate
            // Held by this process from the commit (holdStoredDeliveries): its heartbeat renews it, as a claim's.
            if (fresh && lease) settled.push(() => leases.adopt('delivery', lease.owner, [r]))
            // The others hear only of what nobody holds.
            else if (fresh) kinds.add('delivery')
            settled.push(() => p.resolve(r))
          })
        continue
      }
      const p = opsBatch[item]!
      const written = part as Part<WriteResult | BuildRecord[]>
      settled.push(written.ok ? () => p.resolve(written.value) : () => p.reject(written.error))
      const kind = written.ok ? workOf(p.op, written.value) : null
      if (kind) kinds.add(kind)
    }
    // Other replicas hear of new work when it commits (NOTIFY is delivered at COMMIT, never on a rollback).
    // The payload is WORK_KINDS' names, written into the statement (a simple query takes no parameters).
    const notify = kinds.size > 0 ? `SELECT pg_notify('${WORK_CHANNEL}', '${[...kinds].join(',')}'); ` : ''
    await conn.query(`${notify}COMMIT`)
    return settled
  }

  const write = (op: WriteOp): Promise<WriteResult | BuildRecord[]> => {
    if (closed) return Promise.reject(new StoreUnavailableError('the store is closed (Tamer is stopping)'))
    const q =
      op.op === 'update' ? updates : op.op === 'branch-apply' || op.op === 'branch-listing' ? branchWrites : main
    return new Promise<WriteResult | BuildRecord[]>((resolve, reject) => {
      q.ops.push({ op, resolve, reject })
      pump(q)
    })
  }
  const now = () => new Date().toISOString()

  const security = securityWrites(async (op) => {
    try {
      return (await write(op)) as never
    } catch (err) {
      if (err instanceof RotationRefused) throw new RotationError(err.message)
      throw err
    }
  })

  return {
    ...reads,
    ...security,
    ...leases,
    recordDelivery(delivery) {
      if (closed) return Promise.reject(new StoreUnavailableError('the store is closed (Tamer is stopping)'))
      return new Promise<RecordResult>((resolve, reject) => {
        main.deliveries.push({ delivery, resolve, reject })
        pump(main)
      })
    },
    holdStoredDeliveries(lease) {
      holdLease = lease
    },
    async planDelivery(plan) {
      const builds = ((await write({ op: 'plan', plan, at: now() })) as BuildRecord[] | null) ?? []
      // Renewed by the planner's heartbeat and given back at its shutdown, as a claim's rows are.
      if (plan.lease) leases.adopt('build', plan.lease.owner, heldByPlan(plan, builds))
      return builds
    },
    async updateBuild(id, patch) {
      await write({ op: 'update', id, patch, at: now() })
    },
    async routeFailed(id, lastError, maxAttempts, retryAt) {
      // Parked: no owner, and a lease end no replica's claim passes before the retry is due.
      const r = await pool
        .query<{ attempts: number; status: string }>(
          `UPDATE deliveries SET attempts = attempts + 1, last_error = $2, updated_at = $3,
             status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE status END,
             lease_owner = NULL, lease_until = $5
           WHERE id = $1 AND status = 'pending' RETURNING attempts, status`,
          [id, lastError, now(), maxAttempts, retryAt],
        )
        .catch((err: unknown) => Promise.reject(pgFailure(err)))
      const row = r.rows[0]
      return row ? { attempts: Number(row.attempts), failed: row.status === 'failed' } : null
    },
    async retryDelivery(id) {
      const r = await pool
        .query(
          `UPDATE deliveries SET status = 'pending', attempts = 0, last_error = NULL, updated_at = $2,
             lease_owner = NULL, lease_until = NULL
           WHERE id = $1 AND status = 'failed'`,
          [id, now()],
        )
        .catch((err: unknown) => Promise.reject(pgFailure(err)))
      return (r.rowCount ?? 0) > 0
    },
    async recordDecision(decision, notices, at) {
      return (await write({ op: 'notice-decide', decision, notices, at: new Date(at).toISOString() })) === true
    },
    async updateNotification(id, from, patch) {
      return (await write({ op: 'notice-update', id, from, patch, at: now() })) === true
    },
    async abandonInterruptedSends(reason, at) {
      // Only sends no live replica holds: another replica's send in flight is its own to finish.
      const r = await pool
        .query(
          `UPDATE notifications SET state = 'dead', last_error = $1, next_attempt_at = NULL, updated_at = $2,
             lease_owner = NULL, lease_until = NULL
           WHERE state = 'sending' AND (lease_until IS NULL OR lease_until <= $3)`,
          [reason, new Date(at).toISOString(), at],
        )
        .catch((err: unknown) => Promise.reject(pgFailure(err)))
      return r.rowCount ?? 0
    },
    async recordHostPosts(posts) {
      return (await write({ op: 'post-record', posts, at: now() })) as number
    },
    async updateHostPost(id, from, patch) {
      return (await write({ op: 'post-update', id, from, patch, at: now() })) === true
    },
    async resumeInterruptedHostPosts(at) {
      const r = await pool
        .query(
          `UPDATE host_posts SET state = 'pending', next_attempt_at = NULL, updated_at = $1,
             lease_owner = NULL, lease_until = NULL
           WHERE state = 'sending' AND (lease_until IS NULL OR lease_until <= $2)`,
          [new Date(at).toISOString(), at],
        )
        .catch((err: unknown) => Promise.reject(pgFailure(err)))
      return r.rowCount ?? 0
    },
    async savePushDiff(d) {
      await write({
        op: 'diff-save',
        deliveryId: d.deliveryId,
        variant: d.variant,
        payload: d.payload,
        rawBytes: d.rawBytes,
        at: now(),
      })
    },
    async prunePushDiffs(before) {
      return ((await write({ op: 'diff-prune', before })) as number | null) ?? 0
    },
    async saveMetricReport(report) {
      const seq = (await write({ op: 'metrics-save', report, at: now() })) as number
      return (await metricReportBySeq(pool, seq))!
    },
    async saveParityReport(report) {
      const at = now()
      const seq = Number(await write({ op: 'metrics-parity-save', report, at }))
      return { ...report, seq, reportedAt: at }
    },
    async createSignoff(signoff, notices, audit) {
      const r = (await write({ op: 'signoff-create', signoff, notices, audit, at: now() })) as {
        id: string
        created: boolean
      }
      return { signoff: (await reads.getSignoff(r.id))!, created: r.created }
    },
    async decideSignoff(id, party, decision, audit, settled) {
      const at = now()
      const outcome = (await write({ op: 'signoff-decide', id, party, decision, audit, at, settled })) as DecideOutcome
      return { outcome, signoff: await reads.getSignoff(id) }
    },
    async recordSignoffAction(id, r) {
      await write({
        op: 'signoff-action',
        id,
        action: r.action,
        error: r.error,
        audit: r.action ? r.audit : null,
        at: now(),
      })
    },
    async applyBranchChanges(changes, cursor) {
      return (await write({ op: 'branch-apply', changes, cursor, at: now() })) as RepositoryKey[]
    },
    async applyRemoteListing(listing) {
      return (await write({ op: 'branch-listing', listing, at: now() })) === true
    },
    async recordScheduleSlot(key, slot) {
      return (await write({ op: 'branch-slot', key, slot, at: now() })) === true
    },
    async checkWritable() {
      // A real commit. Free disk is the database server's to watch (minRoomBytes applies to SQLite).
      if (closed) throw new StoreUnavailableError('the store is closed (Tamer is stopping)')
      try {
        await pool.query(
          'INSERT INTO heartbeat (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
          [now()],
        )
      } catch (err) {
        throw pgFailure(err)
      }
    },
    async close() {
      if (closed) return
      closed = true
      // Everything already queued is committed before the pool closes.
      for (const q of [main, updates, branchWrites])
        while (q.running || !q.idle()) await (q.running ?? Promise.resolve())
      await leases.stopListening()
      await Promise.all([pool.end(), writerPool.end()])
    },
  }
}

/**
 * The builds a plan committed under its lease (DeliveryPlan.lease): inserted with the plan's intent, so
 * 'triggering' with one of its intent ids (a plan made before returns that plan's builds, and an intent behind a
 * held build of its job is planned pending without it).
 */
function heldByPlan(plan: DeliveryPlan, builds: readonly BuildRecord[]): BuildRecord[] {
  if (!plan.lease) return []
  const intents = new Set(plan.builds.map((b) => b.intent?.id))
  return builds.filter((b) => b.state === 'triggering' && intents.has(b.id))
}

/** The work a write makes for some replica to pick up (told to the others with NOTIFY). */
function workOf(op: WriteOp, written: WriteResult | BuildRecord[]): WorkKind | null {
  if (op.op === 'plan') {
    // Builds its planner holds are its to send: the others would only claim nothing (issue #16).
    const builds = (Array.isArray(written) ? written : []) as BuildRecord[]
    const active = builds.filter((b) => (ACTIVE_BUILD_STATES as readonly string[]).includes(b.state))
    return active.length > heldByPlan(op.plan, builds).length ? 'build' : null
  }
  if (op.op === 'notice-decide' || op.op === 'signoff-create') return 'notice'
  if (op.op === 'post-record') return 'host-post'
  // A dead letter put back (`tamer dead-letters --retry`, a resend): pending again.
  if ((op.op === 'notice-update' || op.op === 'post-update') && op.patch.state === 'pending')
    return op.op === 'notice-update' ? 'notice' : 'host-post'
  return null
}

/** What went wrong connecting, without the URL (it may hold the password). */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e.code === 'string' ? e.code : null
  const message = typeof e.message === 'string' && e.message ? e.message : String(err)
  return code && !message.includes(code) ? `${message} (${code})` : message
}

/** What one writer has queued for its next transaction, and the transaction in flight. */
class WriteQueue {
  readonly deliveries: (Waiting<RecordResult> & { delivery: NewDelivery })[] = []
  readonly ops: (Waiting<WriteResult | BuildRecord[]> & { op: WriteOp })[] = []
  running: Promise<void> | null = null
  idle(): boolean {
    return this.deliveries.length === 0 && this.ops.length === 0
  }
}

type Part<T> = { ok: true; value: T } | { ok: false; error: unknown }

async function rollback(conn: pg.PoolClient): Promise<null> {
  await conn.query('ROLLBACK')
  return null
}

/**
 * Runs each part in the savepoint `part` (BEGIN made the first): a failing part is rolled back to it, alone
 * (unless the connection itself failed); after a part that succeeded, the next one releases it and makes a
 * new one in the same round trip.
 */
class Savepoints {
  private used = false
  private readonly conn: pg.PoolClient
  constructor(conn: pg.PoolClient) {
    this.conn = conn
  }

  async run<T>(fn: () => Promise<T>): Promise<Part<T>> {
    if (this.used) await this.conn.query('RELEASE SAVEPOINT part; SAVEPOINT part')
    this.used = false
    try {
      const value = await fn()
      this.used = true
      return { ok: true, value }
    } catch (error) {
      if (isUnavailable(error)) throw error
      // The savepoint stays, at the state before this part: the next part reuses it.
      await this.conn.query('ROLLBACK TO SAVEPOINT part')
      return { ok: false, error: pgFailure(error) }
    }
  }
}

/** How many times a batch's transaction is run when it deadlocks or fails to serialize. */
const TRANSACTION_ATTEMPTS = 4

const COLUMNS_PER_ROW = 14

/**
 * The deliveries in one INSERT … ON CONFLICT DO NOTHING, rows in key order (two replicas' batches
 * then take the unique index's locks in the same order and cannot deadlock); keys already stored
 * (by another replica, an earlier batch or a row before in this one) answer with the stored id.
 */
async function insertDeliveries(
  conn: pg.PoolClient,
  batch: NewDelivery[],
  lease: Lease | null,
): Promise<RecordResult[]> {
  const keyOf = (d: { provider: string; dedupeKey: string }) => `${d.provider}\n${d.dedupeKey}`
  const order = batch
    .map((d, i) => ({ d, i, key: keyOf(d) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const params: unknown[] = []
  const values: string[] = []
  for (const { d } of order) {
    const row = toDeliveryRow(d)
    const at = params.length
    params.push(
      randomUUID(),
      row.provider,
      row.dedupeKey,
      row.hostDeliveryId,
      row.eventType,
      row.tenant,
      row.repository,
      row.status,
      row.headers,
      redactBodyCredentials(Buffer.from(d.body.buffer, d.body.byteOffset, d.body.byteLength)),
      packEvents(row.normalized),
      row.receivedAt,
      // Held by the storing process (holdStoredDeliveries): only what is to be routed.
      lease && row.status === 'pending' ? lease.owner : null,
      lease && row.status === 'pending' ? lease.until : null,
    )
    const n = Array.from({ length: COLUMNS_PER_ROW }, (_, k) => `$${at + k + 1}`)
    values.push(`(${n.join(', ')}, $${at + 12})`)
  }
  const inserted = await conn.query<{ id: string; provider: string; dedupe_key: string }>(
    `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status,
       headers, body, normalized, received_at, lease_owner, lease_until, updated_at)
     VALUES ${values.join(', ')}
     ON CONFLICT (provider, dedupe_key) DO NOTHING RETURNING id, provider, dedupe_key`,
    params,
  )
  const fresh = new Map(inserted.rows.map((r) => [keyOf({ provider: r.provider, dedupeKey: r.dedupe_key }), r.id]))
  const known = new Map<string, string>()
  const results: RecordResult[] = new Array(batch.length)
  for (const { d, i } of order) {
    const key = keyOf(d)
    const id = fresh.get(key)
    if (id !== undefined && !known.has(key)) {
      known.set(key, id)
      results[i] = { id, duplicate: false }
      continue
    }
    let stored = known.get(key)
    if (stored === undefined) {
      const { rows } = await conn.query<{ id: string }>(
        'SELECT id FROM deliveries WHERE provider = $1 AND dedupe_key = $2',
        [d.provider, d.dedupeKey],
      )
      stored = rows[0]!.id
      known.set(key, stored)
    }
    results[i] = { id: stored, duplicate: true }
  }
  return results
}
