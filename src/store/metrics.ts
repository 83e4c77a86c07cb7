// The metrics side of the store (issue #15): each metrics report a build's gate posted, with its
// verdict, per repository, branch, commit and build. Interface only.

export interface NewMetricReport {
  buildId: string
  tenant: string
  repository: string
  branch: string | null
  commitSha: string | null
  job: string
  buildNumber: number | null
  /** the finite values only (invalid ones are in the verdict's results) */
  metrics: Record<string, number>
  pass: boolean
  /** the Verdict as answered (src/metrics/evaluate.ts), opaque here */
  verdict: unknown
}

export interface MetricReport extends NewMetricReport {
  seq: number
  reportedAt: string
}

export interface MetricReportQuery {
  tenants?: readonly string[]
  repository: string
  branch?: string
  /** seq below this (the page cursor) */
  before?: number
  limit: number
}

/** A build's dev/prod parity result (issue #15 item 3): what src/parity/ compared, opaque here. */
export interface NewParityReport {
  buildId: string
  tenant: string
  repository: string
  branch: string | null
  commitSha: string | null
  job: string
  buildNumber: number | null
  pass: boolean
  /** the ParityResult as answered (src/parity/result.ts) */
  result: unknown
}

export interface ParityReport extends NewParityReport {
  seq: number
  reportedAt: string
}

export interface MetricsStore {
  saveMetricReport(report: NewMetricReport): Promise<MetricReport>
  /** Newest first. */
  listMetricReports(q: MetricReportQuery): Promise<MetricReport[]>
  /** The latest report of a build. */
  latestMetricReport(buildId: string): Promise<MetricReport | null>
  /**
   * The baseline: the newest report on `branch` whose build finished SUCCESS, other than `exceptBuildId`'s.
   */
  latestGreenMetricReport(
    tenant: string,
    repository: string,
    branch: string,
    exceptBuildId: string,
  ): Promise<MetricReport | null>
  saveParityReport(report: NewParityReport): Promise<ParityReport>
  /** The latest parity result of a build. */
  latestParityReport(buildId: string): Promise<ParityReport | null>
}
