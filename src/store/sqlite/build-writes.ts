// Build writes, run on the writer thread inside its transactions (see writer.ts).
import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import type { BuildPatch, DeliveryPlan } from '../builds.js'

export type BuildWriteOp =
  | { op: 'plan'; plan: DeliveryPlan; at: string }
  | { op: 'update'; id: string; patch: BuildPatch; at: string }

/** plan → ids of the delivery's builds; update → null. */
export type BuildWriteResult = string[] | null

const COLUMN: Record<keyof BuildPatch, string> = {
  state: 'state',
  queueId: 'queue_id',
  buildNumber: 'build_number',
  buildUrl: 'build_url',
  result: 'result',
  durationMs: 'duration_ms',
  failingStage: 'failing_stage',
  logTail: 'log_tail',
  tests: 'tests',
  callback: 'callback',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  triggeredAt: 'triggered_at',
  job: 'job',
}
const JSON_COLUMNS = new Set<keyof BuildPatch>(['tests', 'callback'])

export function createBuildWrites(db: Database): (op: BuildWriteOp) => BuildWriteResult {
  const insertBuild = db.prepare(
    // OR IGNORE: the same delivery planned again, or the same event already planned for this
    // job by another delivery (its event_key), both mean "already there".
    `INSERT OR IGNORE INTO builds (id, delivery_id, event_index, rule, job, template, tenant, repository, parameters, delivery_param,
       state, event_key, accepted_at, created_at, updated_at)
     VALUES (@id, @deliveryId, @eventIndex, @rule, @job, @template, @tenant, @repository, @parameters, @deliveryParam,
       @state, @eventKey, @acceptedAt, @at, @at)`,
  )
  const insertDispatch = db.prepare(
    `INSERT INTO dispatches (delivery_id, outcome, evaluation, decided_at, skipped) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (delivery_id) DO NOTHING`,
  )
  const setOutcome = db.prepare('UPDATE dispatches SET outcome = ? WHERE delivery_id = ?')
  const markProcessed = db.prepare(`UPDATE deliveries SET status = 'processed', updated_at = ? WHERE id = ? AND status = 'pending'`)
  const idsOf = db.prepare('SELECT id FROM builds WHERE delivery_id = ? ORDER BY seq').pluck()
  const updates = new Map<string, ReturnType<Database['prepare']>>()

  return (op) => {
    if (op.op === 'plan') {
      const { plan, at } = op
      // A delivery is planned once; a second plan (e.g. after a crash between read and write) is a no-op.
      const skipped = plan.skipped ? JSON.stringify(plan.skipped) : null
      if (insertDispatch.run(plan.deliveryId, plan.outcome, JSON.stringify(plan.evaluation), at, skipped).changes > 0) {
        let inserted = 0
        for (const b of plan.builds) {
          inserted += insertBuild.run({
            id: randomUUID(),
            deliveryId: b.deliveryId,
            eventIndex: b.eventIndex,
            rule: b.rule,
            job: b.job,
            template: b.template,
            tenant: b.tenant,
            repository: b.repository,
            parameters: JSON.stringify(b.parameters),
            deliveryParam: b.parameters.DELIVERY_ID ?? '',
            state: b.state,
            eventKey: b.eventKey,
            acceptedAt: b.acceptedAt,
            at,
          }).changes
        }
        if (plan.builds.length > 0 && inserted === 0) setOutcome.run('already planned by another delivery', plan.deliveryId)
      }
      markProcessed.run(at, plan.deliveryId)
      return idsOf.all(plan.deliveryId) as string[]
    }
    const keys = (Object.keys(op.patch) as (keyof BuildPatch)[]).filter((k) => op.patch[k] !== undefined).sort()
    const sig = keys.join(',')
    let stmt = updates.get(sig)
    if (!stmt) {
      const sets = keys.map((k) => `${COLUMN[k]} = @${k}`)
      stmt = db.prepare(`UPDATE builds SET ${[...sets, 'updated_at = @at'].join(', ')} WHERE id = @id`)
      updates.set(sig, stmt)
    }
    const values: Record<string, unknown> = { id: op.id, at: op.at }
    for (const k of keys) {
      const v = op.patch[k]
      values[k] = JSON_COLUMNS.has(k) ? (v === null ? null : JSON.stringify(v)) : v
    }
    stmt.run(values)
    return null
  }
}
