// The build side of the store: what each delivery was routed to and how every
// Jenkins run went. Interface only, so a PostgreSQL store can implement it too.
import type { ProviderName, Skipped } from '../events/model.js'
import type { Lease } from './lease.js'
import type { StoredDelivery } from './store.js'

/**
 * pending: planned, not sent yet · waiting-for-jenkins: an attempt failed, retried at nextAttemptAt ·
 * triggering: buildWithParameters may have reached Jenkins (a retry looks for it by DELIVERY_ID first) ·
 * queued / running / finished · not-triggered: no Jenkins configured, recorded only ·
 * cancelled: the queue item was cancelled in Jenkins · lost: Jenkins forgot the item and has no build for it ·
 * refused: Tamer cannot make the job from its template (a template file gone since start): retrying cannot help.
 */
export const BUILD_STATES = [
  'pending',
  'waiting-for-jenkins',
  'triggering',
  'queued',
  'running',
  'finished',
  'not-triggered',
  'cancelled',
  'lost',
  'refused',
] as const
export type BuildState = (typeof BUILD_STATES)[number]

export const ACTIVE_BUILD_STATES: readonly BuildState[] = [
  'pending',
  'waiting-for-jenkins',
  'triggering',
  'queued',
  'running',
]

/** A failed test case of Jenkins' JUnit report (src/jenkins/test-report.ts). */
export interface FailedTest {
  /** `className.name`, as Jenkins shows a case (CaseResult.getFullName) */
  name: string
  /** the first line of its error message (`errorDetails`), null when the report has none */
  error: string | null
}

/** From Jenkins' JUnit report; passed = total - failed - skipped. */
export interface TestCounts {
  total: number
  failed: number
  skipped: number
  /** The failed tests, at most 20; absent on builds recorded before Tamer read the report's cases. */
  failures?: FailedTest[]
}

export interface CallbackReport {
  result: string | null
  failedStage: string | null
  durationMs: number | null
  at: string
}

/** A queue item or build Tamer learned of for a build's DELIVERY_ID (normally one; two is a double Jenkins ran). */
export interface JenkinsRun {
  queueId: number | null
  buildNumber: number | null
  buildUrl: string | null
  /**
   * how Tamer first learned of it: its own trigger, the queue item's answer, a search after an uncertain trigger, the
   * template's callback
   */
  source: 'trigger' | 'queue' | 'search' | 'callback'
}

export interface RecordedRun extends JenkinsRun {
  job: string
  seenAt: string
}

/**
 * What a build is for, typed and recorded when it is planned. Notices, thread keys and commit
 * statuses read these, never the Jenkins parameters: a rule or a person re-running the job in
 * Jenkins may change those, not the facts the build was planned from.
 */
export interface BuildSubject {
  tenant: string
  provider: ProviderName
  /** The event's repository, `owner/name` (a pull request's target). Null only on rows whose delivery named none. */
  repository: string | null
  /**
   * The ref built: a push's full ref (`refs/heads/x`, `refs/tags/v1`), a pull request's source branch as
   * `refs/heads/…`.
   */
  ref: string | null
  /** The branch (a pull request's source branch); null for a tag. */
  branch: string | null
  /** The commit built (BRANCH's tip is not it): a full id for a push, a pull request's head as the host gives it. */
  commitSha: string | null
  /** The pull request's number; null for a push. */
  pullRequest: number | null
  /**
   * What the build is for, independent of the delivery that carried it (provider, repository,
   * ref or PR, commit): a second delivery of the same event starts no second build of a job.
   */
  eventKey: string | null
}

export interface PlannedBuild extends BuildSubject {
  /** Tamer's id of the delivery that started the build (not the git host's GUID). */
  deliveryId: string
  eventIndex: number
  rule: string
  job: string
  template: string | null
  /** What Jenkins is sent: the contract's parameters (plan.ts) and a rule's own; never read back as facts. */
  parameters: Record<string, string>
  state: 'pending' | 'not-triggered'
  /** A build started by hand in Jenkins (issue #14): recorded running, with its number, and followed. */
  started?: { buildNumber: number; buildUrl: string | null }
  /**
   * The trigger's intent, committed with the plan (issue #12: one commit less between a delivery and its
   * trigger): stored with this id as 'triggering' (attempts 1, triggeredAt `at`). The route that planned it
   * sends it; to anyone else (a pass after the route failed, a restart) it is an uncertain trigger. Unless an
   * earlier build of its job is held (heldBuildBefore) at the plan's commit: then it is planned 'pending' without
   * it, and its trigger step keeps push order (checked in the commit, not by a read per build before it).
   */
  intent?: { id: string; at: number }
  /** epoch ms the delivery was accepted (for the dispatch latency) */
  acceptedAt: number
}

export interface BuildRecord extends Omit<PlannedBuild, 'state'> {
  id: string
  seq: number
  state: BuildState
  queueId: number | null
  buildNumber: number | null
  buildUrl: string | null
  result: string | null
  durationMs: number | null
  failingStage: string | null
  logTail: string | null
  tests: TestCounts | null
  callback: CallbackReport | null
  attempts: number
  /** epoch ms */
  nextAttemptAt: number | null
  lastError: string | null
  /** epoch ms buildWithParameters was sent the last time (the intent, recorded before the request) */
  triggeredAt: number | null
  /**
   * epoch ms an uncertain trigger was first looked for in Jenkins and not found; it is posted
   * again only if a second look, the quiet period plus a grace interval later, misses it too.
   */
  missedAt: number | null
  createdAt: string
  updatedAt: string
}

