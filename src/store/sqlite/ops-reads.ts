// Operations' reads (issue #16), on the main thread: each is a walk of a (state, …) index over the
// rows in that state only, so a scrape of /metrics stays cheap however many finished rows there are.
import type { Database } from 'better-sqlite3'
import type { DeadLetter, OpsStore, QueueName, QueueStat } from '../ops.js'

/** The queue, its table, the column of its age, and the states its rows wait (or died) in. */
const QUEUES: { queue: QueueName; table: string; since: string; states: string[] }[] = [
  { queue: 'deliveries', table: 'deliveries', since: 'received_at', states: ['pending', 'failed'] },
  {
    queue: 'builds',
    table: 'builds',
    since: 'created_at',
    states: ['pending', 'waiting-for-jenkins', 'triggering', 'queued', 'running', 'refused'],
  },
  { queue: 'notifications', table: 'notifications', since: 'created_at', states: ['pending', 'sending', 'dead'] },
  { queue: 'host-posts', table: 'host_posts', since: 'created_at', states: ['pending', 'sending', 'dead'] },
]

export function createOpsReads(db: Database): OpsStore {
  const status = (q: QueueName) => (q === 'deliveries' ? 'status' : 'state')
  const stats = QUEUES.map((q) => ({
    ...q,
    read: db.prepare(
      `SELECT COUNT(*) AS depth, MIN(${q.since}) AS oldestAt FROM ${q.table} WHERE ${status(q.queue)} = ?`,
    ),
  }))
  const dead = [
    db.prepare(
      `SELECT 'notification' AS kind, id, tenant, channel AS target, attempts, last_error AS lastError,
        updated_at AS updatedAt FROM notifications WHERE state = 'dead' ORDER BY seq LIMIT ?`,
    ),
    db.prepare(
      `SELECT 'host-post' AS kind, id, tenant, target, attempts, last_error AS lastError, updated_at AS updatedAt
        FROM host_posts WHERE state = 'dead' ORDER BY seq LIMIT ?`,
    ),
    db.prepare(
      `SELECT 'build' AS kind, id, tenant, job AS target, attempts, last_error AS lastError, updated_at AS updatedAt
        FROM builds WHERE state = 'refused' ORDER BY seq LIMIT ?`,
    ),
    db.prepare(
      `SELECT 'delivery' AS kind, id, tenant, coalesce(repository, provider) AS target, attempts,
        last_error AS lastError, updated_at AS updatedAt FROM deliveries WHERE status = 'failed' ORDER BY seq LIMIT ?`,
    ),
  ]
  return {
    async queueStats() {
      const out: QueueStat[] = []
      for (const q of stats)
        for (const state of q.states) {
          const r = q.read.get(state) as { depth: number; oldestAt: string | null }
          out.push({ queue: q.queue, state, depth: r.depth, oldestAt: r.oldestAt })
        }
      return out
    },
    async deadLetters(limit) {
      return dead.flatMap((s) => s.all(limit) as DeadLetter[])
    },
  }
}
