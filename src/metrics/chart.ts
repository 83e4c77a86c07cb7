// A metric over commits as an SVG (issue #15 item 2): the branch's line beside the default branch's,
// threshold lines across. Pure and server-side: no script, no style element, no external reference;
// every label passes through escapeHtml (it escapes & < > " ', which is XML's set too), so a metric or
// branch name from a repository cannot open markup (https://www.w3.org/TR/xml/#syntax).
import { escapeHtml } from '../notebooks/render/safe.js'
import type { MetricReport } from '../store/metrics.js'

export interface ChartPoint {
  /** report order (the store's seq): points are placed on one shared axis in this order */
  seq: number
  sha: string | null
  value: number
}

export interface ChartSeries {
  branch: string
  /** oldest first */
  points: ChartPoint[]
}

export interface ChartLine {
  label: string
  value: number
}

export interface ChartInput {
  metric: string
  /** the branch's series first, then the default branch's (when it is another branch) */
  series: ChartSeries[]
  thresholds: ChartLine[]
}

export const CHART_WIDTH = 640
export const CHART_HEIGHT = 280
const PAD = { left: 56, right: 16, top: 32, bottom: 40 }
const COLOURS = ['#1f6feb', '#8250df']
const fmt = (n: number) => String(Number(n.toPrecision(4)))
const esc = (s: string) => escapeHtml(s.slice(0, 120))

