// SQLite store (WAL). Reads run on this thread; writes go to one writer thread that
// group-commits: every delivery that arrives while a commit is in flight joins the next
// transaction, so synchronous=FULL (a 2xx survives power loss) costs one fsync per batch.
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import BetterSqlite3 from 'better-sqlite3'
import { startModuleWorker } from '../../worker-thread.js'
import type { DeliveryQuery, NewDelivery, RecordResult, StoredDelivery } from '../store.js'
import { DeliveryNotStoredError, type BuildRecord } from '../builds.js'
import { createBuildReads, toBuild, type BuildRow } from './build-reads.js'
import type { BuildWriteOp, BuildWriteResult, RouteWriteOp, RouteWriteResult } from './build-writes.js'
import { migrate } from './migrations.js'
import { createNotificationReads } from './notification-reads.js'
import type { NotificationWriteOp, NotificationWriteResult } from './notification-writes.js'
import { createHostPostReads } from './host-post-reads.js'
import { createOpsReads } from './ops-reads.js'
import type { HostPostWriteOp, HostPostWriteResult } from './host-post-writes.js'
import { createPushDiffReads } from './push-diff-reads.js'
import type { PushDiffWriteOp, PushDiffWriteResult } from './push-diff-writes.js'
import { createSecurityReads } from './security-reads.js'
import { createMetricsReads } from './metrics-reads.js'
import type { MetricsWriteOp, MetricsWriteResult } from './metrics-writes.js'
import { securityWrites, type SecurityWriteOp, type SecurityWriteResult } from './security-writes.js'
import type { ServiceStore } from '../service-store.js'
import type { WorkLeaseStore } from '../leases.js'
import { singleProcessLeases } from './leases.js'
import {
  newDeliveryId,
  toDelivery,
  toDeliverySummary,
  toWriterRow,
  transferableBody,
  type DeliveryRecordRow as Row,
} from './delivery-row.js'
import type { Outcome, WriteOp, WriteResult, WriterOptions, WriterReply, WriterRequest } from './writer.js'
import { createPageQuery } from './page-query.js'
import { createBranchReads } from './branch-reads.js'
import type { BranchWriteOp, BranchWriteResult } from './branch-writes.js'
import { createSignoffReads } from './signoff-reads.js'
import type { SignoffWriteOp, SignoffWriteResult } from './signoff-writes.js'
import type { DecideOutcome } from '../signoffs.js'
import type { RepositoryKey } from '../branches.js'
import { DELIVERY_COLUMNS as COLUMNS, DELIVERY_PAGES, DELIVERY_SUMMARY_PAGES } from './page-lists.js'
import { storeFailure } from '../failures.js'
import { StoreUnavailableError } from '../../errors.js'

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' (a private temporary file then, since two threads share it). */
  file: string
  synchronous?: 'FULL' | 'NORMAL'
  maxBatch?: number
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number
  /** A cap on the database size in pages; tests use it to fill the store. */
  maxPageCount?: number
}

interface Pending {
  /** Null once it is on its way to the writer: its events are not held until the commit answers (issue #12). */
  delivery: NewDelivery | null
  /** The id its row gets (a duplicate keeps the first one's). */
  id: string
  /** Its place among the writes queued (ordered): a write queued after it never commits before it. */
  order: number
  resolve: (r: RecordResult) => void
  reject: (e: unknown) => void
}

