// Build writes, run on the writer thread inside its transactions (see writer.ts).
import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import type { BuildPatch, DeliveryPlan, JenkinsRun, PlannedBuild } from '../builds.js'
import { createHeldBuildQuery, type BuildRow } from './build-reads.js'
import { BUILD_PATCH_COLUMNS, buildPatchValue, type BuildColumn } from '../patch-columns.js'

export type BuildWriteOp =
  { op: 'plan'; plan: DeliveryPlan; at: string } | { op: 'update'; id: string; patch: BuildPatch; at: string }

/**
 * plan → the delivery's builds as stored, read in the plan's transaction on the writer thread (the main
 * thread reading them back after the commit was a read per build on the busy thread, issue #12); PostgreSQL's
 * writes (postgres/writes.ts) answer their ids; false: a plan `ifStored` whose delivery is not stored. update → null.
 */
export type BuildWriteResult = BuildRow[] | string[] | null | false

/** A delivery's failed routes (SQLite only: PostgreSQL updates the row in one statement). */
export type RouteWriteOp =
  | { op: 'route-failed'; id: string; lastError: string; maxAttempts: number; at: string }
  | { op: 'route-retry'; id: string; at: string }

/** route-failed → the count (null: not pending); route-retry → moved. */
export type RouteWriteResult = { attempts: number; failed: boolean } | null | boolean

type Column = BuildColumn
const COLUMN = BUILD_PATCH_COLUMNS

interface RunRow {
  seq: number
  queue_id: number | null
  build_number: number | null
}

/** Records a sighting: one row per queue item / build, whichever of its ids were seen first. */
function createRunWrites(db: Database) {
  const jobOf = db.prepare('SELECT job FROM builds WHERE id = ?').pluck()
  const byQueue = db.prepare('SELECT seq, queue_id, build_number FROM build_runs WHERE build_id = ? AND queue_id = ?')
  const byNumber = db.prepare(
    'SELECT seq, queue_id, build_number FROM build_runs WHERE build_id = ? AND job = ? AND build_number = ?',
  )
  const drop = db.prepare('DELETE FROM build_runs WHERE seq = ?')
  const fill = db.prepare(
    `UPDATE build_runs SET queue_id = coalesce(queue_id, @queueId), build_number = coalesce(build_number, @buildNumber),
       build_url = coalesce(@buildUrl, build_url), updated_at = @at WHERE seq = @seq`,
  )
  const insert = db.prepare(
    `INSERT INTO build_runs (build_id, job, queue_id, build_number, build_url, source, seen_at, updated_at)
     VALUES (@buildId, @job, @queueId, @buildNumber, @buildUrl, @source, @at, @at)`,
  )
  return (buildId: string, run: JenkinsRun, at: string) => {
    const job = jobOf.get(buildId) as string | undefined
    if (job === undefined || (run.queueId === null && run.buildNumber === null)) return
    const q = run.queueId === null ? undefined : (byQueue.get(buildId, run.queueId) as RunRow | undefined)
    const n = run.buildNumber === null ? undefined : (byNumber.get(buildId, job, run.buildNumber) as RunRow | undefined)
    // Known once by its queue id (the trigger's answer) and once by its number (a callback): one run.
    let row = q ?? n
    if (q && n && q.seq !== n.seq) {
      const [keep, gone] = q.seq < n.seq ? [q, n] : [n, q]
      drop.run(gone.seq)
      fill.run({ seq: keep.seq, queueId: gone.queue_id, buildNumber: gone.build_number, buildUrl: null, at })
      row = keep
    }
    const values = { queueId: run.queueId, buildNumber: run.buildNumber, buildUrl: run.buildUrl, at }
    if (row) fill.run({ seq: row.seq, ...values })
    else insert.run({ buildId, job, source: run.source, ...values })
  }
}

