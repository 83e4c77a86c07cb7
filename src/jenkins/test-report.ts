// Test results from Jenkins' JUnit report (`…/<build>/testReport/api/json`), which the `junit` step of the
// templates records (jenkinsfiles/*.Jenkinsfile), instead of pytest's summary in the console log.
// The report's shape (jenkinsci/junit-plugin src/main/java/hudson/tasks/junit/TestResult.java, SuiteResult.java,
// CaseResult.java): `failCount`, `passCount`, `skipCount`, `suites[].cases[]` with `className`, `name`,
// `status` and `errorDetails` (the failure's `message` attribute; `errorStackTrace` is its text, left out here).
// Two small requests, kept small by `tree`: the counts, then the cases only when some failed (a green
// report of thousands of cases costs one request of a few bytes).
import type { FailedTest, TestCounts } from '../store/builds.js'

/** The config's secrets masked (src/security/secrets.ts maskOf). */
type Mask = (text: string) => string
const unmasked: Mask = (text) => text

export const COUNTS_TREE = 'failCount,passCount,skipCount'
export const CASES_TREE = 'suites[cases[className,name,status,errorDetails]]'

/** Failed tests kept per build (a notice, a comment and a status show fewer). */
export const MAX_FAILURES = 20

/**
 * FAILED, or REGRESSION (failing now, passing in the previous build): junit-plugin before 1363 reported the
 * condition in `status` (CaseResult.getStatus); later versions report only PASSED, FAILED and SKIPPED.
 */
const FAILING = new Set(['FAILED', 'REGRESSION'])

/** One line (control characters made spaces), at most `max` characters. */
function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0)

/** The counts of a report (`COUNTS_TREE`). */
export function countsOf(body: unknown): TestCounts {
  const r = (body ?? {}) as { failCount?: unknown; passCount?: unknown; skipCount?: unknown }
  const failed = count(r.failCount)
  const skipped = count(r.skipCount)
  return { total: count(r.passCount) + failed + skipped, failed, skipped }
}

/** The first non-blank line of an error message, masked, then bounded. */
export function firstLine(text: unknown, mask: Mask = unmasked): string | null {
  if (typeof text !== 'string') return null
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')
  return line === undefined ? null : oneLine(mask(line), 300)
}

/**
 * The failed cases of a report (`CASES_TREE`), in report order, at most MAX_FAILURES. Each text is masked
 * before it is cut: a secret the cut went through would keep a prefix no mask recognises afterwards.
 */
export function failuresOf(body: unknown, mask: Mask = unmasked): FailedTest[] {
  const out: FailedTest[] = []
  const suites = (body as { suites?: unknown } | null)?.suites
  for (const s of Array.isArray(suites) ? suites : []) {
    const cases = (s as { cases?: unknown } | null)?.cases
    for (const c of Array.isArray(cases) ? cases : []) {
      const k = (c ?? {}) as { className?: unknown; name?: unknown; status?: unknown; errorDetails?: unknown }
      if (!FAILING.has(String(k.status))) continue
      const name = typeof k.name === 'string' && k.name ? k.name : '(?)'
      const full = typeof k.className === 'string' && k.className ? `${k.className}.${name}` : name
      out.push({ name: oneLine(mask(full), 200), error: firstLine(k.errorDetails, mask) })
      if (out.length >= MAX_FAILURES) return out
    }
  }
  return out
}
