// Sign-offs (issue #15) and operations' reads (issue #16) on PostgreSQL: the statements of SQLite's
// signoff-reads.ts, signoff-writes.ts and ops-reads.ts. A decision locks its sign-off's row
// (FOR UPDATE), so two replicas taking two parties' last approvals settle it once.
import { randomUUID } from 'node:crypto'
import type { DeadLetter, OpsStore, QueueStat } from '../ops.js'
import type { AuditEntry } from '../security.js'
import type { SignoffStore } from '../signoffs.js'
import {
  SIGNOFF_COLUMNS as COLUMNS,
  SIGNOFF_PARTIES_SQL,
  toSignoffRecord,
  type SignoffPartyRow,
  type SignoffRow as Row,
} from '../signoff-rows.js'
import type { SignoffWriteOp, SignoffWriteResult } from '../sqlite/signoff-writes.js'
import { insertNotices } from './notices.js'
import { all, one, scalar, type Queryable } from './sql.js'

export function createPgSignoffReads(
  db: Queryable,
): Pick<SignoffStore, 'getSignoff' | 'signoffsOfBuild' | 'unsettledSignoffs'> {
  const toRecord = async (r: Row) =>
    toSignoffRecord(r, await all<SignoffPartyRow>(db, SIGNOFF_PARTIES_SQL('$1'), [r.id]))
  return {
    async getSignoff(id) {
      const r = await one<Row>(db, `SELECT ${COLUMNS} FROM signoffs WHERE id = $1`, [id])
      return r ? toRecord(r) : null
    },
    async signoffsOfBuild(buildId) {
      return Promise.all(
        (await all<Row>(db, `SELECT ${COLUMNS} FROM signoffs WHERE build_id = $1 ORDER BY seq`, [buildId])).map(
          toRecord,
        ),
      )
    },
    async unsettledSignoffs(limit) {
      const rows = await all<Row>(
        db,
        `SELECT ${COLUMNS} FROM signoffs WHERE state IN ('approved', 'rejected') AND jenkins_action IS NULL
         ORDER BY seq LIMIT $1`,
        [limit],
      )
      return Promise.all(rows.map(toRecord))
    },
  }
}

async function audit(db: Queryable, a: AuditEntry, at: string): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (id, at, actor, action, target, tenant, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [randomUUID(), at, a.actor, a.action, a.target, a.tenant, JSON.stringify(a.detail)],
  )
}

export async function signoffWrite(db: Queryable, op: SignoffWriteOp): Promise<SignoffWriteResult> {
  if (op.op === 'signoff-create') {
    const s = op.signoff
    const inserted = await scalar<string>(
      db,
      `INSERT INTO signoffs (id, build_id, tenant, repository, environment, input_id, message, state, expires_at,
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8, $9)
       ON CONFLICT (build_id, input_id) DO NOTHING RETURNING id`,
      [s.id, s.buildId, s.tenant, s.repository, s.environment, s.inputId, s.message, s.expiresAt, op.at],
    )
    if (inserted === null) {
      const before = await scalar<string>(db, 'SELECT id FROM signoffs WHERE build_id = $1 AND input_id = $2', [
        s.buildId,
        s.inputId,
      ])
      return { id: before!, created: false }
    }
    for (const [i, p] of s.parties.entries())
      await db.query('INSERT INTO signoff_parties (signoff_id, position, party) VALUES ($1, $2, $3)', [s.id, i, p])
    await insertNotices(db, op.notices, op.at)
    await audit(db, op.audit, op.at)
    return { id: s.id, created: true }
  }
  if (op.op === 'signoff-decide') {
    const state = await scalar<string>(db, 'SELECT state FROM signoffs WHERE id = $1 FOR UPDATE', [op.id])
    const row = await one<{ decision: string | null }>(
      db,
      'SELECT decision FROM signoff_parties WHERE signoff_id = $1 AND party = $2',
      [op.id, op.party],
    )
    if (state === null) return 'closed'
    if (!row) return 'not-a-party'
    if (row.decision !== null) return 'already-used'
    if (state !== 'waiting') return 'closed'
    await db.query(
      'UPDATE signoff_parties SET decision = $1, decided_at = $2 WHERE signoff_id = $3 AND party = $4 AND decision IS NULL',
      [op.decision, op.at, op.id, op.party],
    )
    await audit(db, op.audit, op.at)
    const settle = (to: string) =>
      db.query("UPDATE signoffs SET state = $1, decided_at = $2 WHERE id = $3 AND state = 'waiting'", [
        to,
        op.at,
        op.id,
      ])
    const open =
      op.decision === 'rejected'
        ? 0
        : await scalar(
            db,
            "SELECT count(*) FROM signoff_parties WHERE signoff_id = $1 AND (decision IS NULL OR decision <> 'approved')",
            [op.id],
          )
    if (Number(open) === 0 && ((await settle(op.decision)).rowCount ?? 0) > 0)
      await insertNotices(db, op.settled?.[op.decision] ?? [], op.at)
    return 'recorded'
  }
  if (op.action !== null) {
    const r = await db.query(
      `UPDATE signoffs SET jenkins_action = $1, jenkins_acted_at = $2, jenkins_error = NULL
       WHERE id = $3 AND jenkins_action IS NULL`,
      [op.action, op.at, op.id],
    )
    if ((r.rowCount ?? 0) > 0 && op.audit) await audit(db, op.audit, op.at)
  } else
    await db.query('UPDATE signoffs SET jenkins_error = $1 WHERE id = $2 AND jenkins_action IS NULL', [op.error, op.id])
  return null
}