export function createBuildWrites(
  db: Database,
  /** Whether a delivery was inserted processed in this commit, with this plan of it (writer.ts plannedIn). */
  storedRouted: (deliveryId: string) => boolean = () => false,
): (op: BuildWriteOp | RouteWriteOp) => BuildWriteResult | RouteWriteResult {
  const insertBuild = db.prepare(
    // OR IGNORE: the same delivery planned again, or the same event already planned for this
    // job by another delivery (its event_key), both mean "already there".
    `INSERT OR IGNORE INTO builds (id, delivery_id, event_index, rule, job, template, tenant, repository, parameters, delivery_param,
       state, event_key, provider, ref, branch, commit_sha, pull_request, accepted_at, created_at, updated_at,
       build_number, build_url, next_attempt_at, attempts, triggered_at)
     VALUES (@id, @deliveryId, @eventIndex, @rule, @job, @template, @tenant, @repository, @parameters, @deliveryParam,
       @state, @eventKey, @provider, @ref, @branch, @commitSha, @pullRequest, @acceptedAt, @at, @at,
       @buildNumber, @buildUrl, @nextAttemptAt, @attempts, @triggeredAt)`,
  )
  const insertDispatch = db.prepare(
    `INSERT INTO dispatches (delivery_id, outcome, evaluation, decided_at, skipped) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (delivery_id) DO NOTHING`,
  )
  const setOutcome = db.prepare('UPDATE dispatches SET outcome = ? WHERE delivery_id = ?')
  const markProcessed = db.prepare(
    `UPDATE deliveries SET status = 'processed', updated_at = ? WHERE id = ? AND status = 'pending'`,
  )
  const buildsOf = db.prepare('SELECT * FROM builds WHERE delivery_id = ? ORDER BY seq')
  const isStored = db.prepare('SELECT 1 FROM deliveries WHERE id = ?').pluck()
  const heldBefore = createHeldBuildQuery(db)
  const updates = new Map<string, ReturnType<Database['prepare']>>()
  const recordRun = createRunWrites(db)

  const routeFailed = db.prepare(
    `UPDATE deliveries SET attempts = attempts + 1, last_error = @lastError, updated_at = @at,
       status = CASE WHEN attempts + 1 >= @maxAttempts THEN 'failed' ELSE status END
     WHERE id = @id AND status = 'pending' RETURNING attempts, status`,
  )
  const routeRetry = db.prepare(
    `UPDATE deliveries SET status = 'pending', attempts = 0, last_error = NULL, updated_at = ?
     WHERE id = ? AND status = 'failed'`,
  )

  /** An intent is not committed behind a held build of its job (push order, PlannedBuild.intent): planned pending. */
  const withoutHeldIntent = (b: PlannedBuild): PlannedBuild => {
    if (!b.intent || b.started || !heldBefore(b.job, Number.MAX_SAFE_INTEGER)) return b
    const { intent: _, ...plain } = b
    return plain
  }

  return (op) => {
    if (op.op === 'route-failed') {
      const r = routeFailed.get({ id: op.id, lastError: op.lastError, maxAttempts: op.maxAttempts, at: op.at }) as
        { attempts: number; status: string } | undefined
      return r ? { attempts: r.attempts, failed: r.status === 'failed' } : null
    }
    if (op.op === 'route-retry') return routeRetry.run(op.at, op.id).changes > 0
    if (op.op === 'plan') {
      const { plan, at } = op
      // Inserted processed a moment ago in this commit: stored, marked, and no build of it can exist yet (three
      // statements less per delivery, issue #12).
      const routedHere = storedRouted(plan.deliveryId)
      // Planned while its delivery was queued: its row is in this commit or an earlier one, or it never will be.
      if (plan.ifStored && !routedHere && isStored.get(plan.deliveryId) === undefined) return false
      // A delivery is planned once; a second plan (e.g. after a crash between read and write) is a no-op.
      const skipped = plan.skipped ? JSON.stringify(plan.skipped) : null
      const first = insertDispatch.run(plan.deliveryId, plan.outcome, JSON.stringify(plan.evaluation), at, skipped)
      if (first.changes > 0) {
        let inserted = 0
        for (const plannedBuild of plan.builds) {
          const b = withoutHeldIntent(plannedBuild)
          inserted += insertBuild.run({
            id: b.intent?.id ?? randomUUID(),
            deliveryId: b.deliveryId,
            eventIndex: b.eventIndex,
            rule: b.rule,
            job: b.job,
            template: b.template,
            tenant: b.tenant,
            repository: b.repository,
            parameters: JSON.stringify(b.parameters),
            deliveryParam: b.parameters.DELIVERY_ID ?? '',
            // A build started by hand in Jenkins is adopted running, and followed from the next pass.
            state: b.started ? 'running' : b.intent ? 'triggering' : b.state,
            buildNumber: b.started?.buildNumber ?? null,
            buildUrl: b.started?.buildUrl ?? null,
            nextAttemptAt: b.started ? 0 : null,
            attempts: b.intent && !b.started ? 1 : 0,
            triggeredAt: b.intent && !b.started ? b.intent.at : null,
            eventKey: b.eventKey,
            provider: b.provider,
            ref: b.ref,
            branch: b.branch,
            commitSha: b.commitSha,
            pullRequest: b.pullRequest,
            acceptedAt: b.acceptedAt,
            at,
          }).changes
        }
        if (plan.builds.length > 0 && inserted === 0)
          setOutcome.run('already planned by another delivery', plan.deliveryId)
      }
      if (routedHere && first.changes > 0 && plan.builds.length === 0) return []
      if (!routedHere) markProcessed.run(at, plan.deliveryId)
      return buildsOf.all(plan.deliveryId) as BuildRow[]
    }
    for (const run of op.patch.runs ?? []) recordRun(op.id, run, op.at)
    const keys = (Object.keys(op.patch) as Column[]).filter((k) => k in COLUMN && op.patch[k] !== undefined).sort()
    const sig = keys.join(',')
    let stmt = updates.get(sig)
    if (!stmt) {
      const sets = keys.map((k) => `${COLUMN[k]} = @${k}`)
      stmt = db.prepare(`UPDATE builds SET ${[...sets, 'updated_at = @at'].join(', ')} WHERE id = @id`)
      updates.set(sig, stmt)
    }
    const values: Record<string, unknown> = { id: op.id, at: op.at }
    for (const k of keys) values[k] = buildPatchValue(k, op.patch[k])
    stmt.run(values)
    return null
  }
}
