// Rows of build_runs, dispatches and a branch's last builds, and their mapping to records: one
// definition for both engines (sqlite/build-reads.ts, sqlite/branch-reads.ts, postgres/reads.ts),
// which differ only in how they run the SQL (as signoff-rows.ts).
import type { BranchBuild } from './branches.js'
import type { DispatchRecord, RecordedRun } from './builds.js'

export interface RunRow {
  build_id: string
  job: string
  queue_id: number | null
  build_number: number | null
  build_url: string | null
  source: RecordedRun['source']
  seen_at: string
}

export const toRecordedRun = (r: RunRow): RecordedRun => ({
  job: r.job,
  queueId: r.queue_id,
  buildNumber: r.build_number,
  buildUrl: r.build_url,
  source: r.source,
  seenAt: r.seen_at,
})

/** Each build's runs in `rows`' order; every id asked for has an entry (empty when it has none). */
export function runsByBuild(buildIds: readonly string[], rows: RunRow[]): Map<string, RecordedRun[]> {
  const out = new Map<string, RecordedRun[]>(buildIds.map((id) => [id, []]))
  for (const r of rows) out.get(r.build_id)?.push(toRecordedRun(r))
  return out
}

export interface DispatchRow {
  delivery_id: string
  outcome: string
  evaluation: string
  decided_at: string
  skipped: string | null
}

export const toDispatch = (r: DispatchRow): DispatchRecord => ({
  deliveryId: r.delivery_id,
  outcome: r.outcome as DispatchRecord['outcome'],
  evaluation: JSON.parse(r.evaluation),
  decidedAt: r.decided_at,
  skipped: r.skipped === null ? null : JSON.parse(r.skipped),
})

/** A branch's newest build of a rule (the branch column is there when several branches are read at once). */
export interface LastBuildRow {
  branch?: string
  rule: string
  id: string
  job: string
  state: string
  result: string | null
  commit_sha: string | null
  created_at: string
}

export const toBranchBuild = (r: LastBuildRow): BranchBuild => ({
  rule: r.rule,
  buildId: r.id,
  job: r.job,
  state: r.state,
  result: r.result,
  commitSha: r.commit_sha,
  createdAt: r.created_at,
})
