// Notification reads, on the main thread (WAL readers never wait for the writer).
import type { Database } from 'better-sqlite3'
import type { NoticeDecision, NotificationQuery, NotificationRecord, NotificationStore } from '../notifications.js'
import type { BuildRecord } from '../builds.js'
import { createPageQuery } from './page-query.js'
import { NOTIFICATION_PAGES } from './page-lists.js'

interface Row {
  seq: number
  id: string
  build_id: string | null
  tenant: string
  repository: string | null
  branch: string | null
  channel: string
  kind: string
  outcome: string
  recipients: string
  subject: string
  payload: string
  state: string
  attempts: number
  next_attempt_at: number | null
  last_error: string | null
  accepted_by: string | null
  sent_at: string | null
  created_at: string
  updated_at: string
}

export function toNotification(r: Row): NotificationRecord {
  return {
    seq: r.seq,
    id: r.id,
    buildId: r.build_id,
    tenant: r.tenant,
    repository: r.repository,
    branch: r.branch,
    channel: r.channel,
    kind: r.kind,
    outcome: r.outcome,
    recipients: JSON.parse(r.recipients),
    subject: r.subject,
    payload: JSON.parse(r.payload),
    state: r.state as NotificationRecord['state'],
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    acceptedBy: r.accepted_by,
    sentAt: r.sent_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

interface DecisionRow {
  build_id: string
  thread_key: string
  outcome: string | null
  notified: number
  reason: string
  decided_at: number
}

export const toDecision = (r: DecisionRow): NoticeDecision => ({
  buildId: r.build_id,
  threadKey: r.thread_key,
  outcome: r.outcome as NoticeDecision['outcome'],
  notified: r.notified === 1,
  reason: r.reason,
  decidedAt: r.decided_at,
})

export type NotificationReads = Omit<
  NotificationStore,
  'recordDecision' | 'updateNotification' | 'abandonInterruptedSends' | 'undecidedBuilds'
> & {
  undecidedBuildIds(limit: number): string[]
}

export function createNotificationReads(db: Database): NotificationReads {
  const pageOfNotifications = createPageQuery(db, NOTIFICATION_PAGES)
  const undecided = db
    .prepare(
      `SELECT b.id FROM builds b LEFT JOIN notice_decisions d ON d.build_id = b.id
     WHERE b.state = 'finished' AND d.build_id IS NULL ORDER BY b.seq LIMIT ?`,
    )
    .pluck()
  const lastNotified = db.prepare(
    'SELECT * FROM notice_decisions WHERE thread_key = ? AND notified = 1 ORDER BY decided_at DESC, rowid DESC LIMIT 1',
  )
  const countAfter = db
    .prepare(
      'SELECT count(*) FROM notice_decisions WHERE thread_key = ? AND rowid > (SELECT rowid FROM notice_decisions WHERE build_id = ?)',
    )
    .pluck()
  const byId = db.prepare('SELECT * FROM notifications WHERE id = ?')
  const due = db.prepare(
    `SELECT * FROM notifications WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
     ORDER BY coalesce(next_attempt_at, 0), seq LIMIT ?`,
  )
  const nextDue = db
    .prepare(`SELECT min(next_attempt_at) FROM notifications WHERE state = 'pending' AND next_attempt_at > ?`)
    .pluck()
  return {
    undecidedBuildIds: (limit) => undecided.all(limit) as string[],
    async lastNotifiedDecision(threadKey) {
      const r = lastNotified.get(threadKey) as DecisionRow | undefined
      return r ? toDecision(r) : null
    },
    async decisionsAfter(threadKey, buildId) {
      return countAfter.get(threadKey, buildId) as number
    },
    async dueNotifications(now, limit) {
      const rows = due.all(now, limit) as Row[]
      return { due: rows.map(toNotification), nextAt: (nextDue.get(now) as number | null) ?? null }
    },
    async getNotification(id) {
      const r = byId.get(id) as Row | undefined
      return r ? toNotification(r) : null
    },
    async listNotifications(q: NotificationQuery) {
      const rows = pageOfNotifications(q)
      return (rows as Row[]).map(toNotification)
    },
  }
}

export type { BuildRecord }
