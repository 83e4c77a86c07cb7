// Builds (jenkinsci/jenkins core hudson/model/Run.java, jenkinsci/workflow-job-plugin WorkflowRun.java):
// a build is a pure function of the clock — log lines appear
// at their time, `result` may be set mid-run, `building` stays true until the
// end. Only stop/complete change a build after creation.
import { PARAM_VALUE_CLASS } from './config-xml.js'
import { fullDisplayName, itemUrl, fullName } from './paths.js'
import type { Build, BuildResult, BuildScenario, Cause, Item, ParamValue } from './types.js'
import { RESULT_ORDINAL } from './types.js'
import { reportOf } from './test-report.js'

export const WORKFLOW_RUN = 'org.jenkinsci.plugins.workflow.job.WorkflowRun'
const DEFAULT_DURATION_MS = 2000
const OPEN_ENDED_STEP_MS = 250

function worse(a: BuildResult, b: BuildResult): BuildResult {
  return RESULT_ORDINAL[a] >= RESULT_ORDINAL[b] ? a : b
}

function pipelineLog(job: Item, causes: Cause[], s: BuildScenario, result: BuildResult): string[] {
  const stages = s.stages ?? ['Checkout', 'Test']
  const lines = [
    causes[0]?.shortDescription ?? 'Started',
    '[Pipeline] Start of Pipeline',
    '[Pipeline] node',
    `Running on Jenkins in /var/jenkins_home/workspace/${job.name}`,
    '[Pipeline] {',
  ]
  let failed = false
  stages.forEach((stage, i) => {
    lines.push('[Pipeline] stage', `[Pipeline] { (${stage})`)
    if (failed) lines.push(`Stage "${stage}" skipped due to earlier failure(s)`)
    else {
      if (i === 0) lines.push(...(s.extraLog ?? []))
      lines.push('[Pipeline] echo', `running ${stage}`)
      const sh = s.stageLog?.[stage]
      if (sh) lines.push('[Pipeline] sh', ...sh)
      if (stage === s.failingStage) {
        if (result === 'UNSTABLE') lines.push('[Pipeline] unstable', `WARNING: ${stage} is unstable`)
        else if (result === 'FAILURE') {
          lines.push(...(sh ? [] : ['[Pipeline] sh']), 'ERROR: script returned exit code 1')
          failed = true
        }
      }
    }
    lines.push('[Pipeline] }', '[Pipeline] // stage')
  })
  lines.push('[Pipeline] }', '[Pipeline] // node', '[Pipeline] End of Pipeline')
  if (result === 'FAILURE') lines.push('ERROR: script returned exit code 1')
  return lines
}

/**
 * Counts the changes of a build's end made outside the queue's own transitions (a stop, an `input` step paused or
 * settled): the queue's index of the next build end is found again after one (queue.ts).
 */
let endsChanged = 0
export const endsVersion = () => endsChanged
export const endChanged = () => void endsChanged++

export function createBuild(
  job: Item,
  queueId: number,
  params: ParamValue[] | null,
  causes: Cause[],
  startedAt: number,
  scenario: BuildScenario,
): Build {
  const duration = scenario.durationMs ?? DEFAULT_DURATION_MS
  const mid = scenario.midRunResult
  const finalResult = mid ? worse(mid.result, scenario.result ?? 'SUCCESS') : (scenario.result ?? 'SUCCESS')
  const text = pipelineLog(job, causes, scenario, finalResult)
  const step = Number.isFinite(duration) ? duration / (text.length + 1) : OPEN_ENDED_STEP_MS
  const build: Build = {
    job,
    number: job.nextBuildNumber++,
    queueId,
    params,
    causes,
    startedAt,
    endAt: startedAt + duration,
    finalResult,
    log: text.map((t, i) => ({ at: startedAt + Math.floor(i * step), text: t })),
    endProcessed: false,
  }
  if (mid) build.midRunResult = { result: mid.result, at: startedAt + mid.atMs }
  if (scenario.tests) build.tests = scenario.tests
  if (Number.isFinite(build.endAt)) build.log.push({ at: build.endAt, text: `Finished: ${finalResult}` })
  job.builds.push(build)
  return build
}

export function isBuilding(b: Build, now: number): boolean {
  return now < b.endAt
}

/** WorkflowRun: `result` can be non-null while `building` is still true (WorkflowRun.isBuilding, setResult). */
export function resultAt(b: Build, now: number): BuildResult | null {
  if (now >= b.endAt) return b.finalResult
  if (b.midRunResult && now >= b.midRunResult.at) return b.midRunResult.result
  return null
}

