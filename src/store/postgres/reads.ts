// Every read of the PostgreSQL store, on the pool: the same queries as SQLite's *-reads.ts, in
// PostgreSQL's dialect, and the same row mappers (the columns and their JS types are the same:
// BIGINT comes back as a number, see index.ts).
import type { BuildRecord, DispatchRecord } from '../builds.js'
import {
  runsByBuild,
  toBranchBuild,
  toDispatch,
  type DispatchRow,
  type LastBuildRow,
  type RunRow,
} from '../build-rows.js'
import type { BranchBuild, RepositoryKey, RepositoryRecord } from '../branches.js'
import type { MetricReport } from '../metrics.js'
import type { ServiceStore } from '../service-store.js'
import type { WorkLeaseStore } from '../leases.js'
import type { StoredDelivery } from '../store.js'
import type { StoredPushDiff } from '../push-diffs.js'
import { PUSH_DIFF_COLUMNS, toPushDiff, type PushDiffRow } from '../push-diff-rows.js'
import { toBuild } from '../sqlite/build-reads.js'
import { toBranch } from '../sqlite/branch-reads.js'
import { toDelivery, toDeliverySummary } from '../sqlite/delivery-row.js'
import { toPost } from '../sqlite/host-post-reads.js'
import { PARITY_COLUMNS, toMetricReport, toParityReport } from '../sqlite/metrics-reads.js'
import { toDecision, toNotification } from '../sqlite/notification-reads.js'
import {
  AUDIT_PAGES,
  BRANCH_PAGES,
  BUILD_PAGES,
  DELIVERY_COLUMNS,
  DELIVERY_PAGES,
  DELIVERY_SUMMARY_PAGES,
  NOTIFICATION_PAGES,
  REPOSITORY_PAGES,
} from '../sqlite/page-lists.js'
import { toAudit, toSecret, toToken } from '../sqlite/security-reads.js'
import { createPgPageQuery } from './pages.js'
import { createPgOpsReads, createPgSignoffReads } from './signoffs.js'
import { ACTIVE_BUILD_SQL, all, named, one, scalar, type Queryable } from './sql.js'
import { heldBuildBefore } from './held.js'

/** What the store reads; the writes are in writes.ts. */
export type PgReads = Omit<
  ServiceStore,
  | keyof WorkLeaseStore
  | 'recordDelivery'
  | 'checkWritable'
  | 'close'
  | 'planDelivery'
  | 'updateBuild'
  | 'routeFailed'
  | 'retryDelivery'
  | 'recordDecision'
  | 'updateNotification'
  | 'abandonInterruptedSends'
  | 'recordHostPosts'
  | 'updateHostPost'
  | 'resumeInterruptedHostPosts'
  | 'savePushDiff'
  | 'prunePushDiffs'
  | 'putSecret'
  | 'deleteSecret'
  | 'resealSecrets'
  | 'createApiToken'
  | 'revokeApiToken'
  | 'recordAudit'
  | 'saveMetricReport'
  | 'saveParityReport'
  | 'applyBranchChanges'
  | 'applyRemoteListing'
  | 'recordScheduleSlot'
  | 'createSignoff'
  | 'decideSignoff'
  | 'recordSignoffAction'
>

const METRIC_COLUMNS =
  'm.seq, m.build_id, m.tenant, m.repository, m.branch, m.commit_sha, m.job, m.build_number, m.metrics, m.pass, m.verdict, m.reported_at'

export function metricReportBySeq(db: Queryable, seq: number): Promise<MetricReport | null> {
  return one(db, `SELECT ${METRIC_COLUMNS} FROM metric_reports m WHERE m.seq = $1`, [seq]).then((r) =>
    r ? toMetricReport(r as never) : null,
  )
}

