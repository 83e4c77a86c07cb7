// The metric gate: a build's metrics against its thresholds, absolute and relative to the default
// branch's latest green build. Pure: the caller finds the thresholds and the baseline.
import { describeThreshold, type Threshold } from './thresholds.js'

/** A reported value: a finite number, or what stood there instead (`NaN`, `"high"`, `null`, …). */
export type MetricValue = number | { invalid: string }

export interface Baseline {
  buildId: string
  branch: string
  commitSha: string | null
  buildNumber: number | null
  metrics: Record<string, number>
}

export interface MetricResult {
  name: string
  /** null: missing from the report, or not a finite number (see `reason`) */
  value: number | null
  /** `>= 0.85, drop <= 0.01`; null: no threshold (reported only) */
  threshold: string | null
  /** the default branch's latest green build's value, if it reported one */
  baseline: number | null
  /** value − baseline */
  delta: number | null
  /** null: no threshold, nothing to pass */
  pass: boolean | null
  /** why it failed, or a note (`no default-branch baseline yet`) */
  reason: string | null
}

export interface Verdict {
  pass: boolean
  /** one line per failure, each naming the metric */
  reasons: string[]
  results: MetricResult[]
  baseline: Omit<Baseline, 'metrics'> | null
}

const show = (n: number) => String(Number(n.toPrecision(12)))
/** Own keys only: a metric named `toString` or `__proto__` is a metric, not Object.prototype's. */
const own = <T>(o: Readonly<Record<string, T>> | undefined, k: string): T | undefined =>
  o && Object.hasOwn(o, k) ? o[k] : undefined

function judge(name: string, value: MetricValue | undefined, t: Threshold, base: Baseline | null): MetricResult {
  const threshold = describeThreshold(t)
  const baseline = own(base?.metrics, name) ?? null
  const r: MetricResult = { name, value: null, threshold, baseline, delta: null, pass: false, reason: null }
  if (value === undefined) return { ...r, reason: `${name} is missing from the metrics (threshold ${threshold})` }
  if (typeof value !== 'number')
    return { ...r, reason: `${name} is ${value.invalid}, not a finite number (threshold ${threshold})` }
  r.value = value
  r.delta = baseline === null ? null : Number((value - baseline).toPrecision(12))
  const fails: string[] = []
  if (t.min !== undefined && (t.minExclusive ? !(value > t.min) : !(value >= t.min)))
    fails.push(`${name} ${show(value)} is below the minimum ${t.minExclusive ? '>' : '>='} ${t.min}`)
  if (t.max !== undefined && (t.maxExclusive ? !(value < t.max) : !(value <= t.max)))
    fails.push(`${name} ${show(value)} is above the maximum ${t.maxExclusive ? '<' : '<='} ${t.max}`)
  const relative = t.maxDrop !== undefined || t.maxRise !== undefined
  if (relative && base && baseline === null)
    fails.push(`${name}: the default branch's latest green build (${base.branch}) did not report it to compare with`)
  if (base && baseline !== null) {
    const at = `${base.branch}${base.commitSha ? ` @ ${base.commitSha.slice(0, 10)}` : ''}`
    // A small epsilon: 0.85 − 0.84 is 0.010000000000000009 in binary floating point.
    if (t.maxDrop !== undefined && baseline - value > t.maxDrop + 1e-12)
      fails.push(`${name} dropped ${show(baseline - value)} from ${show(baseline)} (${at}), more than ${t.maxDrop}`)
    if (t.maxRise !== undefined && value - baseline > t.maxRise + 1e-12)
      fails.push(`${name} rose ${show(value - baseline)} from ${show(baseline)} (${at}), more than ${t.maxRise}`)
  }
  if (fails.length > 0) return { ...r, pass: false, reason: fails.join('; ') }
  const note = relative && !base ? 'no green build of the default branch to compare with yet' : null
  return { ...r, pass: true, reason: note }
}

export function evaluateMetrics(
  metrics: Readonly<Record<string, MetricValue>>,
  thresholds: Readonly<Record<string, Threshold>>,
  base: Baseline | null,
): Verdict {
  const results: MetricResult[] = Object.keys(thresholds)
    .sort()
    .map((name) => judge(name, own(metrics, name), own(thresholds, name)!, base))
  // Metrics without a threshold are listed (value, baseline, delta) but judge nothing.
  for (const name of Object.keys(metrics).sort()) {
    if (Object.hasOwn(thresholds, name)) continue
    const v = own(metrics, name)!
    const value = typeof v === 'number' ? v : null
    const baseline = own(base?.metrics, name) ?? null
    results.push({
      name,
      value,
      threshold: null,
      baseline,
      delta: value !== null && baseline !== null ? Number((value - baseline).toPrecision(12)) : null,
      pass: null,
      reason: typeof v === 'number' ? null : `${v.invalid}, not a finite number (no threshold: not judged)`,
    })
  }
  const reasons = results.filter((r) => r.pass === false).map((r) => r.reason!)
  const { metrics: _omit, ...baseline } = base ?? { metrics: null }
  return { pass: reasons.length === 0, reasons, results, baseline: base ? (baseline as Verdict['baseline']) : null }
}
