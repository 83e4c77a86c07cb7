// One step of one build: trigger it, follow its queue item, or follow the build.
// Every step ends with the build's new state written to the store, so a restart
// continues from there. Jenkins failures never drop a build: it waits and retries.
import type { Logger } from 'pino'
import { JobTemplateError, RepoSettingsError } from '../errors.js'
import { JenkinsCallError, type JenkinsApi } from '../jenkins/client.js'
import type { JobContext, Provisioner } from '../jenkins/provision.js'
import type { BuildPatch, BuildRecord, BuildStore, JenkinsRun } from '../store/builds.js'
import type { Mask } from '../security/secrets.js'
import { backoffMs } from '../work/backoff.js'

export interface StepDeps {
  store: Pick<BuildStore, 'updateBuild' | 'heldBuildBefore'>
  api: JenkinsApi
  provisioner: Provisioner
  now(): number
  /** A child per build is made from it (`{ buildId }`). */
  logger: Logger
  /** Told after a build's end is written: finished, cancelled, lost or refused (subscribers in src/compose/). */
  buildFinished(buildId: string): void
  /** Told after every write of a build (src/reporting/ posts commit statuses from it). */
  buildChanged(buildId: string): void
  retryBaseMs: number
  retryMaxMs: number
  pollInitialMs: number
  pollMaxMs: number
  /** the quiet period of the jobs Tamer triggers (ms) */
  quietPeriodMs: number
  /** how long after the quiet period a missed uncertain trigger is looked for again */
  uncertainGraceMs: number
  /** The Jenkins client's request timeout: a trigger sent can land at Jenkins until it ends. */
  requestTimeoutMs?: number
  logLines?: number
  /** Console tails and Jenkins' errors are masked before they are stored (src/security/secrets.ts). */
  mask?: Mask
  settings?: RepoSettingsCheck
  /** The job's branch choices and defaults for this build's repository (issue #14); none: the template's own. */
  jobContext?: (
    b: Pick<BuildRecord, 'tenant' | 'provider' | 'repository' | 'branch'>,
  ) => Promise<JobContext | undefined>
  /** Told when this step is done talking to Jenkins (before its last write): its slot can go to the next build. */
  doneWithJenkins?: () => void
}

/** The repository's settings file, read before a build of a template that uses it is triggered. */
export interface RepoSettingsCheck {
  reads(b: Pick<BuildRecord, 'template'>): boolean
  /** The templates `reads` is true for: a shared claim writes the intent of builds of other templates only. */
  readonly templates?: readonly string[]
  /** Throws RepoSettingsError when the file is invalid (the build ends); anything else (git cannot tell) is retried. */
  settingsOf(b: BuildRecord): Promise<unknown>
}

/** The stage name an invalid `.tamer.yml` fails, in notices and /api/builds. */
export const SETTINGS_STAGE = 'Repository settings (.tamer.yml)'

/**
 * Settings that are invalid end the build before Jenkins runs anything, as a failure that notices tell
 * (issue #15: no run with guesses); settings git cannot read yet are retried like Jenkins calls.
 * Returns true when the trigger may go on.
 */
async function settingsAllow(d: StepDeps, b: BuildRecord): Promise<boolean> {
  if (!d.settings?.reads(b) || b.state === 'triggering') return true
  try {
    await d.settings.settingsOf(b)
    return true
  } catch (err) {
    if (!(err instanceof RepoSettingsError)) {
      const attempts = b.attempts + 1
      d.logger.warn({ job: b.job, attempts, err: describe(err) }, 'repository settings not readable yet; will retry')
      await save(d, b, { attempts, lastError: describe(err), nextAttemptAt: d.now() + backoffMs(d, attempts) })
      return false
    }
    d.logger.warn({ job: b.job, err: err.message }, 'invalid repository settings; build not started')
    await save(d, b, {
      state: 'finished',
      result: 'FAILURE',
      failingStage: SETTINGS_STAGE,
      logTail: `Tamer did not start this build: the repository's settings are invalid.\n${err.message}`,
      lastError: err.message,
      nextAttemptAt: null,
    })
    d.buildFinished(b.id)
    return false
  }
}

const LOG_LINES = 200

