// Build reads, on the main thread (WAL readers never wait for the writer).
import type { Database } from 'better-sqlite3'
import {
  ACTIVE_BUILD_STATES,
  type BuildQuery,
  type BuildRecord,
  type BuildStore,
  type DispatchRecord,
} from '../builds.js'
import { runsByBuild, toDispatch, type DispatchRow, type RunRow } from '../build-rows.js'
import { createPageQuery } from './page-query.js'
import { BUILD_PAGES } from './page-lists.js'

/** A builds row as SQLite returns it (the writer answers a plan with these). */
export interface BuildRow {
  seq: number
  id: string
  delivery_id: string
  event_index: number
  rule: string
  job: string
  template: string | null
  tenant: string
  repository: string | null
  parameters: string
  state: string
  queue_id: number | null
  build_number: number | null
  build_url: string | null
  result: string | null
  duration_ms: number | null
  failing_stage: string | null
  log_tail: string | null
  tests: string | null
  callback: string | null
  attempts: number
  next_attempt_at: number | null
  last_error: string | null
  accepted_at: number
  event_key: string | null
  provider: string | null
  ref: string | null
  branch: string | null
  commit_sha: string | null
  pull_request: number | null
  triggered_at: number | null
  missed_at: number | null
  created_at: string
  updated_at: string
}

export function toBuild(r: BuildRow): BuildRecord {
  return {
    id: r.id,
    seq: r.seq,
    deliveryId: r.delivery_id,
    eventIndex: r.event_index,
    rule: r.rule,
    job: r.job,
    template: r.template,
    tenant: r.tenant,
    repository: r.repository,
    parameters: JSON.parse(r.parameters),
    state: r.state as BuildRecord['state'],
    queueId: r.queue_id,
    buildNumber: r.build_number,
    buildUrl: r.build_url,
    result: r.result,
    durationMs: r.duration_ms,
    failingStage: r.failing_stage,
    logTail: r.log_tail,
    tests: r.tests === null ? null : JSON.parse(r.tests),
    callback: r.callback === null ? null : JSON.parse(r.callback),
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    acceptedAt: r.accepted_at,
    eventKey: r.event_key,
    // Filled for every row by migration 11 (from the delivery the build was planned from).
    provider: r.provider as BuildRecord['provider'],
    ref: r.ref,
    branch: r.branch,
    commitSha: r.commit_sha,
    pullRequest: r.pull_request,
    triggeredAt: r.triggered_at,
    missedAt: r.missed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

/**
 * BuildStore.heldBuildBefore on a connection: the reads' (main thread) and the writer's, which checks it in a plan's
 * commit before writing a trigger's intent. Three index walks, each over the few rows it can match: a burst's
 * thousands of pending builds of one job are not read (the held ones are found through (state, next_attempt_at),
 * fresh ones have none).
 */
export function createHeldBuildQuery(
  db: Database,
): (job: string, seq: number) => { id: string; nextAttemptAt: number | null } | null {
  const held = [
    `SELECT seq, id, next_attempt_at FROM builds WHERE job = @job AND state = 'waiting-for-jenkins' AND seq < @seq`,
    `SELECT seq, id, next_attempt_at FROM builds INDEXED BY builds_state
       WHERE state = 'pending' AND next_attempt_at > 0 AND job = @job AND seq < @seq`,
    `SELECT seq, id, next_attempt_at FROM builds WHERE job = @job AND state = 'triggering' AND seq < @seq
       AND (attempts > 1 OR missed_at IS NOT NULL)`,
  ].map((sql) => db.prepare(`${sql} ORDER BY seq DESC LIMIT 1`))
  type Held = { seq: number; id: string; next_attempt_at: number | null }
  return (job, seq) => {
    const found = held.map((s) => s.get({ job, seq }) as Held | undefined).filter((r) => r !== undefined)
    const r = found.sort((a, b) => b.seq - a.seq)[0]
    return r ? { id: r.id, nextAttemptAt: r.next_attempt_at } : null
  }
}

export type BuildReads = Omit<
  BuildStore,
  'planDelivery' | 'updateBuild' | 'pendingDeliveries' | 'routeFailed' | 'retryDelivery'
>

export function createBuildReads(db: Database): BuildReads {
  const byId = db.prepare('SELECT * FROM builds WHERE id = ?')
  const active = db.prepare(
    `SELECT * FROM builds WHERE state IN (${ACTIVE_BUILD_STATES.map(() => '?').join(', ')}) ORDER BY seq`,
  )
  const states = ACTIVE_BUILD_STATES.map(() => '?').join(', ')
  const due = db.prepare(
    `SELECT * FROM builds WHERE state IN (${states}) AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
     ORDER BY coalesce(next_attempt_at, 0), seq LIMIT ?`,
  )
  const nextDue = db
    .prepare(`SELECT min(next_attempt_at) FROM builds WHERE state IN (${states}) AND next_attempt_at > ?`)
    .pluck()
  const held = createHeldBuildQuery(db)
  const byParam = db.prepare('SELECT * FROM builds WHERE job = ? AND delivery_param = ? ORDER BY seq LIMIT 1')
  const pageOfBuilds = createPageQuery(db, BUILD_PAGES)
  const dispatch = db.prepare('SELECT * FROM dispatches WHERE delivery_id = ?')
  const runs = db.prepare(
    `SELECT build_id, job, queue_id, build_number, build_url, source, seen_at FROM build_runs
     WHERE build_id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
  )
  const known = db.prepare('SELECT DISTINCT job, template FROM builds WHERE template IS NOT NULL ORDER BY job')
  return {
    async getBuild(id) {
      const r = byId.get(id) as BuildRow | undefined
      return r ? toBuild(r) : null
    },
    // Reads by primary key on this thread, with no round trip to save.
    async getBuilds(ids) {
      return ids.flatMap((id) => {
        const r = byId.get(id) as BuildRow | undefined
        return r ? [toBuild(r)] : []
      })
    },
    async listBuilds(q: BuildQuery) {
      const rows = pageOfBuilds(q)
      return (rows as BuildRow[]).map(toBuild)
    },
    async activeBuilds() {
      return (active.all(...ACTIVE_BUILD_STATES) as BuildRow[]).map(toBuild)
    },
    async dueBuilds(now, limit) {
      const rows = due.all(...ACTIVE_BUILD_STATES, now, limit) as BuildRow[]
      const next = nextDue.get(...ACTIVE_BUILD_STATES, now) as number | null
      return { due: rows.map(toBuild), nextAt: next ?? null }
    },
    async runsOf(buildIds) {
      if (buildIds.length === 0) return runsByBuild(buildIds, [])
      return runsByBuild(buildIds, runs.all(JSON.stringify(buildIds)) as RunRow[])
    },
    async heldBuildBefore(job, seq) {
      return held(job, seq)
    },
    async findBuildByDeliveryParam(job, deliveryParam) {
      const r = byParam.get(job, deliveryParam) as BuildRow | undefined
      return r ? toBuild(r) : null
    },
    async getDispatch(deliveryId): Promise<DispatchRecord | null> {
      const r = dispatch.get(deliveryId) as DispatchRow | undefined
      return r ? toDispatch(r) : null
    },
    async knownJobs() {
      return known.all() as { job: string; template: string }[]
    },
  }
}
