// Sign-off writes (issue #15), run on the writer thread inside its transactions (see writer.ts). A
// party's decision is made once (its row's decision is set only while empty), and the sign-off
// settles in the same write that stores the last approval or the first rejection.
import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import type { NewNotification } from '../notifications.js'
import type { AuditEntry } from '../security.js'
import type { DecideOutcome, NewSignoff, SignoffDecision } from '../signoffs.js'

export type SignoffWriteOp =
  | { op: 'signoff-create'; signoff: NewSignoff; notices: NewNotification[]; audit: AuditEntry; at: string }
  | {
      op: 'signoff-decide'
      id: string
      party: string
      decision: SignoffDecision
      audit: AuditEntry
      at: string
      /** stored when this decision settles the sign-off, by the state it settles to */
      settled?: Record<SignoffDecision, NewNotification[]>
    }
  | {
      op: 'signoff-action'
      id: string
      action: 'proceed' | 'abort' | null
      error: string | null
      audit: AuditEntry | null
      at: string
    }

/** create: the sign-off's id (the existing one's when it was requested before) and whether it is new. */
export type SignoffWriteResult = { id: string; created: boolean } | DecideOutcome | null

export function isSignoffWrite(op: { op: string }): op is SignoffWriteOp {
  return op.op.startsWith('signoff-')
}

export function createSignoffWrites(db: Database): (op: SignoffWriteOp) => SignoffWriteResult {
  const existing = db.prepare('SELECT id FROM signoffs WHERE build_id = ? AND input_id = ?').pluck()
  const insert = db.prepare(
    `INSERT INTO signoffs (id, build_id, tenant, repository, environment, input_id, message, state, expires_at,
       created_at) VALUES (@id, @buildId, @tenant, @repository, @environment, @inputId, @message, 'waiting',
       @expiresAt, @at)`,
  )
  const insertParty = db.prepare('INSERT INTO signoff_parties (signoff_id, position, party) VALUES (?, ?, ?)')
  const insertNotice = db.prepare(
    `INSERT INTO notifications (id, build_id, tenant, repository, branch, channel, kind, outcome, recipients, subject,
       payload, state, attempts, created_at, updated_at)
     VALUES (@id, @buildId, @tenant, @repository, @branch, @channel, @kind, @outcome, @recipients, @subject,
       @payload, 'pending', 0, @at, @at)`,
  )
  const insertAudit = db.prepare(
    'INSERT INTO audit_log (id, at, actor, action, target, tenant, detail) VALUES (@id, @at, @actor, @action, @target, @tenant, @detail)',
  )
  const audit = (a: AuditEntry, at: string) =>
    void insertAudit.run({ ...a, id: randomUUID(), at, detail: JSON.stringify(a.detail) })
  const notices = (list: readonly NewNotification[], at: string) => {
    for (const n of list)
      insertNotice.run({ ...n, recipients: JSON.stringify(n.recipients), payload: JSON.stringify(n.payload), at })
  }
  const stateOf = db.prepare('SELECT state FROM signoffs WHERE id = ?').pluck()
  const partyDecision = db.prepare('SELECT decision FROM signoff_parties WHERE signoff_id = ? AND party = ?')
  const decide = db.prepare(
    'UPDATE signoff_parties SET decision = ?, decided_at = ? WHERE signoff_id = ? AND party = ? AND decision IS NULL',
  )
  const undecided = db
    .prepare(
      "SELECT COUNT(*) FROM signoff_parties WHERE signoff_id = ? AND (decision IS NULL OR decision <> 'approved')",
    )
    .pluck()
  const settle = db.prepare("UPDATE signoffs SET state = ?, decided_at = ? WHERE id = ? AND state = 'waiting'")
  const acted = db.prepare(
    'UPDATE signoffs SET jenkins_action = ?, jenkins_acted_at = ?, jenkins_error = NULL WHERE id = ? AND jenkins_action IS NULL',
  )
  const failed = db.prepare('UPDATE signoffs SET jenkins_error = ? WHERE id = ? AND jenkins_action IS NULL')

  return (op) => {
    if (op.op === 'signoff-create') {
      const s = op.signoff
      const before = existing.get(s.buildId, s.inputId) as string | undefined
      if (before) return { id: before, created: false }
      insert.run({ ...s, at: op.at })
      s.parties.forEach((p, i) => insertParty.run(s.id, i, p))
      notices(op.notices, op.at)
      audit(op.audit, op.at)
      return { id: s.id, created: true }
    }
    if (op.op === 'signoff-decide') {
      const state = stateOf.get(op.id) as string | undefined
      const row = partyDecision.get(op.id, op.party) as { decision: string | null } | undefined
      if (state === undefined) return 'closed'
      if (!row) return 'not-a-party'
      if (row.decision !== null) return 'already-used'
      if (state !== 'waiting') return 'closed'
      decide.run(op.decision, op.at, op.id, op.party)
      audit(op.audit, op.at)
      const to = op.decision === 'rejected' || (undecided.get(op.id) as number) === 0 ? op.decision : null
      if (to && settle.run(to, op.at, op.id).changes > 0) notices(op.settled?.[to] ?? [], op.at)
      return 'recorded'
    }
    if (op.action !== null) {
      if (acted.run(op.action, op.at, op.id).changes > 0 && op.audit) audit(op.audit, op.at)
    } else failed.run(op.error, op.id)
    return null
  }
}
