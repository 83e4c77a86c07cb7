// A metric threshold, as `.tamer.yml`, Tamer's config (`metrics.policies`) and the templates'
// THRESHOLDS parameter write it: `'>= 0.85'`, a bare number (a minimum), or
// `{min, max, maxDrop, maxRise}` (maxDrop/maxRise: against the default branch's latest green build).
import { COMPARISON_PATTERN } from '../config/metrics-schema.js'

export { COMPARISON_PATTERN, METRIC_NAME_PATTERN, ThresholdSchema } from '../config/metrics-schema.js'

export const THRESHOLD_FORMS = "'>= 0.85', '<= 12', a number (a minimum) or {min, max, maxDrop, maxRise}"

/** One threshold, normalized: every bound optional, strictness kept for `>`/`<`. */
export interface Threshold {
  min?: number
  max?: number
  minExclusive?: boolean
  maxExclusive?: boolean
  maxDrop?: number
  maxRise?: number
}

/** The normalized threshold, or null when the input is none of the forms. */
export function toThreshold(input: unknown): Threshold | null {
  if (typeof input === 'number') return Number.isFinite(input) ? { min: input } : null
  if (typeof input === 'string') {
    const m = new RegExp(COMPARISON_PATTERN).exec(input)
    if (!m) return null
    const n = Number(input.trim().slice(m[1]!.length))
    if (!Number.isFinite(n)) return null
    if (m[1] === '>=') return { min: n }
    if (m[1] === '>') return { min: n, minExclusive: true }
    if (m[1] === '<=') return { max: n }
    return { max: n, maxExclusive: true }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null
  const o = input as Record<string, unknown>
  const out: Threshold = {}
  for (const k of Object.keys(o)) {
    const v = o[k]
    if (!['min', 'max', 'maxDrop', 'maxRise'].includes(k) || typeof v !== 'number' || !Number.isFinite(v)) return null
    if ((k === 'maxDrop' || k === 'maxRise') && v < 0) return null
    out[k as 'min' | 'max' | 'maxDrop' | 'maxRise'] = v
  }
  return Object.keys(out).length > 0 ? out : null
}

/** How a threshold reads in a table: `>= 0.85`, `<= 12, drop <= 0.01`. */
export function describeThreshold(t: Threshold): string {
  const parts: string[] = []
  if (t.min !== undefined) parts.push(`${t.minExclusive ? '>' : '>='} ${t.min}`)
  if (t.max !== undefined) parts.push(`${t.maxExclusive ? '<' : '<='} ${t.max}`)
  if (t.maxDrop !== undefined) parts.push(`drop <= ${t.maxDrop}`)
  if (t.maxRise !== undefined) parts.push(`rise <= ${t.maxRise}`)
  return parts.join(', ')
}

/** The THRESHOLDS job parameter (`{"auc": 0.8}`), as the oldest defaults; anything unreadable is skipped. */
export function thresholdsFromParameter(text: string | undefined): Record<string, Threshold> {
  if (!text?.trim()) return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return {}
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {}
  const out: Record<string, Threshold> = Object.create(null)
  for (const [k, x] of Object.entries(v)) {
    const t = toThreshold(x)
    if (t) out[k] = t
  }
  return out
}
