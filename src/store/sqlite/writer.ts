// The SQLite writer thread. Commits run here so the event loop keeps verifying and
// parsing deliveries while an fsync is in flight; whatever queued meanwhile becomes
// the next batch (group commit).
import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import BetterSqlite3 from 'better-sqlite3'
import type { RecordResult } from '../store.js'
import { redactBodyCredentials } from '../../security/url-credentials.js'
import { packBody, packEvents, type WriterRow } from './delivery-row.js'
import {
  createBuildWrites,
  type BuildWriteOp,
  type BuildWriteResult,
  type RouteWriteOp,
  type RouteWriteResult,
} from './build-writes.js'
import {
  createNotificationWrites,
  isNotificationWrite,
  type NotificationWriteOp,
  type NotificationWriteResult,
} from './notification-writes.js'
import {
  createHostPostWrites,
  isHostPostWrite,
  type HostPostWriteOp,
  type HostPostWriteResult,
} from './host-post-writes.js'
import {
  createPushDiffWrites,
  isPushDiffWrite,
  type PushDiffWriteOp,
  type PushDiffWriteResult,
} from './push-diff-writes.js'
import { createMetricsWrites, isMetricsWrite, type MetricsWriteOp, type MetricsWriteResult } from './metrics-writes.js'
import {
  createSecurityWrites,
  isSecurityWrite,
  type SecurityWriteOp,
  type SecurityWriteResult,
} from './security-writes.js'
import { createBranchWrites, isBranchWrite, type BranchWriteOp, type BranchWriteResult } from './branch-writes.js'
import { createSignoffWrites, isSignoffWrite, type SignoffWriteOp, type SignoffWriteResult } from './signoff-writes.js'

/** Every write besides deliveries: group-committed together, one transaction per list. */
export type WriteOp =
  | BuildWriteOp
  | RouteWriteOp
  | NotificationWriteOp
  | PushDiffWriteOp
  | SecurityWriteOp
  | MetricsWriteOp
  | BranchWriteOp
  | HostPostWriteOp
  | SignoffWriteOp
export type WriteResult =
  | BuildWriteResult
  | RouteWriteResult
  | NotificationWriteResult
  | PushDiffWriteResult
  | SecurityWriteResult
  | MetricsWriteResult
  | BranchWriteResult
  | HostPostWriteResult
  | SignoffWriteResult

export type WriterRequest =
  /** Deliveries, and the other writes queued meanwhile: one commit, one fsync, for both. */
  | { type: 'batch'; items: WriterRow[]; ops: WriteOp[] }
  /** Build bookkeeping, group-committed like deliveries: one transaction for the whole list. */
  | { type: 'ops'; ops: WriteOp[] }
  | { type: 'heartbeat' }
  | { type: 'close' }

/** What one part of a shared commit came to: its part rolled back alone when it failed. */
export type Outcome<T> = { ok: true; results: T[] } | { ok: false; message: string; code?: string }

export type WriterReply =
  | { type: 'done'; deliveries: Outcome<RecordResult>; ops: Outcome<WriteResult> }
  | { type: 'ops-done'; results: WriteResult[] }
  /** `code`: SQLite's (extended) result code, e.g. SQLITE_FULL, when SQLite raised it. */
  | { type: 'failed'; message: string; code?: string }
  /** `roomBytes`: how much the database can still grow (free disk, or its max_page_count). */
  | { type: 'heartbeat'; ok: true; roomBytes: number }
  | { type: 'closed' }

export interface WriterOptions {
  file: string
  synchronous: 'FULL' | 'NORMAL'
  /** The checkpointer copies the WAL into the database on its own thread. */
  role: 'writer' | 'checkpointer'
  /** How long a write waits for a lock another connection holds before SQLITE_BUSY. */
  busyTimeoutMs?: number
  /** A cap on the database's size in pages (PRAGMA max_page_count); past it writes fail SQLITE_FULL. */
  maxPageCount?: number
}

