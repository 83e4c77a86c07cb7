// One step of one build: trigger it, follow its queue item, or follow the build.
// Every step ends with the build's new state written to the store, so a restart
// continues from there. Jenkins failures never drop a build: it waits and retries.
import type { Logger } from 'pino'
import { JenkinsCallError, type BuildInfo, type JenkinsApi } from '../jenkins/client.js'
import type { Provisioner } from '../jenkins/provision.js'
import type { BuildPatch, BuildRecord, BuildStore } from '../store/builds.js'
import type { Mask } from '../security/secrets.js'

export interface StepDeps {
  store: Pick<BuildStore, 'updateBuild'>
  api: JenkinsApi
  provisioner: Provisioner
  now(): number
  logger?: Logger
  retryBaseMs: number
  retryMaxMs: number
  pollInitialMs: number
  pollMaxMs: number
  logLines?: number
  /** Console tails and Jenkins' errors are masked before they are stored (src/security/secrets.ts). */
  mask?: Mask
}

const LOG_LINES = 200

export function retryDelay(d: StepDeps, attempts: number): number {
  return Math.min(d.retryMaxMs, d.retryBaseMs * 2 ** Math.max(0, attempts - 1))
}

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
  Object.assign(b, patch)
  await d.store.updateBuild(b.id, patch)
}

async function waitForJenkins(d: StepDeps, b: BuildRecord, err: unknown, state: BuildRecord['state'], countAttempt = false): Promise<void> {
  const attempts = b.attempts + (countAttempt ? 1 : 0)
  d.logger?.warn({ build: b.id, job: b.job, attempts, err: describe(err) }, 'Jenkins call failed; will retry')
  await save(d, b, { state, attempts, lastError: describe(err), nextAttemptAt: d.now() + retryDelay(d, Math.max(1, attempts)) })
}

/** After a crash or an unclear failure: did Jenkins already take this request? Look by DELIVERY_ID. */
async function findExisting(d: StepDeps, b: BuildRecord): Promise<{ queueId: number; build?: BuildInfo } | null> {
  const id = b.parameters.DELIVERY_ID
  const queued = (await d.api.queuedFor(b.job)).find((i) => i.params.DELIVERY_ID === id)
  if (queued) return { queueId: queued.id }
  const built = (await d.api.recentBuilds(b.job)).find((x) => x.params.DELIVERY_ID === id)
  if (built) return { queueId: built.queueId ?? -1, build: built }
  return null
}

export async function triggerStep(d: StepDeps, b: BuildRecord): Promise<void> {
  try {
    if (b.attempts > 0) {
      const found = await findExisting(d, b)
      if (found) {
        d.logger?.info({ build: b.id, job: b.job, queueId: found.queueId }, 'found the request Jenkins already accepted; not triggering again')
        return await save(d, b, {
          state: found.build ? 'running' : 'queued',
          queueId: found.queueId,
          buildNumber: found.build?.number ?? null,
          buildUrl: found.build?.url ?? null,
          lastError: null,
          nextAttemptAt: d.now(),
        })
      }
    }
    if (b.template) await d.provisioner.ensure(b.job, b.template)
  } catch (err) {
    return waitForJenkins(d, b, err, 'waiting-for-jenkins', true)
  }
  // The intent is durable before the request leaves: a crash after this point makes the retry look first.
  await save(d, b, { state: 'triggering', attempts: b.attempts + 1, triggeredAt: d.now() })
  let result: { queueId: number; merged: boolean }
  try {
    result = await d.api.trigger(b.job, b.parameters)
  } catch (err) {
    // Job vanished: provision it again and retry once, right away.
    if (err instanceof JenkinsCallError && err.kind === 'not-found' && b.template) {
      d.provisioner.forget(b.job)
      try {
        await d.provisioner.sync(b.job, b.template)
        result = await d.api.trigger(b.job, b.parameters)
      } catch (again) {
        return waitForJenkins(d, b, again, 'waiting-for-jenkins')
      }
    } else return waitForJenkins(d, b, err, 'waiting-for-jenkins')
  }
  d.logger?.info({ build: b.id, job: b.job, queueId: result.queueId, merged: result.merged }, 'build requested')
  await save(d, b, { state: 'queued', queueId: result.queueId, lastError: null, nextAttemptAt: d.now() + d.pollInitialMs })
}

export async function followQueueStep(d: StepDeps, b: BuildRecord): Promise<void> {
  try {
    const item = b.queueId === null || b.queueId < 0 ? null : await d.api.queueItem(b.queueId)
    if (item?.cancelled) return await save(d, b, { state: 'cancelled', result: 'CANCELLED', nextAttemptAt: null, lastError: null })
    if (item && item.buildNumber !== null)
      return await save(d, b, { state: 'running', buildNumber: item.buildNumber, buildUrl: item.buildUrl, lastError: null, nextAttemptAt: d.now() })
    if (item) return await save(d, b, { lastError: null, nextAttemptAt: d.now() + pollDelay(d, b) })
    // Left items are forgotten 5 minutes after the build started: find the build by queue id or DELIVERY_ID.
    const builds = await d.api.recentBuilds(b.job)
    const found = builds.find((x) => (b.queueId !== null && x.queueId === b.queueId) || x.params.DELIVERY_ID === b.parameters.DELIVERY_ID)
    if (found) return await save(d, b, { state: 'running', buildNumber: found.number, buildUrl: found.url, lastError: null, nextAttemptAt: d.now() })
    await save(d, b, { state: 'lost', lastError: `queue item ${b.queueId} is gone and ${b.job} has no build with DELIVERY_ID ${b.parameters.DELIVERY_ID}`, nextAttemptAt: null })
  } catch (err) {
    await waitForJenkins(d, b, err, b.state)
  }
}

export async function followBuildStep(d: StepDeps, b: BuildRecord): Promise<void> {
  try {
    const info = await d.api.build(b.job, b.buildNumber!)
    // A Pipeline may show a result while still running; only building:false is the end (§6.2).
    if (info.building) return await save(d, b, { buildUrl: info.url, lastError: null, nextAttemptAt: d.now() + pollDelay(d, b) })
    const tail = await d.api.logTail(b.job, b.buildNumber!, d.logLines ?? LOG_LINES)
    await save(d, b, {
      state: 'finished',
      result: info.result,
      durationMs: info.durationMs,
      buildUrl: info.url,
      tests: info.tests,
      logTail: tail,
      failingStage: b.callback?.failedStage ?? (info.result === 'SUCCESS' ? null : failingStageFromLog(tail)),
      lastError: null,
      nextAttemptAt: null,
    })
    d.logger?.info({ build: b.id, job: b.job, number: b.buildNumber, result: info.result }, 'build finished')
  } catch (err) {
    await waitForJenkins(d, b, err, b.state)
  }
}
