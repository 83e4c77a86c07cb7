// Every write of the PostgreSQL store but deliveries, as one function over the writer's client
// inside its transaction: the ops and results of SQLite's *-writes.ts, the same statements in
// PostgreSQL's dialect, so both engines answer alike (the contract suite, test/store/contract/).
import { randomUUID } from 'node:crypto'
import type { BuildRecord, DeliveryPlan, JenkinsRun, PlannedBuild } from '../builds.js'
import { toBuild } from '../sqlite/build-reads.js'
import type { BranchChange, BranchHead, RemoteListing, RepositoryKey } from '../branches.js'
import {
  BUILD_PATCH_COLUMNS,
  buildPatchValue,
  NOTICE_PATCH_COLUMNS,
  POST_PATCH_COLUMNS,
  postPatchValue,
} from '../patch-columns.js'
import type { AuditEntry } from '../security.js'
import type { WriteOp, WriteResult } from '../sqlite/writer.js'
import type { BuildWriteOp } from '../sqlite/build-writes.js'
import type { NotificationWriteOp } from '../sqlite/notification-writes.js'
import type { HostPostWriteOp } from '../sqlite/host-post-writes.js'
import type { SecurityWriteOp } from '../sqlite/security-writes.js'
import type { BranchWriteOp } from '../sqlite/branch-writes.js'
import { insertNotices } from './notices.js'
import { named, one, scalar, type Queryable } from './sql.js'
import { HELD_BUILD } from './held.js'
import { signoffWrite } from './signoffs.js'
import type { SignoffWriteOp } from '../sqlite/signoff-writes.js'

/** Why a rotation was refused; the caller turns the message into TAMER_ROTATION_FAILED. */
export class RotationRefused extends Error {}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/** `UPDATE table SET a = $…, updated_at = $… WHERE …` from a patch's defined keys. */
function setClause(
  patch: Record<string, unknown>,
  columns: Record<string, string>,
  params: unknown[],
  encode: (key: string, value: unknown) => unknown = (_k, v) => v,
): string {
  const sets: string[] = []
  for (const key of Object.keys(patch).sort()) {
    const column = columns[key]
    if (column === undefined || patch[key] === undefined) continue
    sets.push(`${column} = $${params.push(encode(key, patch[key]))}`)
  }
  return sets.join(', ')
}

