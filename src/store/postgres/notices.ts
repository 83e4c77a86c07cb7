// Notifications queued inside a write's transaction (a build's decision, a sign-off's request):
// one INSERT for both (writes.ts, signoffs.ts), as pending with no attempts yet.
import type { NewNotification } from '../notifications.js'
import type { Queryable } from './sql.js'

export async function insertNotices(db: Queryable, notices: readonly NewNotification[], at: string): Promise<void> {
  for (const n of notices)
    await db.query(
      `INSERT INTO notifications (id, build_id, tenant, repository, branch, channel, kind, outcome, recipients,
         subject, payload, state, attempts, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, $12)`,
      [
        n.id,
        n.buildId,
        n.tenant,
        n.repository,
        n.branch,
        n.channel,
        n.kind,
        n.outcome,
        JSON.stringify(n.recipients),
        n.subject,
        JSON.stringify(n.payload),
        at,
      ],
    )
}