/** The queue, its table, the column of its age, and the states its rows wait (or died) in (as ops-reads.ts). */
const QUEUES: { queue: QueueStat['queue']; table: string; since: string; status: string; states: string[] }[] = [
  { queue: 'deliveries', table: 'deliveries', since: 'received_at', status: 'status', states: ['pending', 'failed'] },
  {
    queue: 'builds',
    table: 'builds',
    since: 'created_at',
    status: 'state',
    states: ['pending', 'waiting-for-jenkins', 'triggering', 'queued', 'running', 'refused'],
  },
  {
    queue: 'notifications',
    table: 'notifications',
    since: 'created_at',
    status: 'state',
    states: ['pending', 'sending', 'dead'],
  },
  {
    queue: 'host-posts',
    table: 'host_posts',
    since: 'created_at',
    status: 'state',
    states: ['pending', 'sending', 'dead'],
  },
]

export function createPgOpsReads(db: Queryable): OpsStore {
  return {
    async queueStats() {
      const out: QueueStat[] = []
      for (const q of QUEUES)
        for (const state of q.states) {
          const r = await one<{ depth: number; oldest_at: string | null }>(
            db,
            `SELECT count(*) AS depth, min(${q.since}) AS oldest_at FROM ${q.table} WHERE ${q.status} = $1`,
            [state],
          )
          out.push({ queue: q.queue, state, depth: Number(r?.depth ?? 0), oldestAt: r?.oldest_at ?? null })
        }
      // Diff jobs have no state column: one held by a live lease is being diffed, any other waits.
      const jobs = await all<{ diffing: boolean; depth: number; oldest: number | null }>(
        db,
        `SELECT lease_until > $1 AS diffing, count(*) AS depth, min(queued_at) AS oldest FROM diff_jobs
         GROUP BY lease_until > $1`,
        [Date.now()],
      )
      for (const state of ['waiting', 'diffing']) {
        const r = jobs.find((j) => (j.diffing === true) === (state === 'diffing'))
        const oldestAt = r?.oldest == null ? null : new Date(Number(r.oldest)).toISOString()
        out.push({ queue: 'diffs', state, depth: Number(r?.depth ?? 0), oldestAt })
      }
      return out
    },
    async deadLetters(limit) {
      const select = (sql: string) => all<DeadLetter>(db, sql, [limit])
      return [
        ...(await select(
          `SELECT 'notification' AS kind, id, tenant, channel AS target, attempts, last_error AS "lastError",
             updated_at AS "updatedAt" FROM notifications WHERE state = 'dead' ORDER BY seq LIMIT $1`,
        )),
        ...(await select(
          `SELECT 'host-post' AS kind, id, tenant, target, attempts, last_error AS "lastError", updated_at AS "updatedAt"
             FROM host_posts WHERE state = 'dead' ORDER BY seq LIMIT $1`,
        )),
        ...(await select(
          `SELECT 'build' AS kind, id, tenant, job AS target, attempts, last_error AS "lastError",
             updated_at AS "updatedAt" FROM builds WHERE state = 'refused' ORDER BY seq LIMIT $1`,
        )),
        ...(await select(
          `SELECT 'delivery' AS kind, id, tenant, coalesce(repository, provider) AS target, attempts,
             last_error AS "lastError", updated_at AS "updatedAt" FROM deliveries WHERE status = 'failed'
             ORDER BY seq LIMIT $1`,
        )),
      ]
    },
  }
}