const options = workerData as WriterOptions
const db = new BetterSqlite3(options.file)
db.pragma('journal_mode = WAL')
db.pragma(`synchronous = ${options.synchronous}`)
db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`)
if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.trunc(options.maxPageCount)}`)
// Every commit updates the same index pages; 64 MB keeps them cached as the table grows.
db.pragma('cache_size = -65536')
// A checkpoint in the commit path stalls a batch for tens of milliseconds (it fsyncs the
// database file), so commits never checkpoint; a second thread does, without blocking them.
db.pragma('wal_autocheckpoint = 0')
if (options.role === 'checkpointer') runCheckpointer()
// Only the writer prepares the writes: a checkpointer that did would die with the writer's
// statements (a table missing while it starts) and take the process down with an unhandled error.
const isWriter = options.role === 'writer'

const insert =
  isWriter &&
  db.prepare(
    `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status,
     headers, body, normalized, received_at, updated_at)
   VALUES (@id, @provider, @dedupeKey, @hostDeliveryId, @eventType, @tenant, @repository, @status,
     @headers, X'', @normalized, @receivedAt, @updatedAt)
   ON CONFLICT (provider, dedupe_key) DO NOTHING RETURNING seq, id`,
  )
// A delivery whose plan shares its commit is stored routed; should the plans' part fail, it goes back to pending.
const unroute =
  isWriter && db.prepare(`UPDATE deliveries SET status = 'pending', updated_at = received_at WHERE id = ?`)
// The body apart from the row that routing updates (migration 23, delivery-bodies).
const insertBody = isWriter && db.prepare('INSERT INTO delivery_bodies (seq, size, deflated, body) VALUES (?, ?, ?, ?)')
const existing = isWriter && db.prepare('SELECT id FROM deliveries WHERE provider = ? AND dedupe_key = ?').pluck()
const heartbeat =
  isWriter && db.prepare('INSERT INTO heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at')

/**
 * Bytes the database can still grow by: free pages plus what the disk (or max_page_count) allows.
 * A one-row heartbeat commits even on a full disk (it rewrites pages the WAL already holds), so
 * readiness also needs the room a delivery takes (issue #9, item 6).
 */
function roomBytes(): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const free = (db.pragma('freelist_count', { simple: true }) as number) * pageSize
  const capped =
    ((db.pragma('max_page_count', { simple: true }) as number) -
      (db.pragma('page_count', { simple: true }) as number)) *
    pageSize
  const fs = statfsSync(dirname(options.file))
  return free + Math.max(0, Math.min(capped, fs.bavail * fs.bsize))
}

/**
 * The deliveries of a batch whose plan (the pipeline's early route) is among its ops, with the plan's time: a plan
 * marks its delivery processed, and a row inserted pending and updated in the same commit rewrote the row and the
 * five indexes that hold its status (issue #12). Inserted processed instead, with the time the plan would set.
 */
function plannedIn(ops: WriteOp[]): Map<string, string> {
  const planned = new Map<string, string>()
  for (const op of ops) if (op.op === 'plan') planned.set(op.plan.deliveryId, op.at)
  return planned
}

const commitBatch = db.transaction(
  (items: WriterRow[], planned: Map<string, string>, routed: string[]): RecordResult[] =>
    items.map((d) => {
      const plannedAt = d.status === 'pending' ? planned.get(d.id) : undefined
      const row = (insert as BetterSqlite3.Statement).get({
        id: d.id,
        provider: d.provider,
        dedupeKey: d.dedupeKey,
        hostDeliveryId: d.hostDeliveryId,
        eventType: d.eventType,
        tenant: d.tenant,
        repository: d.repository,
        status: plannedAt === undefined ? d.status : 'processed',
        headers: d.headers,
        normalized: packEvents(d.normalized),
        receivedAt: d.receivedAt,
        updatedAt: plannedAt ?? d.receivedAt,
      }) as { seq: number; id: string } | undefined
      if (!row)
        return { id: (existing as BetterSqlite3.Statement).get(d.provider, d.dedupeKey) as string, duplicate: true }
      if (plannedAt !== undefined) routed.push(row.id)
      // Structured clone (and transfer) turns Buffers into plain Uint8Arrays.
      const body = redactBodyCredentials(Buffer.from(d.body.buffer, d.body.byteOffset, d.body.byteLength))
      const stored = packBody(body)
      ;(insertBody as BetterSqlite3.Statement).run(row.seq, body.length, stored.deflated, stored.body)
      return { id: row.id, duplicate: false }
    }),
)