interface PendingOp {
  op: WriteOp
  order: number
  resolve: (r: WriteResult) => void
  reject: (e: unknown) => void
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

function startWriter(workerData: WriterOptions): Worker {
  return startModuleWorker(import.meta.url, 'writer', { workerData })
}

export function openSqliteStore(options: SqliteStoreOptions): ServiceStore {
  const temporary = options.file === ':memory:'
  const file = temporary ? join(tmpdir(), `tamer-${randomUUID()}.db`) : options.file
  mkdirSync(dirname(file), { recursive: true })
  const db = new BetterSqlite3(file)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  const maxBatch = options.maxBatch ?? 256
  const byId = db.prepare(`SELECT ${COLUMNS} FROM deliveries WHERE id = ?`)
  const byHostId = db.prepare(`SELECT ${COLUMNS} FROM deliveries WHERE host_delivery_id = ? ORDER BY seq LIMIT 20`)
  const pageOfDeliveries = createPageQuery(db, DELIVERY_PAGES)
  const pageOfSummaries = createPageQuery(db, DELIVERY_SUMMARY_PAGES)
  const pendingRows = db.prepare(`SELECT ${COLUMNS} FROM deliveries WHERE status = 'pending' ORDER BY seq LIMIT ?`)
  const buildReads = createBuildReads(db)
  const { undecidedBuildIds, ...notificationReads } = createNotificationReads(db)
  const pushDiffReads = createPushDiffReads(db)
  const securityReads = createSecurityReads(db)
  const { metricReportBySeq, ...metricsReads } = createMetricsReads(db)
  const branchReads = createBranchReads(db, toDelivery as (row: never) => StoredDelivery, COLUMNS)
  const hostPostReads = createHostPostReads(db)
  const opsReads = createOpsReads(db)
  const signoffReads = createSignoffReads(db)

  const synchronous = options.synchronous ?? 'FULL'
  const limits = { busyTimeoutMs: options.busyTimeoutMs, maxPageCount: options.maxPageCount }
  const writer = startWriter({ file, synchronous, role: 'writer', ...limits })
  const checkpointer = startWriter({ file, synchronous, role: 'checkpointer', ...limits })
  writer.unref()
  checkpointer.unref()
  // A checkpointer that stops leaves the WAL growing until the next start, never a lost write;
  // without a listener its error would end the whole process.
  let checkpointerError: Error | null = null
  checkpointer.on('error', (err) => void (checkpointerError = err))

  let queue: Pending[] = []
  let ops: PendingOp[] = []
  let order = 0
  /**
   * Whoever waits for each of the writer's replies, in the order the requests went (it answers in that order).
   * Two may be in flight: while the writer commits one, the writes queued meanwhile are on their way; waiting
   * for each reply before sending the next made every write wait for a reply the main thread had not read yet
   * (a burst's writes waited two or three turns of a busy event loop, issue #12). More than two would only
   * trade the group commit for more fsyncs.
   */
  const inFlight: ((reply: WriterReply) => void)[] = []
  const MAX_IN_FLIGHT = 2
  const waiters: { request: WriterRequest; onReply: (reply: WriterReply) => void }[] = []
  let broken: Error | null = null
  let closed = false

  const send = (request: WriterRequest, transfer: ArrayBuffer[], onReply: (reply: WriterReply) => void) => {
    inFlight.push(onReply)
    writer.postMessage(request, transfer)
  }

  /**
   * What a turn of the event loop queues goes to the writer at its end, as one request: sent at the first
   * write, the others of the turn waited for its reply.
   */
  let flushing = false
  const pump = () => {
    if (flushing || broken || inFlight.length >= MAX_IN_FLIGHT) return
    if (waiters.length === 0 && queue.length === 0 && ops.length === 0) return
    flushing = true
    setImmediate(flush)
  }
  const flush = () => {
    flushing = false
    while (!broken && inFlight.length < MAX_IN_FLIGHT && sendNext());
  }

  /** Sends the next request; false when nothing waits. */
  const sendNext = (): boolean => {
    const waiter = waiters.shift()
    if (waiter) return (send(waiter.request, [], waiter.onReply), true)
    if (queue.length === 0) return pumpOps()
    // Deliveries and the build writes queued meanwhile go in one commit (one fsync for both).
    const batch = queue.slice(0, maxBatch)
    queue = queue.slice(batch.length)
    // Not the writes queued after a delivery this batch leaves behind: a plan of that delivery (the pipeline's
    // early route) would find it not stored yet, and be refused.
    const before = queue[0]?.order ?? Infinity
    let taken = 0
    while (taken < ops.length && taken < maxBatch && ops[taken]!.order < before) taken++
    const opsBatch = ops.slice(0, taken)
    ops = ops.slice(taken)
    const items = batch.map((p) => {
      const row = toWriterRow(p.delivery!, p.id)
      p.delivery = null
      return row
    })
    // A Set: an ArrayBuffer listed twice fails the whole postMessage (one body recorded twice).
    const transfer = new Set<ArrayBuffer>()
    for (const d of items) {
      const body = transferableBody(d.body)
      if (body) transfer.add(body)
      transfer.add(d.normalized.buffer as ArrayBuffer)
    }
    send({ type: 'batch', items, ops: opsBatch.map((p) => p.op) }, [...transfer], (reply) => {
      if (reply.type === 'done') {
        settle(batch, reply.deliveries)
        settle(opsBatch, reply.ops)
        return
      }
      const err = failureOf(reply)
      for (const p of batch) p.reject(err)
      for (const p of opsBatch) p.reject(err)
    })
    return true
  }

  const failureOf = (reply: WriterReply) =>
    reply.type === 'failed'
      ? (broken ?? storeFailure(reply.message, reply.code))
      : new Error(`bug: unexpected writer reply ${reply.type}`)

  function settle<R>(waiting: { resolve: (r: R) => void; reject: (e: unknown) => void }[], outcome: Outcome<R>): void {
    // An op with nothing to return answers null (as its own commit did).
    if (outcome.ok) waiting.forEach((p, i) => p.resolve(outcome.results[i] ?? (null as R)))
    else for (const p of waiting) p.reject(broken ?? storeFailure(outcome.message, outcome.code))
  }

  const pumpOps = (): boolean => {
    if (ops.length === 0) return false
    const batch = ops.slice(0, maxBatch)
    ops = ops.slice(batch.length)
    send({ type: 'ops', ops: batch.map((p) => p.op) }, [], (reply) => {
      if (reply.type === 'ops-done') batch.forEach((p, i) => p.resolve(reply.results[i] ?? null))
      else for (const p of batch) p.reject(failureOf(reply))
    })
    return true
  }

  /** Build, notification and push-diff writes queue like deliveries and commit in groups on the writer thread. */
  function write(op: BuildWriteOp): Promise<BuildWriteResult>
  function write(op: RouteWriteOp): Promise<RouteWriteResult>
  function write(op: NotificationWriteOp): Promise<NotificationWriteResult>
  function write(op: PushDiffWriteOp): Promise<PushDiffWriteResult>
  function write(op: SecurityWriteOp): Promise<SecurityWriteResult>
  function write(op: MetricsWriteOp): Promise<MetricsWriteResult>
  function write(op: BranchWriteOp): Promise<BranchWriteResult>
  function write(op: HostPostWriteOp): Promise<HostPostWriteResult>
  function write(op: SignoffWriteOp): Promise<SignoffWriteResult>
  function write(op: WriteOp): Promise<WriteResult> {
    if (closed) return Promise.reject(new StoreUnavailableError('the store is closed (Tamer is stopping)'))
    if (broken) return Promise.reject(broken)
    return new Promise<WriteResult>((resolve, reject) => {
      ops.push({ op, order: order++, resolve, reject })
      pump()
    })
  }

  writer.on('message', (reply: WriterReply) => {
    inFlight.shift()?.(reply)
    pump()
  })
  writer.on('error', (err) => {
    broken = new StoreUnavailableError(`the writer thread stopped: ${err.message}`)
    for (const onReply of inFlight.splice(0)) onReply({ type: 'failed', message: err.message })
    for (const p of queue) p.reject(broken)
    queue = []
    for (const p of ops) p.reject(broken)
    ops = []
    for (const w of waiters.splice(0)) w.onReply({ type: 'failed', message: err.message })
  })

  const request = (req: WriterRequest) =>
    new Promise<WriterReply>((resolve) => {
      if (broken) return resolve({ type: 'failed', message: broken.message })
      waiters.push({ request: req, onReply: resolve })
      pump()
    })

  /**
   * Each trigger asks for its repository's branch choices (the job's BRANCH parameter, issue #14), two reads on
   * the main thread per build (issue #12). They change only through this store's branch writes, which clear them
   * when queued and again when committed (a read in between saw the rows before).
   */
  const choices = new Map<string, string[]>()
  const branchWrite = async <T>(work: () => Promise<T>): Promise<T> => {
    choices.clear()
    try {
      return await work()
    } finally {
      choices.clear()
    }
  }

  const queuedListeners = new Set<(id: string, delivery: NewDelivery) => void>()

  const store: Omit<ServiceStore, keyof WorkLeaseStore> = {
    recordDelivery(delivery) {
      if (closed) return Promise.reject(new StoreUnavailableError('the store is closed (Tamer is stopping)'))
      if (broken) return Promise.reject(broken)
      const id = newDeliveryId()
      const recorded = new Promise<RecordResult>((resolve, reject) => {
        queue.push({ delivery, id, order: order++, resolve, reject })
        pump()
      })
      // After the caller's synchronous part: what the listeners queue goes behind the delivery, in this turn.
      if (queuedListeners.size > 0) queueMicrotask(() => queuedListeners.forEach((l) => l(id, delivery)))
      return recorded
    },
    onDeliveryQueued(listener) {
      queuedListeners.add(listener)
      return () => void queuedListeners.delete(listener)
    },
    async getDelivery(id) {
      const row = byId.get(id) as Row | undefined
      return row ? toDelivery(row) : null
    },
    async deliveriesByHostId(hostDeliveryId) {
      return (byHostId.all(hostDeliveryId) as Row[]).map(toDelivery)
    },
    async listDeliveries(q: DeliveryQuery) {
      const rows = pageOfDeliveries(q)
      return (rows as Row[]).map(toDelivery)
    },
    async listDeliverySummaries(q: DeliveryQuery) {
      return (pageOfSummaries(q) as Row[]).map(toDeliverySummary)
    },
    async pendingDeliveries(limit) {
      return (pendingRows.all(limit) as Row[]).map(toDelivery)
    },
    async planDelivery(plan) {
      const rows = (await write({ op: 'plan', plan, at: new Date().toISOString() })) as BuildRow[] | null | false
      if (rows === false) throw new DeliveryNotStoredError(plan.deliveryId)
      return (rows ?? []).map(toBuild)
    },
    async updateBuild(id, patch) {
      await write({ op: 'update', id, patch, at: new Date().toISOString() })
    },
    async routeFailed(id, lastError, maxAttempts) {
      // One process: the pipeline's own timer brings the retry (retryAt is for replicas' leases).
      const at = new Date().toISOString()
      return (await write({ op: 'route-failed', id, lastError, maxAttempts, at })) as {
        attempts: number
        failed: boolean
      } | null
    },
    async retryDelivery(id) {
      return (await write({ op: 'route-retry', id, at: new Date().toISOString() })) === true
    },
    ...buildReads,
    ...notificationReads,
    async undecidedBuilds(limit) {
      const builds = await Promise.all(undecidedBuildIds(limit).map((id) => buildReads.getBuild(id)))
      return builds.filter((b): b is BuildRecord => b !== null)
    },
    async recordDecision(decision, notices, at) {
      return (await write({ op: 'notice-decide', decision, notices, at: new Date(at).toISOString() })) === true
    },
    async updateNotification(id, from, patch) {
      return (await write({ op: 'notice-update', id, from, patch, at: new Date().toISOString() })) === true
    },
    async abandonInterruptedSends(reason, at) {
      return (await write({ op: 'notice-abandon', reason, at: new Date(at).toISOString() })) as number
    },
    ...hostPostReads,
    ...opsReads,
    async recordHostPosts(posts) {
      return (await write({ op: 'post-record', posts, at: new Date().toISOString() })) as number
    },
    async updateHostPost(id, from, patch) {
      return (await write({ op: 'post-update', id, from, patch, at: new Date().toISOString() })) === true
    },
    async resumeInterruptedHostPosts(at) {
      return (await write({ op: 'post-resume', at: new Date(at).toISOString() })) as number
    },
    ...pushDiffReads,
    async savePushDiff(d) {
      await write({
        op: 'diff-save',
        deliveryId: d.deliveryId,
        variant: d.variant,
        payload: d.payload,
        rawBytes: d.rawBytes,
        at: new Date().toISOString(),
      })
    },
    async prunePushDiffs(before) {
      return (await write({ op: 'diff-prune', before })) ?? 0
    },
    ...securityReads,
    ...securityWrites(write),
    ...metricsReads,
    async saveMetricReport(report) {
      const seq = await write({ op: 'metrics-save', report, at: new Date().toISOString() })
      return metricReportBySeq(seq)!
    },
    async saveParityReport(report) {
      const at = new Date().toISOString()
      const seq = await write({ op: 'metrics-parity-save', report, at })
      return { ...report, seq, reportedAt: at }
    },
    ...signoffReads,
    async createSignoff(signoff, notices, audit) {
      const r = (await write({ op: 'signoff-create', signoff, notices, audit, at: new Date().toISOString() })) as {
        id: string
        created: boolean
      }
      return { signoff: (await signoffReads.getSignoff(r.id))!, created: r.created }
    },
    async decideSignoff(id, party, decision, audit, settled) {
      const at = new Date().toISOString()
      const outcome = (await write({ op: 'signoff-decide', id, party, decision, audit, at, settled })) as DecideOutcome
      return { outcome, signoff: await signoffReads.getSignoff(id) }
    },
    async recordSignoffAction(id, r) {
      const at = new Date().toISOString()
      await write({ op: 'signoff-action', id, action: r.action, error: r.error, audit: r.action ? r.audit : null, at })
    },
    ...branchReads,
    async branchChoices(k, limit) {
      const key = `${k.tenant}\n${k.provider}\n${k.repository}\n${limit}`
      let c = choices.get(key)
      if (!c) {
        c = await branchReads.branchChoices(k, limit)
        if (choices.size >= 10_000) choices.clear()
        choices.set(key, c)
      }
      return [...c]
    },
    async applyBranchChanges(changes, cursor) {
      return branchWrite(() => write({ op: 'branch-apply', changes, cursor, at: new Date().toISOString() })) as Promise<
        RepositoryKey[]
      >
    },
    async applyRemoteListing(listing) {
      return (await branchWrite(() => write({ op: 'branch-listing', listing, at: new Date().toISOString() }))) === true
    },
    async recordScheduleSlot(key, slot) {
      return (await write({ op: 'branch-slot', key, slot, at: new Date().toISOString() })) === true
    },
    async checkWritable(check = {}) {
      if (closed) throw new StoreUnavailableError('the store is closed (Tamer is stopping)')
      const reply = await request({ type: 'heartbeat' })
      if (reply.type === 'failed') throw storeFailure(reply.message, reply.code)
      if (reply.type !== 'heartbeat') throw new Error(`bug: the writer thread answered a heartbeat with ${reply.type}`)
      const need = check.minRoomBytes ?? 0
      if (reply.roomBytes < need)
        throw new StoreUnavailableError(
          `the disk (or the database size cap) is nearly full: ${mb(reply.roomBytes)} left, deliveries need ${mb(need)}`,
        )
    },
    async close() {
      if (closed) return
      closed = true
      // Everything already queued is committed before the writer closes.
      while (queue.length > 0 || ops.length > 0 || inFlight.length > 0) await new Promise((r) => setImmediate(r))
      if (!broken) await request({ type: 'close' })
      await writer.terminate()
      // A checkpointer that already stopped would never answer (and never exit again).
      if (!checkpointerError)
        await new Promise<void>((resolve) => {
          checkpointer.once('message', () => resolve())
          checkpointer.once('error', () => resolve())
          checkpointer.once('exit', () => resolve())
          checkpointer.postMessage({ type: 'close' } satisfies WriterRequest)
        })
      await checkpointer.terminate()
      db.close()
      if (temporary) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
    },
  }
  return { ...store, ...singleProcessLeases(store) }
}