/** Polls get rarer as a build gets older: a quarter of its age, within [initial, max]. */
export function pollDelay(d: StepDeps, b: BuildRecord): number {
  const age = d.now() - (b.triggeredAt ?? d.now())
  return Math.min(d.pollMaxMs, Math.max(d.pollInitialMs, Math.floor(age / 4)))
}

function describe(err: unknown): string {
  if (err instanceof JenkinsCallError) return `${err.kind}${err.status ? ` (HTTP ${err.status})` : ''}: ${err.message}`
  return (err as Error).message ?? String(err)
}

/** A stage name from a Pipeline log: the last stage opened before the first error line. */
export function failingStageFromLog(log: string): string | null {
  let stage: string | null = null
  for (const line of log.split('\n')) {
    const m = /^\[Pipeline\] \{ \((.+)\)$/.exec(line)
    if (m) stage = m[1]!
    if (/^ERROR: /.test(line)) return stage
  }
  return null
}

async function save(d: StepDeps, b: BuildRecord, patch: BuildPatch): Promise<void> {
  if (d.mask && patch.logTail) patch.logTail = d.mask(patch.logTail)
  if (d.mask && patch.lastError) patch.lastError = d.mask(patch.lastError)
  // A test's name or error message may print a secret as well as the log does.
  if (d.mask && patch.tests?.failures) {
    const mask = d.mask
    const failures = patch.tests.failures.map((f) => ({ name: mask(f.name), error: f.error && mask(f.error) }))
    patch.tests = { ...patch.tests, failures }
  }
  Object.assign(b, patch)
  await d.store.updateBuild(b.id, patch)
  d.buildChanged(b.id)
}

async function waitForJenkins(
  d: StepDeps,
  b: BuildRecord,
  err: unknown,
  state: BuildRecord['state'],
  countAttempt = false,
): Promise<void> {
  const attempts = b.attempts + (countAttempt ? 1 : 0)
  d.logger.warn({ job: b.job, attempts, err: describe(err) }, 'Jenkins call failed; will retry')
  await save(d, b, {
    state,
    attempts,
    lastError: describe(err),
    nextAttemptAt: d.now() + backoffMs(d, Math.max(1, attempts)),
  })
}

/** A job Tamer cannot make from its template: an end, not a wait (retrying reads the same missing file). */
async function refuse(d: StepDeps, b: BuildRecord, err: unknown): Promise<void> {
  d.logger.error({ job: b.job, template: b.template, err: describe(err) }, 'cannot make the Jenkins job; build refused')
  await save(d, b, { state: 'refused', lastError: describe(err), nextAttemptAt: null })
  d.buildFinished(b.id)
}

/**
 * Jenkins' clock may differ from Tamer's: builds are searched from this long before the intent.
 * NTP keeps servers within milliseconds; the margin costs extra pages only on a job that starts
 * hundreds of builds in these minutes.
 */
export const CLOCK_SKEW_MS = 5 * 60_000

/** Builds of this record's trigger started at or after this (Jenkins' clock, with the skew margin). */
const searchFrom = (b: BuildRecord) => (b.triggeredAt ?? b.acceptedAt) - CLOCK_SKEW_MS

const byQueueThenNumber = (a: JenkinsRun, b: JenkinsRun) =>
  (a.queueId ?? Infinity) - (b.queueId ?? Infinity) || (a.buildNumber ?? Infinity) - (b.buildNumber ?? Infinity)

/** Whether a failed buildWithParameters may still have been acted on by Jenkins. */
const stateAfterFailedTrigger = (err: unknown): BuildRecord['state'] =>
  err instanceof JenkinsCallError && err.mayHaveArrived ? 'triggering' : 'waiting-for-jenkins'

interface Look {
  /** every queue item and build with this DELIVERY_ID, oldest first */
  runs: JenkinsRun[]
  requests: number
}

/**
 * Everything Jenkins shows for this record's DELIVERY_ID, without a window: its queue item when
 * the id is known, the live queue, then every build started since the intent (`allBuilds`, paged,
 * not the newest 100 of `builds`). The queue is read before the builds, so an item leaving the
 * queue between the two reads is a build by the second read, or in the queue→build gap (a LeftItem
 * with executable: null; jenkinsci/jenkins core/src/main/java/hudson/model/Executor.java records the
 * item before it creates the build), which only a second look later can rule out.
 */
async function lookInJenkins(d: StepDeps, b: BuildRecord): Promise<Look> {
  const id = b.parameters.DELIVERY_ID
  const runs = new Map<string, JenkinsRun>()
  const add = (r: JenkinsRun) => {
    const key = r.queueId !== null ? `q${r.queueId}` : `n${r.buildNumber}`
    const known = runs.get(key)
    runs.set(key, known && known.buildNumber !== null ? known : r)
  }
  let requests = 0
  if (b.queueId !== null && b.queueId >= 0) {
    requests++
    const item = await d.api.queueItem(b.queueId)
    if (item && !item.cancelled && item.params.DELIVERY_ID === id)
      add({ queueId: item.id, buildNumber: item.buildNumber, buildUrl: item.buildUrl, source: 'search' })
  }
  requests++
  for (const q of await d.api.queuedFor(b.job))
    if (q.params.DELIVERY_ID === id) add({ queueId: q.id, buildNumber: null, buildUrl: null, source: 'search' })
  const found = await d.api.buildsSince(b.job, searchFrom(b))
  requests += found.requests
  for (const x of found.builds)
    if (x.params.DELIVERY_ID === id)
      add({ queueId: x.queueId, buildNumber: x.number, buildUrl: x.url, source: 'search' })
  return { runs: [...runs.values()].sort(byQueueThenNumber), requests }
}

/**
 * A trigger whose outcome is unknown (Tamer died during the request, or no answer came): adopt
 * what Jenkins has for it, or decide it never got there. One miss proves nothing (the request
 * may be between the queue and its build); only a second miss, the quiet period plus
 * `uncertainGraceMs` later, does. Returns true when the trigger is to be sent again.
 */
async function resolveUncertain(d: StepDeps, b: BuildRecord): Promise<boolean> {
  let look: Look
  try {
    look = await lookInJenkins(d, b)
  } catch (err) {
    await waitForJenkins(d, b, err, 'triggering', true)
    return false
  }
  const first = look.runs[0]
  d.logger.info(
    { job: b.job, found: look.runs.length, requests: look.requests, look: b.missedAt === null ? 1 : 2 },
    'looked in Jenkins for an uncertain trigger',
  )
  if (first) {
    if (look.runs.length > 1)
      d.logger.warn(
        { job: b.job, runs: look.runs.length },
        'Jenkins has more than one run of this DELIVERY_ID; following the first, recording all',
      )
    else
      d.logger.info(
        { job: b.job, queueId: first.queueId, number: first.buildNumber },
        'found the request Jenkins already accepted; not triggering again',
      )
    await save(d, b, {
      state: first.buildNumber !== null ? 'running' : 'queued',
      queueId: first.queueId,
      buildNumber: first.buildNumber,
      buildUrl: first.buildUrl,
      missedAt: null,
      lastError: null,
      nextAttemptAt: d.now(),
      runs: look.runs,
    })
    return false
  }
  // Never before the uncertain request's own timeout has run out either: its sender (a replica whose lease ended
  // mid-request on a loaded machine, found by test/pipeline/replicas.test.ts) may still be getting it to Jenkins.
  const missedAt = b.missedAt ?? d.now()
  const settledAt = Math.max(missedAt + d.quietPeriodMs + d.uncertainGraceMs, sentUntil(d, b))
  if (b.missedAt === null || d.now() < settledAt) {
    const again = new Date(settledAt).toISOString()
    await save(d, b, {
      missedAt,
      nextAttemptAt: settledAt,
      lastError: `outcome of the last request unknown and Jenkins does not show it yet; looking again at ${again}`,
    })
    return false
  }
  d.logger.warn(
    { job: b.job, firstMiss: new Date(b.missedAt).toISOString() },
    'Jenkins has no trace of the uncertain trigger after two looks; triggering again',
  )
  return true
}

/**
 * Until when the last request of an uncertain trigger can still reach Jenkins: its sending time plus the timeout,
 * plus INTENT_FRESH_MS, as a claim's intent (triggeredAt) may be that much older than its request.
 */
const sentUntil = (d: StepDeps, b: BuildRecord) => (b.triggeredAt ?? 0) + (d.requestTimeoutMs ?? 0) + INTENT_FRESH_MS

/** How soon a build held behind an earlier one of its job looks again while that one's retry is under way. */
const BEHIND_MS = 100

/**
 * Push order per job (one job per branch) through a Jenkins outage (issue #16): a build does not overtake an
 * earlier build of its job that Jenkins has not taken because a call failed (waiting for Jenkins, or retrying)
 * or that is held itself. Builds that never failed are not held: a burst on one branch triggers side by side.
 * Returns true when the trigger may go on; else the build is held until the earlier one's next attempt (every
 * replica reads the same rows).
 */
async function notOvertaking(d: StepDeps, b: BuildRecord): Promise<boolean> {
  const earlier = await d.store.heldBuildBefore(b.job, b.seq)
  if (!earlier) return true
  const at = Math.max(earlier.nextAttemptAt ?? 0, d.now() + BEHIND_MS)
  await save(d, b, { nextAttemptAt: at, lastError: `behind the earlier build ${earlier.id} of ${b.job}` })
  return false
}

/**
 * The checks before a trigger whose intent the route did not commit: 'triggering' means the last
 * buildWithParameters may have reached Jenkins (looked for first); otherwise push order; then the settings.
 */
async function mayTrigger(d: StepDeps, b: BuildRecord): Promise<boolean> {
  const ordered = b.state === 'triggering' ? await resolveUncertain(d, b) : await notOvertaking(d, b)
  return ordered && (await settingsAllow(d, b))
}

/**
 * A claim's intent (store/leases.ts ClaimIntent) older than this when its request is about to leave is written
 * again first: an uncertain trigger is never sent again before its last request's timeout after triggeredAt
 * (resolveUncertain), so triggeredAt must be when the request left, give or take this, not when it was claimed
 * (the job's provisioning, a Jenkins request or more, comes between).
 */
export const INTENT_FRESH_MS = 1_000

export async function triggerStep(
  d: StepDeps,
  b: BuildRecord,
  /**
   * The intent was committed with the plan or the claim, by the process that sends it now (nothing was sent
   * yet; no earlier build of the job was held, and the template reads no repository settings). `intentClaimed`:
   * by a shared claim, whose intent is written again before the request once older than INTENT_FRESH_MS (the
   * margin sentUntil counts in; another process may look for it once the lease ends).
   */
  o: { intentCommitted?: boolean; intentClaimed?: boolean } = {},
): Promise<void> {
  const intent = o.intentCommitted === true
  if (!intent && !(await mayTrigger(d, b))) return
  let ctx: JobContext | undefined
  try {
    ctx = await d.jobContext?.(b)
    if (b.template) await d.provisioner.ensure(b.job, b.template, ctx)
  } catch (err) {
    if (err instanceof JobTemplateError) return refuse(d, b, err)
    // Nothing was sent: the intent's attempt is the one that failed.
    return waitForJenkins(d, b, err, 'waiting-for-jenkins', !intent)
  }
  // The intent is durable before the request leaves: a crash after this point makes the retry look first.
  if (!intent) await save(d, b, { state: 'triggering', attempts: b.attempts + 1, triggeredAt: d.now(), missedAt: null })
  else if (o.intentClaimed === true && d.now() - (b.triggeredAt ?? 0) > INTENT_FRESH_MS)
    await save(d, b, { triggeredAt: d.now() })
  let result: { queueId: number; merged: boolean }
  try {
    result = await d.api.trigger(b.job, b.parameters)
  } catch (err) {
    if (!(err instanceof JenkinsCallError && err.kind === 'not-found' && b.template))
      return waitForJenkins(d, b, err, stateAfterFailedTrigger(err))
    // Job vanished (a 404: nothing was queued): provision it again and retry once, right away.
    d.provisioner.forget(b.job)
    try {
      await d.provisioner.sync(b.job, b.template, ctx)
    } catch (again) {
      if (again instanceof JobTemplateError) return refuse(d, b, again)
      return waitForJenkins(d, b, again, 'waiting-for-jenkins')
    }
    try {
      result = await d.api.trigger(b.job, b.parameters)
    } catch (again) {
      return waitForJenkins(d, b, again, stateAfterFailedTrigger(again))
    }
  }
  d.doneWithJenkins?.()
  d.logger.info({ job: b.job, queueId: result.queueId, merged: result.merged }, 'build requested')
  await save(d, b, {
    state: 'queued',
    queueId: result.queueId,
    lastError: null,
    nextAttemptAt: d.now() + d.pollInitialMs,
    runs: [{ queueId: result.queueId, buildNumber: null, buildUrl: null, source: 'trigger' }],
  })
}

export async function followQueueStep(d: StepDeps, b: BuildRecord): Promise<void> {
  try {
    const item = b.queueId === null || b.queueId < 0 ? null : await d.api.queueItem(b.queueId)
    if (item?.cancelled) {
      await save(d, b, { state: 'cancelled', result: 'CANCELLED', nextAttemptAt: null, lastError: null })
      return d.buildFinished(b.id)
    }
    if (item && item.buildNumber !== null)
      return await save(d, b, {
        state: 'running',
        buildNumber: item.buildNumber,
        buildUrl: item.buildUrl,
        lastError: null,
        nextAttemptAt: d.now(),
        runs: [{ queueId: item.id, buildNumber: item.buildNumber, buildUrl: item.buildUrl, source: 'queue' }],
      })
    if (item) return await save(d, b, { lastError: null, nextAttemptAt: d.now() + pollDelay(d, b) })
    // Left items are forgotten 5 minutes after the build started (or at a Jenkins restart): find
    // the build by queue id or DELIVERY_ID among every build since the intent.
    const id = b.parameters.DELIVERY_ID
    const { builds } = await d.api.buildsSince(b.job, searchFrom(b))
    const runs: JenkinsRun[] = builds
      .filter((x) => (b.queueId !== null && x.queueId === b.queueId) || x.params.DELIVERY_ID === id)
      .map((x) => ({ queueId: x.queueId, buildNumber: x.number, buildUrl: x.url, source: 'search' as const }))
      .sort(byQueueThenNumber)
    const found = runs.find((r) => b.queueId !== null && r.queueId === b.queueId) ?? runs[0]
    if (found)
      return await save(d, b, {
        state: 'running',
        buildNumber: found.buildNumber,
        buildUrl: found.buildUrl,
        lastError: null,
        nextAttemptAt: d.now(),
        runs,
      })
    await save(d, b, {
      state: 'lost',
      lastError: `queue item ${b.queueId} is gone and ${b.job} has no build with DELIVERY_ID ${id}`,
      nextAttemptAt: null,
    })
    d.buildFinished(b.id)
  } catch (err) {
    await waitForJenkins(d, b, err, b.state)
  }
}

export async function followBuildStep(d: StepDeps, b: BuildRecord): Promise<void> {
  try {
    const info = await d.api.build(b.job, b.buildNumber!)
    // A Pipeline may show a result while still running; only building:false is the end
    // (jenkinsci/workflow-job-plugin src/main/java/org/jenkinsci/plugins/workflow/job/WorkflowRun.java, isBuilding).
    if (info.building)
      return await save(d, b, { buildUrl: info.url, lastError: null, nextAttemptAt: d.now() + pollDelay(d, b) })
    const tail = await d.api.logTail(b.job, b.buildNumber!, d.logLines ?? LOG_LINES)
    // The JUnit report, read once the build is over (null: the build recorded none, which is normal).
    const tests = await d.api.testReport(b.job, b.buildNumber!)
    await save(d, b, {
      state: 'finished',
      result: info.result,
      durationMs: info.durationMs,
      buildUrl: info.url,
      tests,
      logTail: tail,
      failingStage: b.callback?.failedStage ?? (info.result === 'SUCCESS' ? null : failingStageFromLog(tail)),
      lastError: null,
      nextAttemptAt: null,
    })
    d.logger.info({ job: b.job, number: b.buildNumber, result: info.result }, 'build finished')
    d.buildFinished(b.id)
  } catch (err) {
    await waitForJenkins(d, b, err, b.state)
  }
}