/** The deliveries the current commit inserted processed (commitBoth), for their plans' writes. */
let routedNow: ReadonlySet<string> = new Set()
const applyBuildWrite = isWriter ? createBuildWrites(db, (id) => routedNow.has(id)) : null
const applyNotificationWrite = isWriter ? createNotificationWrites(db) : null
const applyPushDiffWrite = isWriter ? createPushDiffWrites(db) : null
const applySecurityWrite = isWriter ? createSecurityWrites(db) : null
const applyMetricsWrite = isWriter ? createMetricsWrites(db) : null
const applyBranchWrite = isWriter ? createBranchWrites(db) : null
const applyHostPostWrite = isWriter ? createHostPostWrites(db) : null
const applySignoffWrite = isWriter ? createSignoffWrites(db) : null
const commitOps = db.transaction((ops: WriteOp[]): WriteResult[] =>
  ops.map((op) =>
    isNotificationWrite(op)
      ? applyNotificationWrite!(op)
      : isPushDiffWrite(op)
        ? applyPushDiffWrite!(op)
        : isSecurityWrite(op)
          ? applySecurityWrite!(op)
          : isMetricsWrite(op)
            ? applyMetricsWrite!(op)
            : isBranchWrite(op)
              ? applyBranchWrite!(op)
              : isHostPostWrite(op)
                ? applyHostPostWrite!(op)
                : isSignoffWrite(op)
                  ? applySignoffWrite!(op)
                  : applyBuildWrite!(op),
  ),
)

function failure(err: unknown): { message: string; code?: string } {
  const code = (err as { code?: unknown }).code
  return { message: (err as Error).message, ...(typeof code === 'string' ? { code } : {}) }
}

/** A part of the shared commit: a transaction inside another is a savepoint, rolled back alone when it throws. */
function part<I, T>(commit: (items: I[]) => T[], items: I[]): Outcome<T> {
  if (items.length === 0) return { ok: true, results: [] }
  try {
    return { ok: true, results: commit(items) }
  } catch (err) {
    // SQLITE_FULL (or an I/O error) in a statement without a statement journal, such as the body's
    // one-row insert, rolls back the whole transaction, not only this part: then every part failed,
    // with this error (not COMMIT's "no transaction is active"). https://sqlite.org/c3ref/get_autocommit.html
    if (!db.inTransaction) throw err
    return { ok: false, ...failure(err) }
  }
}

// Deliveries and the pipeline's writes queued meanwhile share one commit: alternating commits
// made a batch wait for another fsync (issue #12). A failure at COMMIT fails both parts.
const commitBoth = db.transaction((items: WriterRow[], ops: WriteOp[]): WriterReply => {
  const planned = items.length > 0 ? plannedIn(ops) : new Map<string, string>()
  const routed: string[] = []
  const deliveries = part((batch: WriterRow[]) => commitBatch(batch, planned, routed), items)
  routedNow = new Set(routed)
  let written: Outcome<WriteResult>
  try {
    written = part(commitOps, ops)
  } finally {
    routedNow = new Set()
  }
  // The plans rolled back: their deliveries were not routed, and a pass (or a restart) must find them pending.
  if (!written.ok && deliveries.ok) for (const id of routed) (unroute as BetterSqlite3.Statement).run(id)
  return { type: 'done', deliveries, ops: written }
})

if (isWriter)
  parentPort!.on('message', (msg: WriterRequest) => {
    let reply: WriterReply
    try {
      if (msg.type === 'batch') reply = commitBoth(msg.items, msg.ops)
      else if (msg.type === 'ops') reply = { type: 'ops-done', results: commitOps(msg.ops) }
      else if (msg.type === 'heartbeat') {
        ;(heartbeat as BetterSqlite3.Statement).run(new Date().toISOString())
        reply = { type: 'heartbeat', ok: true, roomBytes: roomBytes() }
      } else {
        db.close()
        reply = { type: 'closed' }
      }
    } catch (err) {
      reply = { type: 'failed', ...failure(err) }
    }
    parentPort!.postMessage(reply)
  })

function runCheckpointer(): void {
  const CHECKPOINT_EVERY_MS = 250
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      // Busy or closing: the next round tries again.
    }
  }, CHECKPOINT_EVERY_MS)
  parentPort!.on('message', (msg: WriterRequest) => {
    if (msg.type !== 'close') return
    clearInterval(timer)
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      db.close()
      parentPort!.postMessage({ type: 'closed' } satisfies WriterReply)
    }
  })
}
