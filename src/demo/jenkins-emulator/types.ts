import type { JobDefinition, ParamType } from './config-xml.js'

export type BuildResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'NOT_BUILT' | 'ABORTED'

/** Jenkins' `Result.ordinal`: a Pipeline's result can only get worse. */
export const RESULT_ORDINAL: Record<BuildResult, number> = {
  SUCCESS: 0,
  UNSTABLE: 1,
  FAILURE: 2,
  NOT_BUILT: 3,
  ABORTED: 4,
}

export const RESULT_COLOR: Record<BuildResult, string> = {
  SUCCESS: 'blue',
  UNSTABLE: 'yellow',
  FAILURE: 'red',
  NOT_BUILT: 'notbuilt',
  ABORTED: 'aborted',
}

export interface Cause {
  _class: string
  shortDescription: string
  userId?: string | null
  userName?: string
  addr?: string
  note?: string | null
}

export interface ParamValue {
  type: ParamType
  name: string
  value: string | boolean
}

/** How a build started from this job behaves. */
export interface BuildScenario {
  /** final result (default SUCCESS) */
  result?: BuildResult
  /** run time in ms (default 2000); `Infinity` = runs until `control.completeBuild` or stop */
  durationMs?: number
  /** a result the Pipeline sets while still running (`unstable`, `catchError`) */
  midRunResult?: { result: BuildResult; atMs: number }
  /** stage names printed into the log (default Checkout, Test) */
  stages?: string[]
  /** stage that fails (FAILURE/UNSTABLE); later stages are printed as skipped */
  failingStage?: string
  /** extra lines printed inside the first stage */
  extraLog?: string[]
  /** what a stage's `sh` step prints, by stage name (the failing stage's lines come before its error) */
  stageLog?: Record<string, string[]>
  /**
   * JUnit results the build publishes once it has finished (a TestResultAction and `testReport`, ./test-report.ts):
   * counts (cases made up to match) or suites of cases. None: no report, `testReport` is 404.
   */
  tests?: BuildTests
  /** the Pipeline stops at an `input` step this long after it started, until proceedEmpty or abort (input.ts) */
  input?: InputScenario
}

/** An `input` step (jenkinsci/pipeline-input-step-plugin InputStep.java): id, message, ok text, submitters. */
export interface InputScenario {
  /** as given to `input id: …`; Jenkins capitalizes its first letter (InputStep.setId) */
  id: string
  message: string
  /** the proceed button's text (default Proceed) */
  ok?: string
  /** comma-separated user ids or groups; none: anyone with Job/Build */
  submitter?: string
  /** when the step is reached, ms after the build started (default 0) */
  atMs?: number
}

/** A test case of a JUnit report (junit-plugin's CaseResult; ./test-report.ts). */
export interface JUnitCase {
  className: string
  name: string
  status: 'PASSED' | 'SKIPPED' | 'FAILED' | 'FIXED' | 'REGRESSION'
  /** the failure's message */
  errorDetails?: string | null
  errorStackTrace?: string | null
  /** seconds */
  duration?: number
}

export type BuildTests =
  { total: number; failed: number; skipped: number } | { suites: { name: string; cases: JUnitCase[] }[] }

export type ScenarioSource =
  BuildScenario | ((ctx: { job: string; number: number; params: Record<string, string | boolean> }) => BuildScenario)

export interface Item {
  name: string
  parent: Item | null
  configXml: string
  def: JobDefinition
  children: Map<string, Item>
  builds: Build[]
  nextBuildNumber: number
  scenario?: ScenarioSource
}

export interface LogLine {
  at: number
  text: string
}

export interface Build {
  job: Item
  number: number
  queueId: number
  params: ParamValue[] | null
  causes: Cause[]
  startedAt: number
  /** when the build stops building; Infinity until completed */
  endAt: number
  finalResult: BuildResult
  midRunResult?: { result: BuildResult; at: number }
  log: LogLine[]
  /** the end has been processed by the queue simulation */
  endProcessed: boolean
  tests?: BuildTests
  /** a pending or settled `input` step (input.ts) */
  input?: PendingInput
}

export interface PendingInput {
  id: string
  message: string
  ok: string
  submitter: string | null
  /** when the step is reached */
  at: number
  /** log lines after the step, as offsets from it, and the run time left: replayed on proceed */
  held: { offset: number; text: string }[]
  remainingMs: number
  outcome: null | { kind: 'proceed' | 'abort'; by: string; at: number }
}

export type QueueState = 'waiting' | 'blocked' | 'buildable' | 'left'

export interface QueueItem {
  id: number
  job: Item
  params: ParamValue[] | null
  causes: Cause[]
  inQueueSince: number
  /** end of the quiet period */
  due: number
  state: QueueState
  buildableStart?: number
  leftAt?: number
  cancelled: boolean
  build?: Build
}
