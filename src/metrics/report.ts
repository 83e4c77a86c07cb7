// A metrics report as the templates post it: `{delivery_id, job, build_number?, metrics: {…}}`.
// The metrics are whatever the repository's evaluation wrote: nested objects are joined with dots
// (DVC's and CML's metrics files nest), and Python's json module writes NaN and Infinity as bare
// tokens, which JSON.parse refuses, so those are read as what they are and judged, not refused.
import { BadMetricsError, MalformedBodyError } from '../errors.js'
import type { MetricValue } from './evaluate.js'

export interface MetricsReport {
  deliveryId: string
  job: string
  buildNumber: number | null
  metrics: Record<string, MetricValue>
}

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity'])

/** JSON with Python's bare NaN/Infinity/-Infinity turned into marked strings (outside strings only). */
export function parsePythonJson(text: string): unknown {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      // Copy a string literal as is, escapes included.
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
      continue
    }
    const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9))
    if (m) {
      out += `"\\u0000${m[1]}"`
      i += m[1]!.length
      continue
    }
    out += c
    i++
  }
  try {
    return JSON.parse(out)
  } catch (err) {
    throw new MalformedBodyError((err as Error).message)
  }
}

const describeInvalid = (v: unknown): string =>
  typeof v === 'string' && v.startsWith('\u0000') && NON_FINITE.has(v.slice(1))
    ? v.slice(1)
    : `${JSON.stringify(v)?.slice(0, 40) ?? String(v)} (${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v})`

/** The report, or BadMetricsError/MalformedBodyError naming what is wrong with its shape. */
export function readMetricsReport(raw: Buffer, maxMetrics: number): MetricsReport {
  const v = parsePythonJson(raw.toString('utf8'))
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new BadMetricsError('the body is not a JSON object')
  const o = v as Record<string, unknown>
  if (typeof o.delivery_id !== 'string' || typeof o.job !== 'string')
    throw new BadMetricsError('delivery_id and job are required strings')
  const m = o.metrics
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    throw new BadMetricsError('metrics must be a JSON object of metric names to numbers')
  // No prototype: a metric named `__proto__` or `constructor` is a plain entry.
  const metrics: Record<string, MetricValue> = Object.create(null)
  const add = (prefix: string, x: Record<string, unknown>, depth: number) => {
    for (const [k, val] of Object.entries(x)) {
      const name = prefix ? `${prefix}.${k}` : k
      if (typeof val === 'object' && val !== null && !Array.isArray(val) && depth < 4) {
        add(name, val as Record<string, unknown>, depth + 1)
        continue
      }
      if (Object.keys(metrics).length >= maxMetrics)
        throw new BadMetricsError(`more than ${maxMetrics} metrics (metrics.maxMetrics)`)
      if (name.length > 200) throw new BadMetricsError(`a metric name is longer than 200 characters`)
      metrics[name] = typeof val === 'number' && Number.isFinite(val) ? val : { invalid: describeInvalid(val) }
    }
  }
  add('', m as Record<string, unknown>, 0)
  return {
    deliveryId: o.delivery_id,
    job: o.job,
    buildNumber: typeof o.build_number === 'number' && Number.isInteger(o.build_number) ? o.build_number : null,
    metrics,
  }
}
