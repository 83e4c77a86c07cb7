// Work shared between replicas (issue #16): routing a pending delivery, a build's step, a notice's
// send and a host post are each claimed before they run. On PostgreSQL a claim is one
// `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)` that stamps the row with its owner and an
// expiry (`lease_owner`, `lease_until`): two replicas never claim the same row, and a row whose
// lease ended (its replica died) is claimable again. SQLite is one process: claims are the plain
// due reads and leases are nothing. Interface only.
// https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE
import type { BuildRecord } from './builds.js'
import type { Lease } from './lease.js'
import type { HostPostRecord } from './host-posts.js'
import type { NotificationRecord } from './notifications.js'
import type { StoredDelivery } from './store.js'

export const WORK_KINDS = ['delivery', 'build', 'notice', 'host-post', 'diff'] as const
export type WorkKind = (typeof WORK_KINDS)[number]

export type { Lease } from './lease.js'

export interface Due<T> {
  due: T[]
  /**
   * When the next one falls due: its retry time, or (PostgreSQL) the end of another replica's
   * lease on a row that is due, so a dead replica's work is looked at when its lease ends.
   */
  nextAt: number | null
}

/**
 * A build claim that also writes the trigger's intent of the pending builds it takes, as the step's first save
 * did ('triggering', attempts + 1, triggeredAt `at`; issue #16: two statements and a commit less per trigger):
 * only for a pending build never held (no next attempt set) with no earlier build of its job held (push order;
 * heldBuildBefore, read in the claim's statement) and whose template reads no repository settings (read before
 * the intent). The claimer sends those at once; to anyone else (after a crash, once its lease ended) each is an
 * uncertain trigger, looked for in Jenkins first.
 */
export interface ClaimIntent {
  /** epoch ms: the builds' triggeredAt */
  at: number
  /** Templates whose builds read the repository's settings before their trigger: claimed without an intent. */
  exceptTemplates: readonly string[]
}

export interface ClaimedBuilds extends Due<BuildRecord> {
  /** The builds whose intent this claim committed (now 'triggering'): the claimer's to send. */
  intents?: ReadonlySet<string>
}

export interface WorkLeaseStore {
  /** true when other processes share this store's work (PostgreSQL): the units claim instead of reading. */
  readonly sharedWork: boolean
  /** Pushes to diff ahead of their first view, shared by the replicas; none where work is not shared. */
  readonly diffJobs: DiffJobQueue | null
  /** Pending deliveries nobody else holds, oldest first, now held by `lease.owner`. */
  claimPendingDeliveries(lease: Lease, limit: number): Promise<StoredDelivery[]>
  /**
   * From now on a pending delivery this store records is held from its commit by a lease from `lease()`: the
   * process that stored it routes it without a claim, and the others are not woken for it (issue #16: every
   * replica claimed on every delivery's NOTIFY, most of them nothing). Unrenewed (that process died) it is anyone's.
   * PostgreSQL only.
   */
  holdStoredDeliveries?(lease: () => Lease): void
  /**
   * Due active builds nobody else holds (most overdue first), now held by `lease.owner`. With `intent`, a pending
   * build's trigger intent is committed by the claim itself (PostgreSQL; SQLite claims none): see ClaimIntent.
   */
  claimDueBuilds(lease: Lease, limit: number, intent?: ClaimIntent): Promise<ClaimedBuilds>
  claimDueNotifications(lease: Lease, limit: number): Promise<Due<NotificationRecord>>
  claimDueHostPosts(lease: Lease, limit: number): Promise<Due<HostPostRecord>>
  /** The item is done (or given back): free for anyone at once. A lease of another owner is left alone. */
  releaseWork(kind: WorkKind, id: string, owner: string): Promise<void>
  /** Every lease of `owner` now ends at `until` (the keeper's heartbeat). */
  renewLeases(owner: string, until: number): Promise<void>
  /** Graceful shutdown: every lease of `owner` ends now; resolves to how many there were. */
  releaseLeases(owner: string): Promise<number>
  /**
   * New work committed by any process (PostgreSQL `LISTEN`): the kinds, and whether this store's own writer
   * committed it. The function returned unsubscribes. SQLite: never called (one process wakes its units directly).
   */
  onWork(listener: (kinds: WorkKind[], own: boolean) => void): () => void
}

// Pushes to diff ahead of their first view (issue #16): a job row per delivery, claimed with a lease
// like the rest, so two replicas never diff one push and a killed replica's jobs are taken over
// when its leases end. Only stores whose work is shared have one (PostgreSQL); SQLite's one process
// keeps the queue in memory (diffs/precompute.ts).
export interface DiffJob {
  deliveryId: string
  tenant: string
  /** Claims so far, this one included: a diff that ends its replica (out of memory) is not tried forever. */
  attempts: number
}

export interface DiffJobQueue {
  /**
   * Queues these deliveries (a delivery already queued is left as it is) and tells the other replicas.
   * Past `limit` waiting jobs, the oldest waiting ones of the tenant with the most are dropped: a
   * dropped push is diffed on its first view.
   */
  queueDiffJobs(jobs: { deliveryId: string; tenant: string }[], limit: number): Promise<void>
  /**
   * At most `limit` waiting jobs nobody holds and tried fewer than `maxAttempts` times, now held by
   * `lease.owner`; tenants take turns (each tenant's oldest first), and none of `busyTenants`. Jobs
   * nobody holds that were tried `maxAttempts` times are given up in the same statement.
   */
  claimDiffJobs(
    lease: Lease,
    limit: number,
    maxAttempts: number,
    busyTenants: string[],
  ): Promise<Due<DiffJob> & { givenUp: DiffJob[] }>
  /** The job is done (diffed, or failed and logged): gone, if `owner` still holds it. */
  finishDiffJob(deliveryId: string, owner: string): Promise<void>
}
