// Reads what a metric chart shows (src/metrics/chart.ts) from the store: the branch's and the default
// branch's newest reports of one repository in one tenant. Shared by the API, the console and notices.
import type { MetricsStore } from '../store/metrics.js'
import { chartFromReports, defaultMetric, metricChartSvg } from './chart.js'

/** Reports per series: enough commits to read a trend, few enough for a small image. */
export const CHART_REPORTS = 50

export async function metricChart(
  store: Pick<MetricsStore, 'listMetricReports'>,
  q: { tenant: string; repository: string; branch: string; defaultBranch: string | null; metric?: string },
): Promise<{ metric: string | null; svg: string }> {
  const list = (branch: string) =>
    store.listMetricReports({ repository: q.repository, branch, tenants: [q.tenant], limit: CHART_REPORTS })
  const reports = await list(q.branch)
  const base = q.defaultBranch && q.defaultBranch !== q.branch ? await list(q.defaultBranch) : null
  const metric = q.metric ?? defaultMetric(reports) ?? defaultMetric(base ?? [])
  const input = chartFromReports(
    metric ?? 'metrics',
    { name: q.branch, reports },
    q.defaultBranch ? { name: q.defaultBranch, reports: base ?? reports } : null,
  )
  return { metric, svg: metricChartSvg(input) }
}
