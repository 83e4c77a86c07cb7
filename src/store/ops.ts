// Operations' reads (issue #16): how much work waits in each durable queue and since when (for
// /metrics, computed on each scrape), and the dead letters of every outbox (`tamer dead-letters`).
// Interface only; each engine answers from its indexes on state.

/** The durable queues: deliveries to route, builds to drive, notices to send, posts to git hosts. */
/** `diffs`: the precompute's jobs where replicas share them (PostgreSQL); SQLite's queue is in memory. */
export type QueueName = 'deliveries' | 'builds' | 'notifications' | 'host-posts' | 'diffs'

export interface QueueStat {
  queue: QueueName
  /** The state the rows wait in (a build's `waiting-for-jenkins`, a notice's `pending`, …; `dead` for dead letters). */
  state: string
  depth: number
  /** When the oldest row in that state was made (ISO), null when there is none. */
  oldestAt: string | null
}

/**
 * A piece of work given up on: a notice or host post that is `dead`, a build that is `refused`, a delivery
 * whose route kept throwing (`failed`).
 */
export interface DeadLetter {
  kind: 'notification' | 'host-post' | 'build' | 'delivery'
  id: string
  tenant: string
  /** The channel, the host post's target, the build's job or the delivery's repository. */
  target: string
  attempts: number
  lastError: string | null
  updatedAt: string
}

export interface OpsStore {
  queueStats(): Promise<QueueStat[]>
  /** Oldest first, at most `limit` of each kind. */
  deadLetters(limit: number): Promise<DeadLetter[]>
}
