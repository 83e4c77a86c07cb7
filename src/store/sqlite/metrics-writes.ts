// Metrics report writes, run on the writer thread inside its transactions (see writer.ts).
import type { Database } from 'better-sqlite3'
import type { NewMetricReport, NewParityReport } from '../metrics.js'

export type MetricsWriteOp =
  | { op: 'metrics-save'; report: NewMetricReport; at: string }
  | { op: 'metrics-parity-save'; report: NewParityReport; at: string }

/** metrics-save, metrics-parity-save: the new row's seq. */
export type MetricsWriteResult = number

export function isMetricsWrite(op: { op: string }): op is MetricsWriteOp {
  return op.op.startsWith('metrics-')
}

export function createMetricsWrites(db: Database): (op: MetricsWriteOp) => MetricsWriteResult {
  const insert = db.prepare(
    `INSERT INTO metric_reports (build_id, tenant, repository, branch, commit_sha, job, build_number, metrics, pass,
       verdict, reported_at)
     VALUES (@buildId, @tenant, @repository, @branch, @commitSha, @job, @buildNumber, @metrics, @pass, @verdict, @at)`,
  )
  const insertParity = db.prepare(
    `INSERT INTO parity_reports (build_id, tenant, repository, branch, commit_sha, job, build_number, pass, result,
       reported_at)
     VALUES (@buildId, @tenant, @repository, @branch, @commitSha, @job, @buildNumber, @pass, @result, @at)`,
  )
  return (op) => {
    if (op.op === 'metrics-parity-save') {
      const p = op.report
      return Number(
        insertParity.run({ ...p, pass: p.pass ? 1 : 0, result: JSON.stringify(p.result), at: op.at }).lastInsertRowid,
      )
    }
    const r = op.report
    return Number(
      insert.run({
        ...r,
        metrics: JSON.stringify(r.metrics),
        pass: r.pass ? 1 : 0,
        verdict: JSON.stringify(r.verdict),
        at: op.at,
      }).lastInsertRowid,
    )
  }
}
