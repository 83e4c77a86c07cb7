// Notification writes, run on the writer thread inside its transactions (see writer.ts).
import type { Database } from 'better-sqlite3'
import { NOTICE_PATCH_COLUMNS } from '../patch-columns.js'
import type { NewNotification, NoticeDecision, NotificationPatch, NotificationState } from '../notifications.js'

export type NotificationWriteOp =
  | { op: 'notice-decide'; decision: NoticeDecision; notices: NewNotification[]; at: string }
  | { op: 'notice-update'; id: string; from: NotificationState; patch: NotificationPatch; at: string }
  | { op: 'notice-abandon'; reason: string; at: string }

/** decide → stored (false: decided before); update → moved; abandon → how many. */
export type NotificationWriteResult = boolean | number

export function isNotificationWrite(op: { op: string }): op is NotificationWriteOp {
  return op.op.startsWith('notice-')
}

const COLUMN = NOTICE_PATCH_COLUMNS

export function createNotificationWrites(db: Database): (op: NotificationWriteOp) => NotificationWriteResult {
  const insertDecision = db.prepare(
    `INSERT INTO notice_decisions (build_id, thread_key, outcome, notified, reason, decided_at)
     VALUES (@buildId, @threadKey, @outcome, @notified, @reason, @decidedAt) ON CONFLICT (build_id) DO NOTHING`,
  )
  const insertNotice = db.prepare(
    `INSERT INTO notifications (id, build_id, tenant, repository, branch, channel, kind, outcome, recipients, subject,
       payload, state, attempts, created_at, updated_at)
     VALUES (@id, @buildId, @tenant, @repository, @branch, @channel, @kind, @outcome, @recipients, @subject,
       @payload, 'pending', 0, @at, @at)`,
  )
  const abandon = db.prepare(
    `UPDATE notifications SET state = 'dead', last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE state = 'sending'`,
  )
  const updates = new Map<string, ReturnType<Database['prepare']>>()

  return (op) => {
    if (op.op === 'notice-decide') {
      const d = op.decision
      // The decision row is the guard: a build is decided, and its notices stored, once.
      const r = insertDecision.run({ ...d, notified: d.notified ? 1 : 0 })
      if (r.changes === 0) return false
      for (const n of op.notices)
        insertNotice.run({
          ...n,
          recipients: JSON.stringify(n.recipients),
          payload: JSON.stringify(n.payload),
          at: op.at,
        })
      return true
    }
    if (op.op === 'notice-abandon') return abandon.run(op.reason, op.at).changes
    const keys = (Object.keys(op.patch) as (keyof NotificationPatch)[]).filter((k) => op.patch[k] !== undefined).sort()
    const sig = keys.join(',')
    let stmt = updates.get(sig)
    if (!stmt) {
      const sets = keys.map((k) => `${COLUMN[k]} = @${k}`)
      stmt = db.prepare(
        `UPDATE notifications SET ${[...sets, 'updated_at = @at'].join(', ')} WHERE id = @id AND state = @from`,
      )
      updates.set(sig, stmt)
    }
    const values: Record<string, unknown> = { id: op.id, from: op.from, at: op.at }
    for (const k of keys) values[k] = op.patch[k]
    return stmt.run(values).changes > 0
  }
}
