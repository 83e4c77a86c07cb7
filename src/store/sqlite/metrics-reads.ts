// Metrics report reads (issue #15): a repository's reports per branch, newest first, and the
// default branch's latest green one (the baseline of relative thresholds).
import type { Database } from 'better-sqlite3'
import type { MetricReport, MetricsStore, ParityReport } from '../metrics.js'

interface Row {
  seq: number
  build_id: string
  tenant: string
  repository: string
  branch: string | null
  commit_sha: string | null
  job: string
  build_number: number | null
  metrics: string
  pass: number
  verdict: string
  reported_at: string
}

const COLUMNS =
  'm.seq, m.build_id, m.tenant, m.repository, m.branch, m.commit_sha, m.job, m.build_number, m.metrics, m.pass, m.verdict, m.reported_at'

export const toMetricReport = (r: Row): MetricReport => ({
  seq: r.seq,
  buildId: r.build_id,
  tenant: r.tenant,
  repository: r.repository,
  branch: r.branch,
  commitSha: r.commit_sha,
  job: r.job,
  buildNumber: r.build_number,
  metrics: JSON.parse(r.metrics),
  pass: r.pass === 1,
  verdict: JSON.parse(r.verdict),
  reportedAt: r.reported_at,
})

interface ParityRow {
  seq: number
  build_id: string
  tenant: string
  repository: string
  branch: string | null
  commit_sha: string | null
  job: string
  build_number: number | null
  pass: number
  result: string
  reported_at: string
}

export const PARITY_COLUMNS =
  'seq, build_id, tenant, repository, branch, commit_sha, job, build_number, pass, result, reported_at'

export const toParityReport = (r: ParityRow): ParityReport => ({
  seq: Number(r.seq),
  buildId: r.build_id,
  tenant: r.tenant,
  repository: r.repository,
  branch: r.branch,
  commitSha: r.commit_sha,
  job: r.job,
  buildNumber: r.build_number === null ? null : Number(r.build_number),
  pass: r.pass === 1,
  result: JSON.parse(r.result),
  reportedAt: r.reported_at,
})

export function createMetricsReads(db: Database): Omit<MetricsStore, 'saveMetricReport' | 'saveParityReport'> & {
  metricReportBySeq(seq: number): MetricReport | null
} {
  const bySeq = db.prepare(`SELECT ${COLUMNS} FROM metric_reports m WHERE m.seq = ?`)
  const latestOfBuild = db.prepare(
    `SELECT ${COLUMNS} FROM metric_reports m WHERE m.build_id = ? ORDER BY m.seq DESC LIMIT 1`,
  )
  const green = db.prepare(
    `SELECT ${COLUMNS} FROM metric_reports m JOIN builds b ON b.id = m.build_id
     WHERE m.tenant = ? AND m.repository = ? AND m.branch = ? AND m.build_id <> ?
       AND b.state = 'finished' AND b.result = 'SUCCESS'
     ORDER BY m.seq DESC LIMIT 1`,
  )
  const latestParity = db.prepare(
    `SELECT ${PARITY_COLUMNS} FROM parity_reports WHERE build_id = ? ORDER BY seq DESC LIMIT 1`,
  )
  return {
    async latestParityReport(buildId) {
      const r = latestParity.get(buildId) as ParityRow | undefined
      return r ? toParityReport(r) : null
    },
    metricReportBySeq(seq) {
      const r = bySeq.get(seq) as Row | undefined
      return r ? toMetricReport(r) : null
    },
    async listMetricReports(q) {
      const where = ['m.repository = ?']
      const args: unknown[] = [q.repository]
      if (q.branch !== undefined) {
        where.push('m.branch = ?')
        args.push(q.branch)
      }
      if (q.before !== undefined) {
        where.push('m.seq < ?')
        args.push(q.before)
      }
      if (q.tenants) {
        if (q.tenants.length === 0) return []
        where.push(`m.tenant IN (${q.tenants.map(() => '?').join(', ')})`)
        args.push(...q.tenants)
      }
      const rows = db
        .prepare(`SELECT ${COLUMNS} FROM metric_reports m WHERE ${where.join(' AND ')} ORDER BY m.seq DESC LIMIT ?`)
        .all(...args, q.limit) as Row[]
      return rows.map(toMetricReport)
    },
    async latestMetricReport(buildId) {
      const r = latestOfBuild.get(buildId) as Row | undefined
      return r ? toMetricReport(r) : null
    },
    async latestGreenMetricReport(tenant, repository, branch, exceptBuildId) {
      const r = green.get(tenant, repository, branch, exceptBuildId) as Row | undefined
      return r ? toMetricReport(r) : null
    },
  }
}