const open = (title: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" ` +
  `viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="${esc(title)}" font-family="sans-serif" font-size="12">` +
  `<title>${esc(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>`

/** The chart; with no points, an SVG that says "no metrics yet" (never an error). */
export function metricChartSvg(c: ChartInput): string {
  const title = `${c.metric} on ${c.series.map((s) => s.branch).join(' vs ')}`
  const all = c.series.flatMap((s) => s.points)
  if (all.length === 0)
    return (
      open(title) +
      `<text x="${CHART_WIDTH / 2}" y="${CHART_HEIGHT / 2}" text-anchor="middle" fill="#57606a">` +
      `no metrics yet for ${esc(c.metric)}</text></svg>`
    )
  // One x axis for every series: the reports in the order they came (commit order per branch).
  const seqs = [...new Set(all.map((p) => p.seq))].sort((a, b) => a - b)
  const xOf = new Map(seqs.map((s, i) => [s, i]))
  const plotW = CHART_WIDTH - PAD.left - PAD.right
  const plotH = CHART_HEIGHT - PAD.top - PAD.bottom
  const x = (seq: number) => PAD.left + (seqs.length === 1 ? plotW / 2 : (xOf.get(seq)! / (seqs.length - 1)) * plotW)
  const values = [...all.map((p) => p.value), ...c.thresholds.map((t) => t.value)]
  let lo = Math.min(...values)
  let hi = Math.max(...values)
  const pad = hi === lo ? Math.abs(hi) * 0.1 || 1 : (hi - lo) * 0.08
  lo -= pad
  hi += pad
  const y = (v: number) => PAD.top + ((hi - v) / (hi - lo)) * plotH
  const r = (n: number) => n.toFixed(1)
  const out = [open(title)]
  out.push(`<text x="${PAD.left}" y="20" font-weight="bold">${esc(c.metric)}</text>`)
  // Axes with the y range's ends.
  out.push(
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#8c959f"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#8c959f"/>`,
    `<text x="${PAD.left - 4}" y="${r(y(hi - pad) + 4)}" text-anchor="end" fill="#57606a">${fmt(hi - pad)}</text>`,
    `<text x="${PAD.left - 4}" y="${r(y(lo + pad) + 4)}" text-anchor="end" fill="#57606a">${fmt(lo + pad)}</text>`,
  )
  for (const t of c.thresholds)
    out.push(
      `<g class="threshold"><line x1="${PAD.left}" y1="${r(y(t.value))}" x2="${PAD.left + plotW}" y2="${r(y(t.value))}" ` +
        `stroke="#cf222e" stroke-dasharray="6 4"/><text x="${PAD.left + plotW - 2}" y="${r(y(t.value) - 4)}" ` +
        `text-anchor="end" fill="#cf222e">${esc(t.label)}</text></g>`,
    )
  c.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    if (s.points.length === 0) return
    const pts = s.points.map((p) => `${r(x(p.seq))},${r(y(p.value))}`).join(' ')
    out.push(`<g class="series" data-branch="${esc(s.branch)}">`)
    out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`)
    for (const p of s.points)
      out.push(
        `<circle cx="${r(x(p.seq))}" cy="${r(y(p.value))}" r="3" fill="${colour}">` +
          `<title>${esc(`${s.branch} ${p.sha ? p.sha.slice(0, 10) : ''}: ${fmt(p.value)}`)}</title></circle>`,
      )
    out.push('</g>')
    // Legend below the plot.
    const lx = PAD.left + i * 200
    out.push(
      `<rect x="${lx}" y="${CHART_HEIGHT - 16}" width="10" height="10" fill="${colour}"/>` +
        `<text x="${lx + 14}" y="${CHART_HEIGHT - 7}">${esc(s.branch)}${i === 1 ? ' (default)' : ''}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('')
}

/** The absolute bounds of a threshold as the table writes it (`>= 0.85, drop <= 0.01`), as lines. */
export function thresholdLines(threshold: string | null, baseline: number | null): ChartLine[] {
  if (!threshold) return []
  const lines: ChartLine[] = []
  for (const part of threshold.split(', ')) {
    const abs = /^(>=|>|<=|<) (-?[\d.eE+-]+)$/.exec(part)
    if (abs && Number.isFinite(Number(abs[2]))) lines.push({ label: part, value: Number(abs[2]) })
    const rel = /^(drop|rise) <= ([\d.eE+-]+)$/.exec(part)
    if (rel && baseline !== null && Number.isFinite(Number(rel[2])))
      lines.push({ label: part, value: baseline + (rel[1] === 'drop' ? -1 : 1) * Number(rel[2]) })
  }
  return lines
}

interface StoredResult {
  name?: unknown
  threshold?: unknown
  baseline?: unknown
}

const resultsOf = (r: MetricReport): StoredResult[] => {
  const res = (r.verdict as { results?: unknown } | null)?.results
  return Array.isArray(res) ? (res as StoredResult[]) : []
}

/** The metric to show when none is asked for: the newest report's first thresholded one, else its first. */
export function defaultMetric(reports: readonly MetricReport[]): string | null {
  const newest = reports[0]
  if (!newest) return null
  const thresholded = resultsOf(newest).find((x) => typeof x.name === 'string' && typeof x.threshold === 'string')
  return (thresholded?.name as string | undefined) ?? Object.keys(newest.metrics)[0] ?? null
}

/** A chart's input from the store's reports (newest first, as listMetricReports answers them). */
export function chartFromReports(
  metric: string,
  branch: { name: string; reports: readonly MetricReport[] },
  base: { name: string; reports: readonly MetricReport[] } | null,
): ChartInput {
  const series = (name: string, reports: readonly MetricReport[]): ChartSeries => ({
    branch: name,
    points: reports
      .filter((x) => Object.hasOwn(x.metrics, metric) && Number.isFinite(x.metrics[metric]))
      .map((x) => ({ seq: x.seq, sha: x.commitSha, value: x.metrics[metric]! }))
      .reverse(),
  })
  // Threshold lines: the branch's newest verdict for this metric (the settings then in force).
  const newest = [...branch.reports, ...(base?.reports ?? [])][0]
  const res = newest ? resultsOf(newest).find((x) => x.name === metric) : undefined
  const thresholds = thresholdLines(
    typeof res?.threshold === 'string' ? res.threshold : null,
    typeof res?.baseline === 'number' ? res.baseline : null,
  )
  return {
    metric,
    series: [
      series(branch.name, branch.reports),
      ...(base && base.name !== branch.name ? [series(base.name, base.reports)] : []),
    ],
    thresholds,
  }
}