export function createPgReads(db: Queryable): PgReads {
  const deliveries = (rows: unknown[]): StoredDelivery[] => rows.map((r) => toDelivery(r as never))
  const builds = (rows: unknown[]): BuildRecord[] => rows.map((r) => toBuild(r as never))
  const pageOfDeliveries = createPgPageQuery(db, DELIVERY_PAGES)
  const pageOfSummaries = createPgPageQuery(db, DELIVERY_SUMMARY_PAGES)
  const pageOfBuilds = createPgPageQuery(db, BUILD_PAGES)
  const pageOfNotifications = createPgPageQuery(db, NOTIFICATION_PAGES)
  const pageOfAudit = createPgPageQuery(db, AUDIT_PAGES)
  const pageOfRepos = createPgPageQuery(db, REPOSITORY_PAGES)
  const pageOfBranches = createPgPageQuery(db, BRANCH_PAGES)

  type RepoRow = {
    seq: number
    tenant: string
    provider: string
    repository: string
    default_branch: string | null
    synced_at: string | null
    updated_at: string
  }
  /** The page's repositories, each with its live branches counted: one count query for the whole page. */
  const toRepos = async (rows: RepoRow[]): Promise<RepositoryRecord[]> => {
    if (rows.length === 0) return []
    const keyOf = (r: { tenant: string; provider: string; repository: string }) =>
      `${r.tenant}\n${r.provider}\n${r.repository}`
    const counts = await all<{ tenant: string; provider: string; repository: string; n: number }>(
      db,
      `SELECT tenant, provider, repository, count(*)::int AS n FROM branches
       WHERE repository = ANY($1::text[]) AND state = 'live' GROUP BY tenant, provider, repository`,
      [[...new Set(rows.map((r) => r.repository))]],
    )
    const live = new Map(counts.map((c) => [keyOf(c), c.n]))
    return rows.map((r) => ({
      seq: r.seq,
      tenant: r.tenant,
      provider: r.provider as RepositoryRecord['provider'],
      repository: r.repository,
      defaultBranch: r.default_branch,
      branches: live.get(keyOf(r)) ?? 0,
      syncedAt: r.synced_at,
      updatedAt: r.updated_at,
    }))
  }
  const reposNamed = (repository: string) =>
    all<RepoRow>(db, 'SELECT * FROM repositories WHERE repository = $1 ORDER BY seq DESC', [repository])
  const keyArgs = (k: RepositoryKey) => [k.repository, k.tenant, k.provider]

  return {
    ...createPgOpsReads(db),
    ...createPgSignoffReads(db),
    // Deliveries
    async getDelivery(id) {
      const r = await one(db, `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = $1`, [id])
      return r ? toDelivery(r as never) : null
    },
    async deliveriesByHostId(hostDeliveryId) {
      return deliveries(
        await all(db, `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE host_delivery_id = $1 ORDER BY seq LIMIT 20`, [
          hostDeliveryId,
        ]),
      )
    },
    async listDeliveries(q) {
      return deliveries(await pageOfDeliveries(q))
    },
    async listDeliverySummaries(q) {
      return (await pageOfSummaries(q)).map((r) => toDeliverySummary(r as never))
    },
    async pendingDeliveries(limit) {
      return deliveries(
        await all(db, `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' ORDER BY seq LIMIT $1`, [
          limit,
        ]),
      )
    },

    // Builds
    async getBuild(id) {
      const r = await one(db, 'SELECT * FROM builds WHERE id = $1', [id])
      return r ? toBuild(r as never) : null
    },
    async getBuilds(ids) {
      if (ids.length === 0) return []
      const { rows } = await db.query('SELECT * FROM builds WHERE id = ANY($1::text[])', [ids])
      const byId = new Map(rows.map((r) => [r.id as string, r]))
      return ids.flatMap((id) => (byId.has(id) ? [toBuild(byId.get(id) as never)] : []))
    },
    async listBuilds(q) {
      return builds(await pageOfBuilds(q))
    },
    async activeBuilds() {
      return builds(await all(db, `SELECT * FROM builds WHERE ${ACTIVE_BUILD_SQL} ORDER BY seq`))
    },
    async dueBuilds(now, limit) {
      // builds_due's key and predicate, as a claim (leases.ts): the first `limit` due in its order.
      const due = await all(
        db,
        `SELECT * FROM builds WHERE ${ACTIVE_BUILD_SQL} AND coalesce(next_attempt_at, 0) <= $1
         ORDER BY coalesce(next_attempt_at, 0), seq LIMIT $2`,
        [now, limit],
      )
      const next = await scalar<number>(
        db,
        `SELECT min(coalesce(next_attempt_at, 0)) FROM builds WHERE ${ACTIVE_BUILD_SQL} AND coalesce(next_attempt_at, 0) > $1`,
        [now],
      )
      return { due: builds(due), nextAt: next ?? null }
    },
    async runsOf(buildIds) {
      if (buildIds.length === 0) return runsByBuild(buildIds, [])
      const rows = await all<RunRow>(
        db,
        `SELECT build_id, job, queue_id, build_number, build_url, source, seen_at FROM build_runs
         WHERE build_id = ANY($1::text[]) ORDER BY seq`,
        [[...buildIds]],
      )
      return runsByBuild(buildIds, rows)
    },
    async heldBuildBefore(job, seq) {
      return heldBuildBefore(db, job, seq)
    },
    async findBuildByDeliveryParam(job, deliveryParam) {
      const r = await one(db, 'SELECT * FROM builds WHERE job = $1 AND delivery_param = $2 ORDER BY seq LIMIT 1', [
        job,
        deliveryParam,
      ])
      return r ? toBuild(r as never) : null
    },
    async getDispatch(deliveryId): Promise<DispatchRecord | null> {
      const r = await one<DispatchRow>(db, 'SELECT * FROM dispatches WHERE delivery_id = $1', [deliveryId])
      return r ? toDispatch(r) : null
    },
    async knownJobs() {
      return all(db, 'SELECT DISTINCT job, template FROM builds WHERE template IS NOT NULL ORDER BY job')
    },

    // Notifications
    async undecidedBuilds(limit) {
      return builds(
        await all(
          db,
          `SELECT b.* FROM builds b LEFT JOIN notice_decisions d ON d.build_id = b.id
           WHERE b.state = 'finished' AND d.build_id IS NULL ORDER BY b.seq LIMIT $1`,
          [limit],
        ),
      )
    },
    async lastNotifiedDecision(threadKey) {
      const r = await one(
        db,
        'SELECT * FROM notice_decisions WHERE thread_key = $1 AND notified = 1 ORDER BY decided_at DESC, seq DESC LIMIT 1',
        [threadKey],
      )
      return r ? toDecision(r as never) : null
    },
    async decisionsAfter(threadKey, buildId) {
      return Number(
        await scalar(
          db,
          `SELECT count(*) FROM notice_decisions WHERE thread_key = $1
           AND seq > (SELECT seq FROM notice_decisions WHERE build_id = $2)`,
          [threadKey, buildId],
        ),
      )
    },
    async dueNotifications(now, limit) {
      const due = await all(
        db,
        `SELECT * FROM notifications WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
         ORDER BY coalesce(next_attempt_at, 0), seq LIMIT $2`,
        [now, limit],
      )
      const next = await scalar<number>(
        db,
        `SELECT min(next_attempt_at) FROM notifications WHERE state = 'pending' AND next_attempt_at > $1`,
        [now],
      )
      return { due: due.map((r) => toNotification(r as never)), nextAt: next ?? null }
    },
    async getNotification(id) {
      const r = await one(db, 'SELECT * FROM notifications WHERE id = $1', [id])
      return r ? toNotification(r as never) : null
    },
    async listNotifications(q) {
      return (await pageOfNotifications(q)).map((r) => toNotification(r as never))
    },

    // Host posts
    async dueHostPosts(now, limit) {
      const due = await all(
        db,
        `SELECT * FROM host_posts WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
         ORDER BY seq LIMIT $2`,
        [now, limit],
      )
      const next = await scalar<number>(
        db,
        `SELECT min(next_attempt_at) FROM host_posts WHERE state = 'pending' AND next_attempt_at > $1`,
        [now],
      )
      return { due: due.map((r) => toPost(r as never)), nextAt: next ?? null }
    },
    async newestHostPostVersion(provider, repository, target) {
      return scalar<number>(
        db,
        `SELECT max(version) FROM host_posts WHERE provider = $1 AND repository = $2 AND target = $3
         AND state IN ('pending', 'sending', 'sent')`,
        [provider, repository, target],
      )
    },
    async hostPostsOfBuild(buildId) {
      return (await all(db, 'SELECT * FROM host_posts WHERE build_id = $1 ORDER BY seq', [buildId])).map((r) =>
        toPost(r as never),
      )
    },

    // Push diffs
    async getPushDiff(deliveryId, variant): Promise<StoredPushDiff | null> {
      const r = await one<PushDiffRow>(
        db,
        `SELECT ${PUSH_DIFF_COLUMNS} FROM push_diffs WHERE delivery_id = $1 AND variant = $2`,
        [deliveryId, variant],
      )
      return r ? toPushDiff(r) : null
    },

    // Security
    async listSecrets() {
      return (await all(db, 'SELECT * FROM secrets ORDER BY name')).map((r) => toSecret(r as never))
    },
    async findApiToken(hash) {
      const r = await one(db, 'SELECT * FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL', [hash])
      return r ? toToken(r as never) : null
    },
    async listApiTokens() {
      return (await all(db, 'SELECT * FROM api_tokens ORDER BY created_at, id')).map((r) => toToken(r as never))
    },
    async listAudit(q) {
      return (await pageOfAudit(q)).map((r) => toAudit(r as never))
    },

    // Metrics
    async latestParityReport(buildId) {
      const r = await one(
        db,
        `SELECT ${PARITY_COLUMNS} FROM parity_reports WHERE build_id = $1 ORDER BY seq DESC LIMIT 1`,
        [buildId],
      )
      return r ? toParityReport(r as never) : null
    },
    async listMetricReports(q) {
      const params: unknown[] = [q.repository]
      const where = ['m.repository = $1']
      const arg = (v: unknown) => `$${params.push(v)}`
      if (q.branch !== undefined) where.push(`m.branch = ${arg(q.branch)}`)
      if (q.before !== undefined) where.push(`m.seq < ${arg(q.before)}`)
      if (q.tenants) {
        if (q.tenants.length === 0) return []
        where.push(`m.tenant = ANY(${arg([...q.tenants])}::text[])`)
      }
      const rows = await all(
        db,
        `SELECT ${METRIC_COLUMNS} FROM metric_reports m WHERE ${where.join(' AND ')} ORDER BY m.seq DESC LIMIT ${arg(q.limit)}`,
        params,
      )
      return rows.map((r) => toMetricReport(r as never))
    },
    async latestMetricReport(buildId) {
      const r = await one(
        db,
        `SELECT ${METRIC_COLUMNS} FROM metric_reports m WHERE m.build_id = $1 ORDER BY m.seq DESC LIMIT 1`,
        [buildId],
      )
      return r ? toMetricReport(r as never) : null
    },
    async latestGreenMetricReport(tenant, repository, branch, exceptBuildId) {
      const r = await one(
        db,
        `SELECT ${METRIC_COLUMNS} FROM metric_reports m JOIN builds b ON b.id = m.build_id
         WHERE m.tenant = $1 AND m.repository = $2 AND m.branch = $3 AND m.build_id <> $4
           AND b.state = 'finished' AND b.result = 'SUCCESS'
         ORDER BY m.seq DESC LIMIT 1`,
        [tenant, repository, branch, exceptBuildId],
      )
      return r ? toMetricReport(r as never) : null
    },

    // Branches
    async branchCursor() {
      return (await scalar<number>(db, 'SELECT delivery_seq FROM branch_cursor WHERE id = 1')) ?? 0
    },
    async deliveriesAfter(seq, limit) {
      return deliveries(
        await all(db, `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, limit]),
      )
    },
    async deliveryIdsAfter(seq, limit) {
      const rows = await all(db, 'SELECT seq, id FROM deliveries WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit])
      return (rows as { seq: number | string; id: string }[]).map((r) => ({ seq: Number(r.seq), id: r.id }))
    },
    async listRepositories(q) {
      return toRepos((await pageOfRepos(q)) as RepoRow[])
    },
    async findRepositories(repository) {
      return toRepos(await reposNamed(repository))
    },
    async listBranches(q) {
      return (await pageOfBranches(q)).map((r) => toBranch(r as never))
    },
    async getBranch(k, name) {
      const r = await one(
        db,
        'SELECT * FROM branches WHERE tenant = $1 AND provider = $2 AND repository = $3 AND branch = $4',
        [k.tenant, k.provider, k.repository, name],
      )
      return r ? toBranch(r as never) : null
    },
    async branchChoices(k, limit) {
      // The repository's default branch first, read in the same statement (one round trip a trigger, issue #16).
      // Prepared: read before every trigger (sql.ts named).
      const { rows } = await db.query<{ branch: string }>(
        named(
          `SELECT branch FROM branches WHERE repository = $1 AND state = 'live' AND tenant = $2 AND provider = $3
           ORDER BY branch = coalesce((SELECT default_branch FROM repositories
                                       WHERE repository = $1 AND tenant = $2 AND provider = $3
                                       ORDER BY seq DESC LIMIT 1), '') DESC,
             pushed_at DESC, branch LIMIT $4`,
          [...keyArgs(k), limit],
        ),
      )
      return rows.map((r) => r.branch)
    },
    async lastBuilds(k, names) {
      // Every branch asked for in one query (not one per branch): each branch's newest build of each rule.
      const out = new Map<string, BranchBuild[]>(names.map((name) => [name, []]))
      if (names.length === 0) return out
      const rows = await all<LastBuildRow & { branch: string }>(
        db,
        `SELECT b.branch, b.rule, b.id, b.job, b.state, b.result, b.commit_sha, b.created_at FROM builds b
         JOIN (SELECT branch, rule, max(seq) AS seq FROM builds
               WHERE repository = $1 AND branch = ANY($2::text[]) AND tenant = $3 AND provider = $4
               GROUP BY branch, rule) AS last
           ON last.seq = b.seq
         ORDER BY b.rule`,
        [k.repository, [...names], k.tenant, k.provider],
      )
      for (const r of rows) out.get(r.branch)?.push(toBranchBuild(r))
      return out
    },
    async jobsOf(k) {
      return all(
        db,
        `SELECT DISTINCT job, template FROM builds WHERE repository = $1 AND tenant = $2 AND provider = $3
         AND template IS NOT NULL ORDER BY job`,
        keyArgs(k),
      )
    },
    async scheduleSlot(key) {
      return scalar<string>(db, 'SELECT slot FROM schedule_slots WHERE key = $1', [key])
    },
  }
}