/** End a running build now: stop → ABORTED, or complete an open-ended one. */
export function endBuild(b: Build, now: number, result: BuildResult, note?: string): void {
  if (!isBuilding(b, now)) return
  const kept = b.log.filter((l) => l.at <= now && !l.text.startsWith('Finished: '))
  const pending = b.log.filter((l) => l.at > now && !l.text.startsWith('Finished: '))
  b.finalResult = b.midRunResult && b.midRunResult.at <= now ? worse(b.midRunResult.result, result) : result
  if (b.midRunResult && b.midRunResult.at > now) delete b.midRunResult
  b.endAt = now
  endChanged()
  b.log = result === 'ABORTED' ? kept : [...kept, ...pending.map((l) => ({ ...l, at: now }))]
  if (note) b.log.push({ at: now, text: note })
  b.log.push({ at: now, text: `Finished: ${b.finalResult}` })
}

/** The raw log (LF line ends) as visible at `now`. */
export function logText(b: Build, now: number): string {
  return b.log
    .filter((l) => l.at <= now)
    .map((l) => l.text + '\n')
    .join('')
}

export function buildRef(b: Build, root: string): { _class: string; number: number; url: string } {
  return { _class: WORKFLOW_RUN, number: b.number, url: `${itemUrl(root, b.job)}${b.number}/` }
}

export function parametersAction(params: ParamValue[]): Record<string, unknown> {
  return {
    _class: 'hudson.model.ParametersAction',
    parameters: params.map((p) =>
      // PasswordParameterValue's value is not exported (no @Exported on it:
      // jenkinsci/jenkins core/src/main/java/hudson/model/PasswordParameterValue.java)
      p.type === 'password'
        ? { _class: PARAM_VALUE_CLASS[p.type], name: p.name }
        : { _class: PARAM_VALUE_CLASS[p.type], name: p.name, value: p.value },
    ),
  }
}

export function causeAction(causes: Cause[]): Record<string, unknown> {
  return { _class: 'hudson.model.CauseAction', causes }
}

/** Job.getEstimatedDuration: average of recent successful builds, -1 without history. */
export function estimatedDuration(job: Item, now: number): number {
  const done = job.builds
    .filter((b) => !isBuilding(b, now) && (b.finalResult === 'SUCCESS' || b.finalResult === 'UNSTABLE'))
    .slice(-3)
  if (done.length === 0) return -1
  return Math.round(done.reduce((s, b) => s + (b.endAt - b.startedAt), 0) / done.length)
}

export function buildJson(b: Build, now: number, root: string): Record<string, unknown> {
  const building = isBuilding(b, now)
  const idx = b.job.builds.indexOf(b)
  const prev = idx > 0 ? b.job.builds[idx - 1] : undefined
  const next = b.job.builds[idx + 1]
  const actions: Record<string, unknown>[] = []
  if (b.params) actions.push(parametersAction(b.params))
  actions.push(causeAction(b.causes))
  actions.push({ _class: 'org.jenkinsci.plugins.workflow.libs.LibrariesAction' }, {}, {})
  actions.push({ _class: 'org.jenkinsci.plugins.workflow.job.views.FlowGraphAction' }, {})
  // The junit step's action, as Jenkins lists it once the results are recorded.
  if (b.tests && !building) {
    const r = reportOf(b.tests)
    actions.push({
      _class: 'hudson.tasks.junit.TestResultAction',
      failCount: r.failCount,
      skipCount: r.skipCount,
      totalCount: r.failCount + r.skipCount + r.passCount,
      urlName: 'testReport',
    })
  }
  // Stapler writes each class level's properties in name order (Run, then WorkflowRun).
  return {
    _class: WORKFLOW_RUN,
    actions,
    artifacts: [],
    building,
    description: null,
    displayName: `#${b.number}`,
    duration: building ? 0 : b.endAt - b.startedAt,
    estimatedDuration: estimatedDuration(b.job, now),
    executor: building ? { _class: 'hudson.model.OneOffExecutor' } : null,
    fullDisplayName: `${fullDisplayName(b.job)} #${b.number}`,
    id: String(b.number),
    inProgress: building,
    keepLog: false,
    number: b.number,
    queueId: b.queueId,
    result: resultAt(b, now),
    timestamp: b.startedAt,
    url: `${itemUrl(root, b.job)}${b.number}/`,
    changeSets: [],
    culprits: [],
    nextBuild: next ? buildRef(next, root) : null,
    previousBuild: prev ? buildRef(prev, root) : null,
  }
}

export function paramsRecord(params: ParamValue[] | null): Record<string, string | boolean> {
  return Object.fromEntries((params ?? []).map((p) => [p.name, p.value]))
}

export { fullName }