async function recordRun(db: Queryable, buildId: string, run: JenkinsRun, at: string): Promise<void> {
  if (run.queueId === null && run.buildNumber === null) return
  // The build's job and its runs known by this queue id or by this build number, in one read.
  type RunRow = { seq: number; queue_id: number | null; build_number: number | null }
  const { rows } = await db.query<RunRow & { job: string; same_job: boolean | null }>(
    `SELECT b.job, r.seq, r.queue_id, r.build_number, r.job = b.job AS same_job FROM builds b
       LEFT JOIN build_runs r ON r.build_id = b.id AND (r.queue_id = $2 OR (r.job = b.job AND r.build_number = $3))
     WHERE b.id = $1 ORDER BY r.seq`,
    [buildId, run.queueId, run.buildNumber],
  )
  const job = rows[0]?.job ?? null
  if (job === null) return
  const runs = rows.filter((r) => r.seq !== null)
  const q = run.queueId === null ? null : (runs.find((r) => r.queue_id === run.queueId) ?? null)
  const n =
    run.buildNumber === null ? null : (runs.find((r) => r.same_job && r.build_number === run.buildNumber) ?? null)
  const fill = (seq: number, queueId: number | null, buildNumber: number | null, buildUrl: string | null) =>
    db.query(
      `UPDATE build_runs SET queue_id = coalesce(queue_id, $2), build_number = coalesce(build_number, $3),
         build_url = coalesce($4, build_url), updated_at = $5 WHERE seq = $1`,
      [seq, queueId, buildNumber, buildUrl, at],
    )
  // Known once by its queue id (the trigger's answer) and once by its number (a callback): one run.
  let row = q ?? n
  if (q && n && q.seq !== n.seq) {
    const [keep, gone] = q.seq < n.seq ? [q, n] : [n, q]
    await db.query('DELETE FROM build_runs WHERE seq = $1', [gone.seq])
    await fill(keep.seq, gone.queue_id, gone.build_number, null)
    row = keep
  }
  if (row) await fill(row.seq, run.queueId, run.buildNumber, run.buildUrl)
  else
    await db.query(
      `INSERT INTO build_runs (build_id, job, queue_id, build_number, build_url, source, seen_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
      [buildId, job, run.queueId, run.buildNumber, run.buildUrl, run.source, at],
    )
}

/** The columns a plan inserts into builds, with their types (a VALUES list read by INSERT … SELECT needs them). */
const PLANNED_COLUMNS: [string, string][] = [
  ['id', 'text'],
  ['delivery_id', 'text'],
  ['event_index', 'integer'],
  ['rule', 'text'],
  ['job', 'text'],
  ['template', 'text'],
  ['tenant', 'text'],
  ['repository', 'text'],
  ['parameters', 'text'],
  ['delivery_param', 'text'],
  ['state', 'text'],
  ['event_key', 'text'],
  ['provider', 'text'],
  ['ref', 'text'],
  ['branch', 'text'],
  ['commit_sha', 'text'],
  ['pull_request', 'bigint'],
  ['accepted_at', 'bigint'],
  ['build_number', 'bigint'],
  ['build_url', 'text'],
  ['next_attempt_at', 'bigint'],
  ['attempts', 'integer'],
  ['triggered_at', 'bigint'],
  ['lease_owner', 'text'],
  ['lease_until', 'bigint'],
]

function plannedRow(b: PlannedBuild, lease: DeliveryPlan['lease']): unknown[] {
  const intent = b.intent !== undefined && !b.started
  return [
    b.intent?.id ?? randomUUID(),
    b.deliveryId,
    b.eventIndex,
    b.rule,
    b.job,
    b.template,
    b.tenant,
    b.repository,
    JSON.stringify(b.parameters),
    b.parameters.DELIVERY_ID ?? '',
    // A build started by hand in Jenkins is adopted running, and followed from the next pass.
    b.started ? 'running' : b.intent ? 'triggering' : b.state,
    b.eventKey,
    b.provider,
    b.ref,
    b.branch,
    b.commitSha,
    b.pullRequest,
    b.acceptedAt,
    b.started?.buildNumber ?? null,
    b.started?.buildUrl ?? null,
    b.started ? 0 : null,
    intent ? 1 : 0,
    intent ? b.intent!.at : null,
    // The planner's to send (DeliveryPlan.lease): nobody else claims it while the lease is renewed.
    intent ? (lease?.owner ?? null) : null,
    intent ? (lease?.until ?? null) : null,
  ]
}

/**
 * A delivery's plan: its dispatch row (the guard: a delivery is planned once; a second plan, e.g. after a crash
 * between read and write, is a no-op), its update (the route's lease on it ends with the plan, not a release
 * after the commit) and its builds, back from their insert. One statement (issue #16: was two, and three plus
 * one per build before), the check for a held build of an intent's job included.
 */
async function planWrite(db: Queryable, plan: Extract<BuildWriteOp, { op: 'plan' }>['plan'], at: string) {
  const params: unknown[] = [at, plan.deliveryId]
  const skipped = plan.skipped ? JSON.stringify(plan.skipped) : null
  const dispatch = `INSERT INTO dispatches (delivery_id, outcome, evaluation, decided_at, skipped)
    VALUES ($2, $${params.push(plan.outcome)}, $${params.push(JSON.stringify(plan.evaluation))}, $1,
      $${params.push(skipped)})
    ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`
  const processed = `UPDATE deliveries SET status = CASE WHEN status = 'pending' THEN 'processed' ELSE status END,
      updated_at = CASE WHEN status = 'pending' THEN $1 ELSE updated_at END, lease_owner = NULL, lease_until = NULL
    WHERE id = $2 AND (status = 'pending' OR lease_owner IS NOT NULL)`
  const existing = () => db.query('SELECT * FROM builds WHERE delivery_id = $1 ORDER BY seq', [plan.deliveryId])
  const builds = plan.builds
  // No builds to insert: the delivery's builds as stored (none, or those of a plan made before), in the same statement.
  if (builds.length === 0) {
    const { rows } = await db.query(
      `WITH d AS (${dispatch}), processed AS (${processed}) SELECT * FROM builds WHERE delivery_id = $2 ORDER BY seq`,
      params,
    )
    return rows.map((r) => toBuild(r as never))
  }
  const values = builds.map((b) => {
    const n = plannedRow(b, plan.lease).map((v, k) => `$${params.push(v)}::${PLANNED_COLUMNS[k]![1]}`)
    return `(${n.join(', ')})`
  })
  const names = PLANNED_COLUMNS.map(([c]) => c).join(', ')
  // An intent is not committed behind a held build of its job (push order, PlannedBuild.intent): planned pending,
  // without it, by the insert itself (it was a statement of its own per build, issue #16). builds_held's predicate
  // word for word (held.ts), so the planner uses that index; the rows this statement inserts are not in its snapshot.
  const unheld: Record<string, string> = {
    // Not the intent's id: that one says "sent by its planner" (the pipeline's and SQLite's reading alike).
    id: 'gen_random_uuid()::text',
    state: `'pending'`,
    attempts: '0',
    triggered_at: 'NULL',
    lease_owner: 'NULL',
    lease_until: 'NULL',
  }
  const selected = PLANNED_COLUMNS.map(([c]) =>
    unheld[c] ? `CASE WHEN h.held THEN ${unheld[c]} ELSE v.${c} END` : `v.${c}`,
  )
  // Only a plan whose dispatch row is new inserts builds. The same event already planned for this job by another
  // delivery (its event_key) means "already there". Rows are inserted in the plan's order (seq); created_at and
  // updated_at are the plan's time ($1), after accepted_at.
  const { rows } = await db.query<Record<string, unknown>>(
    named(
      `WITH d AS (${dispatch}), processed AS (${processed}),
       ins AS (
         INSERT INTO builds (${names}, created_at, updated_at)
         SELECT ${selected.join(', ')}, $1, $1 FROM (VALUES ${values.join(', ')}) v (${names})
         CROSS JOIN LATERAL (SELECT v.state = 'triggering'
           AND EXISTS (SELECT 1 FROM builds WHERE job = v.job AND (${HELD_BUILD})) AS held) h
         WHERE EXISTS (SELECT 1 FROM d)
         ON CONFLICT DO NOTHING RETURNING *)
       SELECT (SELECT count(*) FROM d) AS plan_dispatched, ins.* FROM (SELECT 1) one LEFT JOIN ins ON true`,
      params,
    ),
  )
  if (Number(rows[0]?.plan_dispatched ?? 0) === 0) return (await existing()).rows.map((r) => toBuild(r as never))
  const inserted = rows.filter((r) => r.id !== null)
  if (inserted.length === 0)
    await db.query('UPDATE dispatches SET outcome = $1 WHERE delivery_id = $2', [
      'already planned by another delivery',
      plan.deliveryId,
    ])
  // The builds of a delivery planned for the first time are the rows this insert made (the dispatch row guards).
  inserted.sort((a, b) => Number(a.seq) - Number(b.seq))
  return inserted.map((r) => {
    delete r.plan_dispatched
    return toBuild(r as never)
  })
}

/**
 * A trigger's answer and the like: the build's update and its one new run (a queue item, a build number) in one
 * statement (issue #16: a trigger's last save was three, the run's read, its insert, the update). A run known
 * already (the same queue item or number) is merged by recordRun, in more. A patch that moves the build to
 * another job records its run under the old job first, as recordRun does.
 */
async function updateWithNewRun(db: Queryable, op: Extract<BuildWriteOp, { op: 'update' }>): Promise<boolean> {
  const runs = op.patch.runs ?? []
  const run = runs[0]
  if (runs.length !== 1 || !run || op.patch.job !== undefined) return false
  if (run.queueId === null && run.buildNumber === null) return false
  const params: unknown[] = [op.id, op.at]
  const sets = setClause(op.patch as Record<string, unknown>, BUILD_PATCH_COLUMNS, params, buildPatchValue)
  const q = `$${params.push(run.queueId)}::bigint`
  const n = `$${params.push(run.buildNumber)}::bigint`
  const { rows } = await db.query<{ known: boolean }>(
    named(
      `WITH b AS (UPDATE builds SET ${sets ? `${sets}, ` : ''}updated_at = $2 WHERE id = $1 RETURNING job),
     known AS (
       SELECT 1 FROM build_runs r, b WHERE r.build_id = $1 AND (r.queue_id = ${q} OR (r.job = b.job AND r.build_number = ${n}))),
     ins AS (
       INSERT INTO build_runs (build_id, job, queue_id, build_number, build_url, source, seen_at, updated_at)
       SELECT $1, b.job, ${q}, ${n}, $${params.push(run.buildUrl)}::text, $${params.push(run.source)}::text, $2, $2
       FROM b WHERE NOT EXISTS (SELECT 1 FROM known))
     SELECT EXISTS (SELECT 1 FROM known) AS known`,
      params,
    ),
  )
  if (rows[0]?.known) await recordRun(db, op.id, run, op.at)
  return true
}

async function buildWrite(db: Queryable, op: BuildWriteOp): Promise<WriteResult | BuildRecord[]> {
  if (op.op === 'plan') return planWrite(db, op.plan, op.at)
  if (await updateWithNewRun(db, op)) return null
  for (const run of op.patch.runs ?? []) await recordRun(db, op.id, run, op.at)
  const params: unknown[] = [op.id, op.at]
  const sets = setClause(op.patch as Record<string, unknown>, BUILD_PATCH_COLUMNS, params, buildPatchValue)
  await db.query(named(`UPDATE builds SET ${sets ? `${sets}, ` : ''}updated_at = $2 WHERE id = $1`, params))
  return null
}

async function noticeWrite(db: Queryable, op: NotificationWriteOp): Promise<WriteResult> {
  if (op.op === 'notice-decide') {
    const d = op.decision
    // The decision row is the guard: a build is decided, and its notices stored, once.
    const r = await db.query(
      `INSERT INTO notice_decisions (build_id, thread_key, outcome, notified, reason, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (build_id) DO NOTHING`,
      [d.buildId, d.threadKey, d.outcome, d.notified ? 1 : 0, d.reason, d.decidedAt],
    )
    if ((r.rowCount ?? 0) === 0) return false
    await insertNotices(db, op.notices, op.at)
    return true
  }
  if (op.op === 'notice-abandon')
    return (
      (
        await db.query(
          `UPDATE notifications SET state = 'dead', last_error = $1, next_attempt_at = NULL, updated_at = $2
           WHERE state = 'sending'`,
          [op.reason, op.at],
        )
      ).rowCount ?? 0
    )
  const params: unknown[] = [op.id, op.from, op.at]
  const sets = setClause(op.patch as Record<string, unknown>, NOTICE_PATCH_COLUMNS, params)
  const r = await db.query(
    `UPDATE notifications SET ${sets ? `${sets}, ` : ''}updated_at = $3 WHERE id = $1 AND state = $2`,
    params,
  )
  return (r.rowCount ?? 0) > 0
}

async function hostPostWrite(db: Queryable, op: HostPostWriteOp): Promise<WriteResult> {
  if (op.op === 'post-record') {
    let n = 0
    for (const p of op.posts) {
      const r = await db.query(
        `INSERT INTO host_posts (id, build_id, tenant, provider, repository, kind, target, version, payload, credential,
           state, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $11)
         ON CONFLICT (provider, repository, target, version) DO NOTHING`,
        [
          p.id,
          p.buildId,
          p.tenant,
          p.provider,
          p.repository,
          p.kind,
          p.target,
          p.version,
          JSON.stringify(p.payload),
          p.credential,
          op.at,
        ],
      )
      n += r.rowCount ?? 0
    }
    return n
  }
  if (op.op === 'post-resume')
    return (
      (
        await db.query(
          `UPDATE host_posts SET state = 'pending', next_attempt_at = NULL, updated_at = $1 WHERE state = 'sending'`,
          [op.at],
        )
      ).rowCount ?? 0
    )
  const params: unknown[] = [op.id, op.from, op.at]
  const sets = setClause(op.patch as Record<string, unknown>, POST_PATCH_COLUMNS, params, postPatchValue)
  const r = await db.query(
    `UPDATE host_posts SET ${sets ? `${sets}, ` : ''}updated_at = $3 WHERE id = $1 AND state = $2`,
    params,
  )
  return (r.rowCount ?? 0) > 0
}

async function audit(db: Queryable, a: AuditEntry, at: string): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (id, at, actor, action, target, tenant, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [randomUUID(), at, a.actor, a.action, a.target, a.tenant, JSON.stringify(a.detail)],
  )
}

async function securityWrite(db: Queryable, op: SecurityWriteOp): Promise<WriteResult> {
  switch (op.op) {
    case 'security-secret-put': {
      const s = op.secret
      await db.query(
        `INSERT INTO secrets (name, kind, tenant, url, username, key_id, iv, ciphertext, tag, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, tenant = excluded.tenant, url = excluded.url,
           username = excluded.username, key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
           tag = excluded.tag, updated_at = excluded.updated_at`,
        [s.name, s.kind, s.tenant, s.url, s.username, s.keyId, buf(s.iv), buf(s.ciphertext), buf(s.tag), op.at],
      )
      await audit(db, op.audit, op.at)
      return null
    }
    case 'security-secret-delete': {
      const gone = ((await db.query('DELETE FROM secrets WHERE name = $1', [op.name])).rowCount ?? 0) > 0
      if (gone) await audit(db, op.audit, op.at)
      return gone
    }
    case 'security-secret-reseal': {
      // All or nothing: a refusal throws, and the op's savepoint (index.ts) undoes every row.
      const count = Number(await scalar(db, 'SELECT count(*) FROM secrets'))
      if (count !== op.rows.length)
        throw new RotationRefused('the store holds secrets the rotation did not read; run it again')
      for (const r of op.rows) {
        const s = r.sealed
        const changed = await db.query(
          `UPDATE secrets SET key_id = $2, iv = $3, ciphertext = $4, tag = $5, updated_at = $6
           WHERE name = $1 AND ciphertext = $7`,
          [r.name, s.keyId, buf(s.iv), buf(s.ciphertext), buf(s.tag), op.at, buf(r.before)],
        )
        if (changed.rowCount !== 1)
          throw new RotationRefused(`secret ${r.name} changed while the rotation ran; run it again`)
      }
      await audit(db, op.audit, op.at)
      return op.rows.length
    }
    case 'security-token-create': {
      const t = op.token
      await db.query(
        `INSERT INTO api_tokens (id, name, access, tenants, hash, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          t.id,
          t.name,
          t.access,
          t.tenants === null ? null : JSON.stringify(t.tenants),
          t.hash,
          t.createdAt,
          t.createdBy,
        ],
      )
      await audit(db, op.audit, op.at)
      return null
    }
    case 'security-token-revoke': {
      const r = await db.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
        op.at,
        op.id,
      ])
      const revoked = (r.rowCount ?? 0) > 0
      if (revoked) await audit(db, op.audit, op.at)
      return revoked
    }
    case 'security-audit':
      await audit(db, op.audit, op.at)
      return null
  }
}

