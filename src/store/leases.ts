// Work shared between replicas (issue #16): routing a pending delivery, a build's step, a notice's
// send and a host post are each claimed before they run. On PostgreSQL a claim is one
// `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)` that stamps the row with its owner and an
// expiry (`lease_owner`, `lease_until`): two replicas never claim the same row, and a row whose
// lease ended (its replica died) is claimable again. SQLite is one process: claims are the plain
// due reads and leases are nothing. Interface only.
// https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE
import type { BuildRecord } from './builds.js'
import type { HostPostRecord } from './host-posts.js'
import type { NotificationRecord } from './notifications.js'
import type { StoredDelivery } from './store.js'

export const WORK_KINDS = ['delivery', 'build', 'notice', 'host-post'] as const
export type WorkKind = (typeof WORK_KINDS)[number]

export interface Lease {
  /** This replica's name for its claims (one per process, store/lease-keeper.ts). */
  owner: string
  /** The clock of the claim, epoch ms: rows whose lease ends by then are free. */
  now: number
  /** epoch ms the claim ends unless renewed */
  until: number
}

export interface Due<T> {
  due: T[]
  /**
   * When the next one falls due: its retry time, or (PostgreSQL) the end of another replica's
   * lease on a row that is due, so a dead replica's work is looked at when its lease ends.
   */
  nextAt: number | null
}

export interface WorkLeaseStore {
  /** true when other processes share this store's work (PostgreSQL): the units claim instead of reading. */
  readonly sharedWork: boolean
  /** Pending deliveries nobody else holds, oldest first, now held by `lease.owner`. */
  claimPendingDeliveries(lease: Lease, limit: number): Promise<StoredDelivery[]>
  /** Due active builds nobody else holds (most overdue first), now held by `lease.owner`. */
  claimDueBuilds(lease: Lease, limit: number): Promise<Due<BuildRecord>>
  claimDueNotifications(lease: Lease, limit: number): Promise<Due<NotificationRecord>>
  claimDueHostPosts(lease: Lease, limit: number): Promise<Due<HostPostRecord>>
  /** The item is done (or given back): free for anyone at once. A lease of another owner is left alone. */
  releaseWork(kind: WorkKind, id: string, owner: string): Promise<void>
  /** Every lease of `owner` now ends at `until` (the keeper's heartbeat). */
  renewLeases(owner: string, until: number): Promise<void>
  /** Graceful shutdown: every lease of `owner` ends now; resolves to how many there were. */
  releaseLeases(owner: string): Promise<number>
  /**
   * New work committed by any process (PostgreSQL `LISTEN`): the kinds. The function returned
   * unsubscribes. SQLite: never called (one process wakes its units directly).
   */
  onWork(listener: (kinds: WorkKind[]) => void): () => void
}
