// The JUnit report of a build, as the junit plugin serves it at `…/<build>/testReport/api/json` once the
// `junit` step recorded results. Facts relied on, from jenkinsci/junit-plugin (src/main/java/hudson/tasks/junit/):
//  - TestResult.java exports `duration` (seconds, float), `empty`, `failCount`, `passCount`, `skipCount`
//    (visibility 999) and `suites` (inline); the counts are over every case.
//  - SuiteResult.java exports `cases` (inline), `duration`, `enclosingBlockNames`, `enclosingBlocks`, `id`,
//    `name`, `nodeId`, `properties`, `stderr`, `stdout`, `timestamp`.
//  - CaseResult.java exports `age`, `className`, `duration`, `errorDetails` (the `message` attribute of the
//    <failure>/<error> element: getErrorMessage), `errorStackTrace` (the element's text), `failedSince`, `name`
//    ("(?)" when empty), `skipped`, `skippedMessage`, `status`, `stderr`, `stdout`. `status` (getStatus) is
//    SKIPPED, PASSED or FAILED; before 1363 (the UI redesign, #727) it also said REGRESSION / FIXED, comparing
//    with the previous build. A case passed when it has no error details nor stack trace and is not skipped.
//  - No report (no `junit` step, or `allowEmptyResults` with no files): the build has no TestResultAction, so
//    `testReport` is not a URL of the build and Jenkins answers 404 (Stapler: a null getter is a 404).
//  - Stapler writes `_class` only where the declared type differs (ClassAttributeBehaviour.IF_NEEDED,
//    jenkinsci/stapler core/src/main/java/org/kohsuke/stapler/export/ClassAttributeBehaviour.java): on the
//    report itself, not on the suites and cases of its typed lists.
// There is no recorded testReport response in the shared corpus (../shared/corpus/jenkins/ has none): the shape
// above is read from the plugin's source, not checked against a recording.
import type { BuildTests, JUnitCase } from './types.js'

export interface JUnitReport {
  failCount: number
  passCount: number
  skipCount: number
  suites: { name: string; cases: JUnitCase[] }[]
}

/** A scenario's tests as a report: its cases, or cases made up to match its counts. */
export function reportOf(t: BuildTests): JUnitReport {
  let suites: { name: string; cases: JUnitCase[] }[]
  if ('suites' in t) suites = t.suites
  else {
    const cases: JUnitCase[] = []
    for (let i = 1; i <= t.total; i++) {
      const failed = i <= t.failed
      const skipped = !failed && i <= t.failed + t.skipped
      cases.push({
        className: 'tests.test_scripted',
        name: `test_${i}`,
        status: failed ? 'FAILED' : skipped ? 'SKIPPED' : 'PASSED',
        ...(failed ? { errorDetails: `AssertionError: scripted failure ${i}`, errorStackTrace: 'Traceback …' } : {}),
      })
    }
    suites = [{ name: 'pytest', cases }]
  }
  const all = suites.flatMap((s) => s.cases)
  const failCount = all.filter((c) => c.status === 'FAILED' || c.status === 'REGRESSION').length
  const skipCount = all.filter((c) => c.status === 'SKIPPED').length
  return { failCount, skipCount, passCount: all.length - failCount - skipCount, suites }
}

/** The report's JSON, properties in Stapler's order (name order per class). */
export function testReportJson(r: JUnitReport, timestamp: number): Record<string, unknown> {
  const seconds = (c: JUnitCase) => c.duration ?? 0.01
  const suites = r.suites.map((s) => ({
    cases: s.cases.map((c) => {
      const failing = c.status === 'FAILED' || c.status === 'REGRESSION'
      return {
        testActions: [],
        age: failing ? 1 : 0,
        className: c.className,
        duration: seconds(c),
        errorDetails: c.errorDetails ?? null,
        errorStackTrace: c.errorStackTrace ?? (failing ? (c.errorDetails ?? null) : null),
        failedSince: failing ? 1 : 0,
        name: c.name || '(?)',
        skipped: c.status === 'SKIPPED',
        skippedMessage: c.status === 'SKIPPED' ? 'skipped' : null,
        status: c.status,
        stderr: null,
        stdout: null,
        properties: {},
      }
    }),
    duration: s.cases.reduce((sum, c) => sum + seconds(c), 0),
    enclosingBlockNames: [],
    enclosingBlocks: [],
    id: null,
    name: s.name,
    nodeId: null,
    properties: {},
    stderr: null,
    stdout: null,
    timestamp: new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, ''),
  }))
  return {
    _class: 'hudson.tasks.junit.TestResult',
    testActions: [],
    duration: suites.reduce((sum, s) => sum + s.duration, 0),
    empty: r.failCount + r.passCount + r.skipCount === 0,
    failCount: r.failCount,
    passCount: r.passCount,
    skipCount: r.skipCount,
    suites,
  }
}