type Key = [string, string, string]
const keyOf = (k: RepositoryKey): Key => [k.tenant, k.provider, k.repository]

/** Branch registry writes: a changed row is deleted and inserted again, so it takes a new seq (newest-first pages). */
async function branchWrite(db: Queryable, op: BranchWriteOp): Promise<WriteResult> {
  const putBranch = (
    k: RepositoryKey,
    name: string,
    state: 'live' | 'deleted',
    head: BranchHead,
    source: 'push' | 'remote',
    pushedAt: string,
    deletedAt: string | null,
    at: string,
  ) =>
    db.query(
      `INSERT INTO branches (tenant, provider, repository, branch, state, commit_sha, author_name, author_email,
         committed_at, source, pushed_at, deleted_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        ...keyOf(k),
        name,
        state,
        head.commitSha,
        head.authorName,
        head.authorEmail,
        head.committedAt,
        source,
        pushedAt,
        deletedAt,
        at,
      ],
    )
  type BranchRow = { seq: number; state: string; commit_sha: string | null; pushed_at: string }
  const branchRow = (k: RepositoryKey, name: string) =>
    one<BranchRow>(
      db,
      `SELECT seq, state, commit_sha, pushed_at FROM branches
       WHERE tenant = $1 AND provider = $2 AND repository = $3 AND branch = $4`,
      [...keyOf(k), name],
    )
  const dropBranch = (seq: number) => db.query('DELETE FROM branches WHERE seq = $1', [seq])

  /** The repository row, taken to the top (new seq), its default branch kept unless a new one is known. */
  async function touchRepo(k: RepositoryKey, at: string, defaultBranch: string | null, synced = false) {
    const old = await one<{ default_branch: string | null; synced_at: string | null }>(
      db,
      'DELETE FROM repositories WHERE tenant = $1 AND provider = $2 AND repository = $3 RETURNING default_branch, synced_at',
      keyOf(k),
    )
    await db.query(
      `INSERT INTO repositories (tenant, provider, repository, default_branch, synced_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [...keyOf(k), defaultBranch ?? old?.default_branch ?? null, synced ? at : (old?.synced_at ?? null), at],
    )
  }

  /**
   * A batch of pushes' branch changes with the statements of one change per repository (issue #16: a burst on
   * one branch wrote its rows once per push, five round trips each, inside the writer's one transaction): each
   * change is applied in order to the rows as read once, and only the outcome is written, as the changes one by
   * one would leave it (each branch and repository written last takes the newest seq, in the order of its last
   * change). Returns the repositories whose set of live branches changed.
   */
  async function applyChanges(changes: readonly BranchChange[], at: string): Promise<RepositoryKey[]> {
    type Put = { state: 'live' | 'deleted'; head: BranchHead; pushedAt: string; deletedAt: string | null }
    type Branch = { state: string | null; seq: number | null; put: Put | null; last: number }
    const repos = new Map<string, { k: RepositoryKey; branches: Map<string, Branch>; last: number }>()
    const defaults = new Map<string, string | null>()
    changes.forEach((c, i) => {
      const id = keyOf(c).join('\n')
      const repo = repos.get(id)
      if (repo) repo.last = i
      else
        repos.set(id, {
          k: { tenant: c.tenant, provider: c.provider, repository: c.repository },
          branches: new Map(),
          last: i,
        })
      defaults.set(id, c.defaultBranch ?? defaults.get(id) ?? null)
    })
    for (const [id, repo] of repos) {
      const names = [...new Set(changes.filter((c) => keyOf(c).join('\n') === id).map((c) => c.branch))]
      const { rows } = await db.query<{ seq: number; branch: string; state: string }>(
        `SELECT seq, branch, state FROM branches
         WHERE tenant = $1 AND provider = $2 AND repository = $3 AND branch = ANY($4::text[])`,
        [...keyOf(repo.k), names],
      )
      for (const n of names) repo.branches.set(n, { state: null, seq: null, put: null, last: -1 })
      for (const r of rows) repo.branches.set(r.branch, { state: r.state, seq: r.seq, put: null, last: -1 })
    }
    const changed = new Map<string, RepositoryKey>()
    changes.forEach((c, i) => {
      const id = keyOf(c).join('\n')
      const b = repos.get(id)!.branches.get(c.branch)!
      let moved: boolean
      if (c.deleted) {
        if (b.state === 'deleted') return
        moved = b.state !== null
        const none = { commitSha: null, authorName: null, authorEmail: null, committedAt: null }
        b.put = { state: 'deleted', head: none, pushedAt: c.at, deletedAt: c.at }
      } else {
        moved = b.state !== 'live'
        b.put = { state: 'live', head: c, pushedAt: c.at, deletedAt: null }
      }
      b.state = b.put.state
      b.last = i
      if (moved) changed.set(id, repos.get(id)!.k)
    })
    for (const [id, repo] of [...repos].sort((a, b) => a[1].last - b[1].last))
      await touchRepo(repo.k, at, defaults.get(id)!)
    const puts = [...repos.values()]
      .flatMap((r) => [...r.branches].map(([name, b]) => ({ k: r.k, name, b })))
      .filter((x) => x.b.put !== null)
      .sort((x, y) => x.b.last - y.b.last)
    const gone = puts.map((x) => x.b.seq).filter((seq): seq is number => seq !== null)
    if (gone.length > 0) await db.query('DELETE FROM branches WHERE seq = ANY($1::bigint[])', [gone])
    for (const { k, name, b } of puts)
      await putBranch(k, name, b.put!.state, b.put!.head, 'push', b.put!.pushedAt, b.put!.deletedAt, at)
    return [...changed.values()]
  }

  async function applyListing(l: RemoteListing, at: string): Promise<boolean> {
    const k: RepositoryKey = { tenant: l.tenant, provider: l.provider, repository: l.repository }
    await touchRepo(k, at, l.defaultBranch, true)
    let changed = false
    const listed = new Set(l.branches.map((b) => b.branch))
    for (const b of l.branches) {
      const old = await branchRow(k, b.branch)
      if (old?.state === 'live' && old.commit_sha === b.commitSha) continue
      if (old) await dropBranch(old.seq)
      // A branch first seen on the remote was pushed when its head was made, as far as Tamer knows.
      const pushedAt = old?.state === 'live' ? old.pushed_at : (b.committedAt ?? l.at)
      await putBranch(k, b.branch, 'live', b, 'remote', pushedAt, null, at)
      if (old?.state !== 'live') changed = true
    }
    const { rows } = await db.query<{ seq: number; branch: string }>(
      `SELECT seq, branch FROM branches WHERE tenant = $1 AND provider = $2 AND repository = $3 AND state = 'live'`,
      keyOf(k),
    )
    for (const { seq, branch } of rows) {
      if (listed.has(branch)) continue
      await db.query(`UPDATE branches SET state = 'deleted', deleted_at = $2, updated_at = $2 WHERE seq = $1`, [
        seq,
        at,
      ])
      changed = true
    }
    return changed
  }

  if (op.op === 'branch-slot') {
    const r = await db.query(
      `INSERT INTO schedule_slots (key, slot, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET slot = excluded.slot, updated_at = excluded.updated_at
       WHERE excluded.slot > schedule_slots.slot`,
      [op.key, op.slot, op.at],
    )
    return (r.rowCount ?? 0) > 0
  }
  if (op.op === 'branch-listing') return applyListing(op.listing, op.at)
  // Every replica's branch pass reads the same deliveries (issue #16): the cursor's row is locked first, so two
  // replicas' passes apply one after the other, and the one that waited skips what the other applied (the
  // cursor it reads is the one committed). At once, both deleted and inserted the same repository row: one
  // failed on its unique key and made its writer's whole batch roll back and run again.
  if (op.cursor !== null) {
    const { rows } = await db.query<{ delivery_seq: string | number }>(
      `INSERT INTO branch_cursor (id, delivery_seq) VALUES (1, 0)
       ON CONFLICT (id) DO UPDATE SET delivery_seq = branch_cursor.delivery_seq RETURNING delivery_seq`,
    )
    if (Number(rows[0]!.delivery_seq) >= op.cursor) return []
  }
  const changed = await applyChanges(op.changes, op.at)
  if (op.cursor !== null)
    await db.query(
      `INSERT INTO branch_cursor (id, delivery_seq) VALUES (1, $1)
       ON CONFLICT (id) DO UPDATE SET delivery_seq = greatest(branch_cursor.delivery_seq, excluded.delivery_seq)`,
      [op.cursor],
    )
  return changed
}