export type BuildPatch = Partial<
  Pick<
    BuildRecord,
    | 'state'
    | 'queueId'
    | 'buildNumber'
    | 'buildUrl'
    | 'result'
    | 'durationMs'
    | 'failingStage'
    | 'logTail'
    | 'tests'
    | 'callback'
    | 'attempts'
    | 'nextAttemptAt'
    | 'lastError'
    | 'triggeredAt'
    | 'missedAt'
    | 'job'
  >
> & {
  /**
   * Queue items and builds learned of, recorded with the patch (merged with those already known, never replacing them).
   */
  runs?: readonly JenkinsRun[]
}

/** 'already planned by another delivery': the same event came twice (e.g. a repo hook and an org hook). */
export type DispatchOutcome = 'triggered' | 'recorded' | 'no rule matched' | 'already planned by another delivery'

export interface DeliveryPlan {
  deliveryId: string
  outcome: DispatchOutcome
  /** the rule evaluation, kept as evidence (`tamer rules test` shows the same) */
  evaluation: unknown
  builds: PlannedBuild[]
  /**
   * What the per-delivery caps left out (pipeline.maxEventsPerDelivery / maxBuildsPerDelivery); absent when nothing.
   */
  skipped?: DeliverySkips
  /**
   * Planned before its delivery's commit was answered (SQLite's onDeliveryQueued): written only if the delivery is
   * stored by then (in the same commit, or one before); otherwise nothing is, and planDelivery rejects with
   * DeliveryNotStoredError (a duplicate, a batch that failed, or a delivery still queued behind a full batch).
   */
  ifStored?: boolean
  /**
   * Shared work (PostgreSQL): the builds this plan commits with their intent are held by this lease from the
   * commit on, so the replica that planned them sends them without a claim (the other replicas' claims pass them
   * over; issue #16: a claim per plan, raced by every replica). Once the lease ends unrenewed, each is an
   * uncertain trigger for whoever claims it.
   */
  lease?: Lease
}

/** A plan `ifStored` whose delivery was not stored: nothing was written. */
export class DeliveryNotStoredError extends Error {
  constructor(deliveryId: string) {
    super(`delivery ${deliveryId} is not stored (yet): its plan was not written`)
    this.name = 'DeliveryNotStoredError'
  }
}

export interface DeliverySkips {
  events: Skipped | null
  builds: Skipped | null
}

export interface DispatchRecord {
  deliveryId: string
  outcome: DispatchOutcome
  evaluation: unknown
  decidedAt: string
  skipped: DeliverySkips | null
}

export interface BuildQuery {
  deliveryId?: string
  state?: BuildState
  job?: string
  tenants?: readonly string[]
  before?: number
  limit: number
}

export interface BuildStore {
  /** Deliveries still waiting for routing, oldest first. */
  pendingDeliveries(limit: number): Promise<StoredDelivery[]>
  /**
   * In one transaction: the builds, the rule evaluation, and the delivery marked processed. Idempotent. On
   * shared work (PostgreSQL) the delivery's lease ends with it: no releaseWork after.
   */
  planDelivery(plan: DeliveryPlan): Promise<BuildRecord[]>
  updateBuild(id: string, patch: BuildPatch): Promise<void>
  /**
   * A route of this pending delivery threw: one more attempt counted with its error; at `maxAttempts` the
   * delivery is `failed`, a dead letter (`tamer dead-letters`). Null when it was no longer pending. On shared
   * work the row's lease is given up and nobody may claim it before `retryAt` (epoch ms, the lease clock).
   */
  routeFailed(
    id: string,
    lastError: string,
    maxAttempts: number,
    retryAt: number,
  ): Promise<{ attempts: number; failed: boolean } | null>
  /** A failed delivery back to pending with fresh attempts (`tamer dead-letters --retry`); false when not failed. */
  retryDelivery(id: string): Promise<boolean>
  getBuild(id: string): Promise<BuildRecord | null>
  /** The builds of these ids that exist, in the order asked: one statement on PostgreSQL (issue #16). */
  getBuilds(ids: readonly string[]): Promise<BuildRecord[]>
  listBuilds(query: BuildQuery): Promise<BuildRecord[]>
  /** Builds the pipeline still has to drive (after a restart too). */
  activeBuilds(): Promise<BuildRecord[]>
  /**
   * The active builds due by `now` (at most `limit`, most overdue first) and when the next
   * one falls due: a pass costs what is due, not every build in flight.
   */
  dueBuilds(now: number, limit: number): Promise<{ due: BuildRecord[]; nextAt: number | null }>
  /** Every queue item and build recorded for these builds, oldest first. */
  runsOf(buildIds: readonly string[]): Promise<Map<string, RecordedRun[]>>
  /**
   * The latest build of `job` before `seq` that Jenkins has not taken because a call failed or it was held:
   * waiting for Jenkins, pending with a next attempt set, or triggering again (attempts > 1, or uncertain).
   * A trigger waits behind it (push order per branch through an outage, src/pipeline/steps.ts).
   */
  heldBuildBefore(job: string, seq: number): Promise<{ id: string; nextAttemptAt: number | null } | null>
  /** The build Tamer triggered with this DELIVERY_ID parameter on this job. */
  findBuildByDeliveryParam(job: string, deliveryParam: string): Promise<BuildRecord | null>
  getDispatch(deliveryId: string): Promise<DispatchRecord | null>
  /** Distinct (job, template) pairs Tamer provisioned, for `tamer jobs sync`. */
  knownJobs(): Promise<{ job: string; template: string }[]>
}

export type TamerStore = import('./store.js').DeliveryStore & BuildStore