/** Applies one op on `db` (the writer's client, inside a transaction). */
export async function applyWrite(db: Queryable, op: WriteOp): Promise<WriteResult | BuildRecord[]> {
  const kind = op.op
  if (kind.startsWith('notice-')) return noticeWrite(db, op as NotificationWriteOp)
  if (kind.startsWith('post-')) return hostPostWrite(db, op as HostPostWriteOp)
  if (kind.startsWith('security-')) return securityWrite(db, op as SecurityWriteOp)
  if (kind.startsWith('branch-')) return branchWrite(db, op as BranchWriteOp)
  if (kind.startsWith('signoff-')) return signoffWrite(db, op as SignoffWriteOp)
  if (kind === 'diff-save') {
    const d = op as Extract<WriteOp, { op: 'diff-save' }>
    await db.query(
      `INSERT INTO push_diffs (delivery_id, variant, payload, raw_bytes, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (delivery_id, variant) DO UPDATE SET payload = excluded.payload, raw_bytes = excluded.raw_bytes,
         created_at = excluded.created_at`,
      [d.deliveryId, d.variant, buf(d.payload), d.rawBytes, d.at],
    )
    return null
  }
  if (kind === 'diff-prune') {
    const d = op as Extract<WriteOp, { op: 'diff-prune' }>
    return (await db.query('DELETE FROM push_diffs WHERE created_at < $1', [d.before])).rowCount ?? 0
  }
  if (kind === 'metrics-save') {
    const { report: r, at } = op as Extract<WriteOp, { op: 'metrics-save' }>
    const seq = await scalar<number>(
      db,
      `INSERT INTO metric_reports (build_id, tenant, repository, branch, commit_sha, job, build_number, metrics, pass,
         verdict, reported_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING seq`,
      [
        r.buildId,
        r.tenant,
        r.repository,
        r.branch,
        r.commitSha,
        r.job,
        r.buildNumber,
        JSON.stringify(r.metrics),
        r.pass ? 1 : 0,
        JSON.stringify(r.verdict),
        at,
      ],
    )
    return seq!
  }
  if (kind === 'metrics-parity-save') {
    const { report: r, at } = op as Extract<WriteOp, { op: 'metrics-parity-save' }>
    const seq = await scalar<number>(
      db,
      `INSERT INTO parity_reports (build_id, tenant, repository, branch, commit_sha, job, build_number, pass, result,
         reported_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
      [
        r.buildId,
        r.tenant,
        r.repository,
        r.branch,
        r.commitSha,
        r.job,
        r.buildNumber,
        r.pass ? 1 : 0,
        JSON.stringify(r.result),
        at,
      ],
    )
    return seq!
  }
  return buildWrite(db, op as BuildWriteOp)
}
