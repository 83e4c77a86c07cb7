// The pipeline as durable jobs: pending deliveries are routed (rules → planned
// builds, one transaction), then every active build is driven step by step
// (provision → trigger → follow the queue item → follow the build). All state is
// in the store, so after a restart `start()` picks up exactly where it stopped.
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { jenkinsApiFromConfig, type JenkinsApi } from '../jenkins/client.js'
import { maskOf } from '../security/secrets.js'
import { createProvisioner, type Provisioner } from '../jenkins/provision.js'
import { randomUUID } from 'node:crypto'
import {
  DeliveryNotStoredError,
  ACTIVE_BUILD_STATES,
  type BuildRecord,
  type CallbackReport,
  type DeliveryPlan,
  type PlannedBuild,
  type TamerStore,
} from '../store/builds.js'
import type { NewDelivery } from '../store/store.js'
import type { ClaimIntent, WorkLeaseStore } from '../store/leases.js'
import { noChangedFiles, type ChangedFilesSource } from './changed-files.js'
import { planSettings, routeDelivery, type RoutableDelivery } from './plan.js'
import { followBuildStep, followQueueStep, triggerStep, type RepoSettingsCheck, type StepDeps } from './steps.js'
import { serialPasses } from '../work/passes.js'
import { lazyChild, plainLineLogger } from '../logging.js'
import { realTimers, type Timers } from '../work/timers.js'
import { backoffMs } from '../work/backoff.js'
import type { LeaseKeeper } from '../store/lease-keeper.js'

export interface PipelineDeps {
  config: Config
  store: TamerStore & WorkLeaseStore
  /**
   * This replica's leases: on a store whose work is shared (PostgreSQL), deliveries and builds are
   * claimed (src/store/leases.ts) instead of read, so two replicas never run the same step.
   */
  leases?: LeaseKeeper
  /** Children per unit of work: `{ deliveryId }` while routing, `{ buildId }` while driving a build. */
  logger: Logger
  /** Told after a build's end is written (the composition root wakes the notifier with it). */
  buildFinished?: (buildId: string) => void
  /** Told after every write of a build the pipeline commits: planned, each step, a callback (the reporter listens). */
  buildChanged?: (buildId: string) => void
  now?: () => number
  timers?: Timers
  /** default: from config.jenkins (null when no url is configured) */
  api?: JenkinsApi | null
  changedFiles?: ChangedFilesSource
  /** Reads a build's repository settings (`.tamer.yml`) before its trigger (src/metrics/gate.ts). */
  settings?: RepoSettingsCheck
  /** Where job templates are read from (default: the project's jenkinsfiles/). */
  templatesDir?: string
  /** at most this many steps talk to Jenkins at once */
  concurrency?: number
  /**
   * Wakes within this many ms share one pass (default 10 with real timers, 0 with injected
   * ones): every finished step wakes the pipeline, and a pass reads the store.
   */
  wakeCoalesceMs?: number
  /** A job's BRANCH choices and defaults for a build's repository (issue #14; the composition root gives it). */
  jobContext?: StepDeps['jobContext']
  /**
   * Told after each step (route, trigger, follow-queue, follow-build) with how it ended and its time; `retry` when it
   * ran on a build whose earlier attempt failed (waiting-for-jenkins). For /metrics.
   */
  stepDone?: (step: string, outcome: 'ok' | 'error', seconds: number, retry: boolean) => void
  /** Told of each claim on shared work: its queue and how many rows it got (0: empty). For /metrics. */
  claimed?: (queue: 'deliveries' | 'builds', rows: number) => void
}

export interface CallbackBody {
  /** The build's DELIVERY_ID parameter (a deliveryParam: Tamer's delivery id, `.N` for a delivery's later events). */
  delivery_id: string
  job: string
  build_number?: number
  build_url?: string
  result?: string | null
  failed_stage?: string | null
  duration_ms?: number | null
}

export interface Pipeline {
  readonly api: JenkinsApi | null
  readonly provisioner: Provisioner | null
  /** Resume: route pending deliveries and drive active builds. */
  start(): void
  /** Something changed (a callback came, a build is due): look now. */
  wake(): void
  /** Look now, and scan the store for pending deliveries: another process (`tamer run`, `tamer replay`) stored them. */
  rescan(): void
  /**
   * A pending delivery was committed: it is routed from what intake committed (`delivery`, its events as
   * stored), or else from this id (one read by primary key), so a pass does not read and parse every pending
   * row again (issue #12: up to 500 per wake), nor read back the one it was just told of.
   */
  deliveryStored(deliveryId: string, delivery?: Pick<NewDelivery, 'normalized' | 'receivedAt'>): void
  /**
   * A pending delivery was queued for its commit (SQLite, store.onDeliveryQueued): routed now, its plan written
   * `ifStored` so it joins the delivery's own commit, one writer round trip and a turn sooner (issue #12).
   * deliveryStored then finds it planned; a plan that missed the commit wrote nothing, and is routed as usual.
   */
  deliveryQueued(deliveryId: string, delivery: Pick<NewDelivery, 'normalized' | 'receivedAt'>): void
  /** Run every step that is due now, repeatedly, until nothing is due and nothing runs. */
  drain(): Promise<void>
  /** The template's report; false when no build of Tamer's has that DELIVERY_ID on that job. */
  callback(body: CallbackBody): Promise<boolean>
  stop(): Promise<void>
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { config, store, logger } = deps
  /** Each delivery's route line: no child per delivery, no key redaction (its keys hold no secret). */
  const routeLine = plainLineLogger(logger)
  const now = deps.now ?? Date.now
  const timers = deps.timers ?? realTimers
  const buildChanged = deps.buildChanged ?? (() => {})
  const j = config.jenkins
  const api = deps.api !== undefined ? deps.api : jenkinsApiFromConfig(j, { mask: maskOf(config) })
  const provisioner = api ? createProvisioner(api, deps.templatesDir) : null
  const settings = { ...planSettings(config, deps.changedFiles ?? noChangedFiles), jenkinsConfigured: api !== null }
  const limit = deps.concurrency ?? 32
  const stepDeps: StepDeps | null =
    api && provisioner
      ? {
          store,
          api,
          provisioner,
          now,
          logger,
          buildFinished: deps.buildFinished ?? (() => {}),
          buildChanged,
          retryBaseMs: j.retryBaseMs,
          retryMaxMs: j.retryMaxMs,
          pollInitialMs: j.pollInitialMs,
          pollMaxMs: j.pollMaxMs,
          quietPeriodMs: j.quietPeriodSec * 1000,
          uncertainGraceMs: j.uncertainGraceMs,
          requestTimeoutMs: j.requestTimeoutMs,
          mask: settings.mask,
          settings: deps.settings,
          jobContext: deps.jobContext,
        }
      : null

  const leases = deps.leases && store.sharedWork ? deps.leases : null
  /** Leased work done: given back at once (a failed route keeps its lease: retried once this replica is gone). */
  const release = (kind: 'delivery' | 'build', id: string) =>
    leases
      ? store
          .releaseWork(kind, id, leases.owner)
          .catch((err: unknown) => logger.warn({ err, id }, 'lease not released'))
      : undefined

  const busy = new Set<string>()
  const running = new Set<Promise<void>>()
  /** Build steps running (routes are not counted): at most `limit` talk to Jenkins at once. */
  const stepping = new Set<string>()
  /**
   * Builds a route just planned, oldest first, waiting for a step slot. A burst's routes used to start
   * every trigger at once (hundreds of requests to Jenkins, the later ones seconds late, issue #12).
   */
  const ready: { b: BuildRecord; intent: boolean; held: boolean }[] = []
  const waiting = new Set<string>()
  let timer: unknown = null
  let stopped = false
  /**
   * Whether the next shared pass claims builds: every wake but a stored delivery's. Builds become due when a route
   * or a step ends, at a retry's time or on a callback, each of which wakes; a pass for a stored delivery claimed
   * builds only to race the replica whose route had just planned them (empty claims, issue #16).
   */
  let claimBuilds = true
  /** When the next build falls due, as the last claim of builds or a step since said (Infinity: at the poll). */
  let buildsNextAt = Infinity
  /** Whether the last claim of builds took all it asked for (or none was made, every slot taken): more may be due. */
  let moreDue = false
  /**
   * Shared work: a build's step ended (its record as the step left it). A claim follows only when something may be
   * due now: this build (a queue item that became a run), or more than the last claim could take. Else its next
   * attempt is when to look (every step's end used to claim, empty as a rule with two replicas; issue #16).
   */
  const stepEnded = (b: BuildRecord) => {
    if (stopped) return
    const active = (ACTIVE_BUILD_STATES as readonly string[]).includes(b.state)
    const at = active ? (b.nextAttemptAt ?? 0) : Infinity
    if (moreDue || at <= now()) claimBuilds = true
    else if (at < buildsNextAt) buildsNextAt = at
    schedulePass()
  }
  /** Deliveries told of since the last pass: routed from memory while few wait, by id past that. */
  let fresh: { id: string; delivery?: RoutableDelivery }[] = []
  /**
   * Whether the next pass scans the store for pending deliveries: at start (a restart resumes what
   * was stored and not routed) and while a scan finds a full page. The signal is the fast path; the
   * scan is the one that cannot miss (a route that failed is retried by the scan after a restart).
   */
  let scan = true
  /** Shared work: the pending deliveries this process stores are held by it from their commit (start()). */
  let holdingStored = false
  const SCAN_PAGE = 500
  /** Past this many ids waiting, they are dropped and the store scanned instead (memory stays bounded). */
  const MAX_TOLD = 10_000
  /** Past this many waiting, only the id is kept (events can be megabytes) and the delivery is read back. */
  const MAX_KEPT = 256
  /** Past this many planned builds waiting for a slot, the oldest are left to the passes (due in the store). */
  const MAX_READY = 10_000

  /** A step's slot, given back when it is done with Jenkins or when it ends (the build stays busy until then). */
  const freeSlot = (key: string) => {
    if (stepping.delete(key)) stepReady()
  }
  /** `then`: what looks next once the work ended (default: a pass that claims builds too). */
  const launch = (key: string, work: () => Promise<void>, isStep = false, then: () => void = wake): Promise<void> => {
    busy.add(key)
    if (isStep) stepping.add(key)
    const p = work()
      .catch((err: unknown) => logger.error({ err, key }, 'pipeline step failed'))
      .finally(() => {
        busy.delete(key)
        running.delete(p)
        if (isStep) freeSlot(key)
        if (!stopped) then()
      })
    running.add(p)
    return p
  }

  /** Starts waiting builds while a step slot is free. */
  const stepReady = () => {
    while (!stopped && stepping.size < limit && ready.length > 0) {
      const { b, intent, held } = ready.shift()!
      waiting.delete(b.id)
      // `held`: under this replica's lease from its plan (shared work), given back once its trigger is done.
      if (busy.has(b.id)) {
        if (held) void release('build', b.id)
        continue
      }
      if (held)
        launch(
          b.id,
          () => send(b, true).finally(() => release('build', b.id)),
          true,
          () => stepEnded(b),
        )
      else launch(b.id, () => (intent ? send(b) : step(b)), true)
    }
  }

  const timed = async (name: string, retry: boolean, work: () => Promise<void>) => {
    const started = performance.now()
    let outcome: 'ok' | 'error' = 'error'
    try {
      await work()
      outcome = 'ok'
    } finally {
      deps.stepDone?.(name, outcome, (performance.now() - started) / 1000, retry)
    }
  }

  /** One build's step: its own log bindings, and its slot given back once Jenkins answered. */
  const stepDepsOf = (base: StepDeps, b: BuildRecord): StepDeps => ({
    ...base,
    logger: lazyChild(logger, { buildId: b.id }),
    doneWithJenkins: () => freeSlot(b.id),
  })

  const step = async (snapshot: BuildRecord, claimed = false) => {
    if (!stepDeps) return
    // A pass's list can be a moment old; the step works on what the store says now (a row just claimed, under
    // this replica's lease, is what the store says: its claim returned it).
    const b = claimed ? snapshot : await store.getBuild(snapshot.id)
    if (!b || !(ACTIVE_BUILD_STATES as readonly string[]).includes(b.state)) return
    if ((b.nextAttemptAt ?? 0) > now()) return
    const d = stepDepsOf(stepDeps, b)
    if (b.state === 'queued') return timed('follow-queue', false, () => followQueueStep(d, b))
    if (b.state === 'running') return timed('follow-build', false, () => followBuildStep(d, b))
    return timed('trigger', b.state === 'waiting-for-jenkins', () => triggerStep(d, b))
  }

  /**
   * A build whose intent its plan or its claim committed: straight to the request (a restart, or another replica
   * once the lease ended, finds it 'triggering', uncertain). A claim's intent is written again first if the
   * request leaves more than a moment after it (steps.ts INTENT_FRESH_MS).
   */
  const send = async (b: BuildRecord, claimed = false) => {
    if (!stepDeps) return
    const o = { intentCommitted: true, intentClaimed: claimed }
    return timed('trigger', false, () => triggerStep(stepDepsOf(stepDeps, b), b, o))
  }

  /**
   * Shared work: a claim writes the trigger's intent of the pending builds it takes (store/leases.ts ClaimIntent),
   * unless the settings check cannot say which templates it reads (then every trigger's checks run in its step).
   */
  const claimIntent = (): ClaimIntent | undefined => {
    if (deps.settings && !deps.settings.templates) return undefined
    return { at: now(), exceptTemplates: deps.settings?.templates ?? [] }
  }

  /**
   * The trigger's intent goes into the plan's commit when nothing has to be checked before it: Jenkins is
   * configured and the template reads no repository settings. The store leaves it out when an earlier build of
   * the job is held at the commit (push order through an outage: the build is planned pending, and its trigger
   * step decides, steps.ts notOvertaking). On shared work the plan's lease holds those builds for this replica
   * (DeliveryPlan.lease), which sends them as a claim's intents are sent.
   */
  const withIntents = (plan: DeliveryPlan): Set<string> => {
    const ids = new Set<string>()
    if (!stepDeps) return ids
    const at = now()
    if (leases) plan.lease = leases.lease()
    plan.builds = plan.builds.map((b) => {
      if (b.state !== 'pending' || b.started || deps.settings?.reads(b)) return b
      const id = randomUUID()
      ids.add(id)
      return { ...b, intent: { id, at } }
    })
    return ids
  }

  /**
   * A route that throws (a poison delivery) is counted on the delivery and tried again after a backoff, until
   * pipeline.maxRouteAttempts: then it is `failed`, a dead letter, and holds nothing up (issue #16). On shared
   * work the row is parked (no owner, unclaimable until the backoff ends), so any replica may take the retry.
   */
  const failedRoutes = new Map<string, number>()
  const route = (d: RoutableDelivery) =>
    timed('route', false, async () => void (await routeOnce(d))).catch(async (err: unknown) => {
      const log = lazyChild(logger, { deliveryId: d.id })
      const message = maskOf(config)(String((err as Error)?.message ?? err)).slice(0, 1000)
      // The backoff from this process's count (the store's is the one that decides when to give up).
      const wait = backoffMs(
        { retryBaseMs: j.retryBaseMs, retryMaxMs: j.retryMaxMs },
        (failedRoutes.get(d.id) ?? 0) + 1,
      )
      const r = await store.routeFailed(d.id, message, config.pipeline.maxRouteAttempts, now() + wait)
      if (!r || r.failed) failedRoutes.delete(d.id)
      else failedRoutes.set(d.id, r.attempts)
      if (!r) return
      if (r.failed) return log.error({ err, attempts: r.attempts }, 'delivery failed to route; a dead letter now')
      log.warn({ err, attempts: r.attempts }, 'delivery failed to route; will retry')
      // Shared work: the row is parked until then; whichever replica claims it next routes it.
      if (leases) return
      timers.set(() => {
        if (stopped) return
        fresh.push({ id: d.id })
        wake()
      }, wait)
    })
  const routeOnce = async (d: RoutableDelivery): Promise<boolean> =>
    writePlan(d.id, (await routeDelivery(d, settings)).plan, false)
  /**
   * A job this process has not provisioned yet is made ready while its plan commits: a trigger cannot leave before
   * its job exists, and the first burst of a new job (or of a restarted process) waited for that after the commit
   * (issue #12). A few at once, outside the step slots; the trigger's own ensure joins one under way and reports
   * what failed. On shared work too: the replica that plans a build sends it (DeliveryPlan.lease).
   */
  let preparing = 0
  const MAX_PREPARING = 4
  const prepareJobs = (builds: PlannedBuild[]) => {
    if (!stepDeps) return
    for (const b of builds) {
      const template = b.template
      if (b.state !== 'pending' || b.started || !template || preparing >= MAX_PREPARING) continue
      if (!stepDeps.provisioner.unseen(b.job)) continue
      preparing++
      void (async () => stepDeps.provisioner.ensure(b.job, template, await deps.jobContext?.(b)))()
        .catch((err: unknown) => logger.debug({ err, job: b.job }, 'job not provisioned ahead; its trigger tries'))
        .finally(() => preparing--)
    }
  }

  /** Returns false when a plan `ifStored` found its delivery not stored (nothing written). */
  const writePlan = async (deliveryId: string, plan: DeliveryPlan, ifStored: boolean): Promise<boolean> => {
    prepareJobs(plan.builds)
    const intents = withIntents(plan)
    if (ifStored) plan.ifStored = true
    // A pass may read them as due the moment the writer commits, before this route hears back: they are its to send.
    for (const id of intents) waiting.add(id)
    let builds: BuildRecord[]
    try {
      builds = await store.planDelivery(plan)
    } catch (err) {
      for (const id of intents) waiting.delete(id)
      if (ifStored && err instanceof DeliveryNotStoredError) return false
      throw err
    }
    failedRoutes.delete(deliveryId)
    for (const b of builds) buildChanged(b.id)
    // No rule matched: at debug, since the delivery's dispatch record (its console page) keeps the outcome and the
    // line was half of what each such delivery logged (issue #12).
    const level = plan.outcome === 'no rule matched' ? 'debug' : 'info'
    routeLine[level]({ deliveryId, outcome: plan.outcome, builds: builds.length }, `delivery routed: ${plan.outcome}`)
    // Straight on to the trigger when a step slot is free, without waiting for a pass to read the build again.
    // Only the builds this plan inserted with their intent are sent as such (a plan made again returns the
    // builds of the first, whose trigger may be out already). Shared work: only those, held under the plan's
    // lease; the rest go to whichever replica claims them first (this one looks when the route ends). The plan's
    // commit ended the lease on the delivery.
    for (const id of intents) waiting.delete(id)
    for (const b of builds) {
      const intent = intents.has(b.id) && b.state === 'triggering'
      if (leases && !intent) {
        // Left to the claims (the other replicas were told): this one's next pass claims too.
        if ((ACTIVE_BUILD_STATES as readonly string[]).includes(b.state)) claimBuilds = true
        continue
      }
      if ((intent || b.state === 'pending') && !busy.has(b.id) && !waiting.has(b.id)) {
        ready.push({ b, intent, held: leases !== null })
        waiting.add(b.id)
      } else if (leases) void release('build', b.id)
    }
    // Past the cap the oldest are left to the passes: they are due in the store (an intent as an uncertain trigger,
    // a held one once given back).
    if (ready.length > MAX_READY)
      for (const { b, held } of ready.splice(0, ready.length - MAX_READY)) {
        waiting.delete(b.id)
        if (held) void release('build', b.id)
      }
    stepReady()
    return true
  }

  /**
   * Early routes (deliveryQueued) by delivery id, each resolving once it ended: whether its plan was written. Its
   * failures are left to the route after the commit, which counts them (a poison delivery, issue #16).
   */
  const early = new Map<string, Promise<boolean>>()
  const routeEarly = async (id: string, queued: { d: RoutableDelivery | null }): Promise<boolean> => {
    const started = performance.now()
    try {
      const planned = await writePlan(id, await planOf(queued), true)
      if (planned) deps.stepDone?.('route', 'ok', (performance.now() - started) / 1000, false)
      return planned
    } catch (err) {
      logger.debug({ err, deliveryId: id }, 'early route failed; routed again once the delivery is committed')
      return false
    }
  }
  /**
   * An early route's plan, its events let go once it is made: the plan's commit is the delivery's, and the events
   * held until it answered (a 1 MB push's ~26,000 paths) were copied by every scavenge meanwhile (issue #12).
   */
  const planOf = async (queued: { d: RoutableDelivery | null }) => {
    const d = queued.d!
    queued.d = null
    return (await routeDelivery(d, settings)).plan
  }

  /** A delivery told of by id: routed as the store has it now (skipped once it is no longer pending). */
  const routeById = async (id: string) => {
    const d = await store.getDelivery(id)
    if (d && d.status === 'pending') await route(d)
  }

  /** Routes the deliveries told of (deliveryStored): at most a scan page at once; the rest wait for the next pass. */
  function launchTold(): number {
    let launched = 0
    const room = Math.max(0, SCAN_PAGE - busy.size)
    const told = fresh.splice(0, room)
    for (const { id, delivery } of told) {
      if (busy.has(id)) continue
      // A delivery routed already (e.g. by a scan) is planned once: the plan's write is a no-op then.
      launch(id, () => (delivery ? route(delivery) : routeById(id)), false, schedulePass)
      launched++
    }
    return launched
  }

  /** A pass on shared work: claim pending deliveries and due builds, run them, give each back when done. */
  async function sharedPass(keeper: LeaseKeeper): Promise<number> {
    // A pass that claims no builds keeps the time the last claim gave (a retry due soon is not pushed to the poll).
    let next = buildsNextAt
    try {
      return await sharedClaims(keeper, (at) => (next = buildsNextAt = at))
    } finally {
      // Polling is the fallback for wake-ups that never came (LISTEN down, a replica killed mid-route), and it
      // follows a pass whose claim failed too: when that pass was the poll's own, nothing else may wake us.
      const poll = now() + keeper.leaseMs
      if (timer !== null) timers.clear(timer)
      timer = stopped
        ? null
        : timers.set(
            () => {
              timer = null
              if (next > poll) scan = true
              wake()
            },
            Math.max(0, Math.min(next, poll) - now()),
          )
    }
  }

  /** Claims pending deliveries and due builds and launches them; tells when the next build falls due. */
  async function sharedClaims(keeper: LeaseKeeper, nextAt: (at: number) => void): Promise<number> {
    let launched = 0
    if (scan) {
      // Taken before the claim, not set from its answer: a delivery stored while the claim is under way sets it
      // again, and its pass (queued behind this one) must claim (bench:load saw 58 wait for the poll, 8 s).
      scan = false
      const room = Math.max(0, SCAN_PAGE - busy.size)
      const claimed =
        room > 0
          ? await store.claimPendingDeliveries(keeper.lease(), room).catch((err: unknown) => {
              scan = true
              throw err
            })
          : []
      if (room > 0) deps.claimed?.('deliveries', claimed.length)
      // A full page (or no room) may leave more behind.
      if (claimed.length === room) scan = true
      for (const d of claimed) {
        if (busy.has(d.id)) continue
        launch(d.id, () => route(d), false, schedulePass)
        launched++
      }
    }
    // The deliveries this replica stored and holds (holdStoredDeliveries).
    launched += launchTold()
    // Every slot taken: no claim (it read the due builds only to say when the next falls due, a statement per wake
    // with two replicas, issue #16); the next step to end wakes a pass that claims.
    if (stepDeps && stepping.size < limit && claimBuilds) {
      claimBuilds = false
      // Only build steps take the slots: counting the routes too (up to a scan page of them in a burst) could
      // leave none for a planned build while routes were under way (test/pipeline/shared-slots.test.ts).
      const slots = limit - stepping.size
      const claimed = await store.claimDueBuilds(keeper.lease(), slots, claimIntent()).catch((err: unknown) => {
        claimBuilds = true
        throw err
      })
      deps.claimed?.('builds', claimed.due.length)
      moreDue = claimed.due.length >= slots
      nextAt(claimed.nextAt ?? Infinity)
      const due = claimed.due
      for (const b of due) {
        const intent = claimed.intents?.has(b.id) === true
        if (intent) buildChanged(b.id)
        // Claimed while its last step here is still ending (its release landed first): given back, or the
        // heartbeat would renew a lease nobody works under, and nobody could claim the build again. An intent so
        // given back is an uncertain trigger: the next claim looks for it in Jenkins before sending it.
        if (busy.has(b.id)) {
          void release('build', b.id)
          continue
        }
        launch(
          b.id,
          () => (intent ? send(b, true) : step(b, true)).finally(() => release('build', b.id)),
          true,
          () => stepEnded(b),
        )
        launched++
      }
    }
    return launched
  }

  async function pass(): Promise<number> {
    if (leases) return sharedPass(leases)
    let launched = 0
    if (scan) {
      scan = false // taken before the read, as in sharedClaims
      const pending = await store.pendingDeliveries(SCAN_PAGE).catch((err: unknown) => {
        scan = true
        throw err
      })
      // A full page may leave more behind: the pass after the next finished route scans again.
      if (pending.length === SCAN_PAGE) scan = true
      for (const d of pending) {
        if (busy.has(d.id)) continue
        launch(d.id, () => route(d), false, schedulePass)
        launched++
      }
    }
    launched += launchTold()
    if (!stepDeps) return launched
    // Every slot taken, or builds just planned waiting for one: the next finished step starts one, and its wake
    // brings the pass that reads what else is due (every pass read limit + busy rows, issue #12).
    if (stepping.size >= limit || ready.length > 0) return launched
    const t = now()
    // Builds being stepped are in the answer too, so ask for that many more.
    const { due, nextAt } = await store.dueBuilds(t, limit + stepping.size)
    const next = nextAt ?? Infinity
    for (const b of due) {
      if (busy.has(b.id) || waiting.has(b.id)) continue
      // More is due than may run at once: the pass after the next finished step takes it.
      if (stepping.size >= limit) break
      launch(b.id, () => step(b), true)
      launched++
    }
    if (timer !== null) timers.clear(timer)
    timer =
      Number.isFinite(next) && !stopped ? timers.set(() => ((timer = null), wake()), Math.max(0, next - now())) : null
    return launched
  }

  const passes = serialPasses(
    pass,
    (err) => logger.error({ err }, 'pipeline pass failed'),
    () => stopped,
  )
  const runPass = passes.run

  const coalesceMs = deps.wakeCoalesceMs ?? (deps.timers ? 0 : 10)
  let wakeScheduled = false
  function wake(): void {
    claimBuilds = true
    schedulePass()
  }
  function schedulePass(): void {
    if (stopped) return
    if (coalesceMs === 0) return void runPass()
    if (wakeScheduled) return
    wakeScheduled = true
    timers.set(() => {
      wakeScheduled = false
      if (!stopped) void runPass()
    }, coalesceMs)
  }

  function deliveryStored(deliveryId: string, delivery?: Pick<NewDelivery, 'normalized' | 'receivedAt'>): void {
    if (stopped) return
    // Shared work: held by this replica from its commit (holdStoredDeliveries), it is routed as one process routes
    // what it stored; else any replica may route it, and this one's next pass claims it with the others pending.
    if (leases && !holdingStored) return void ((scan = true), schedulePass())
    // Routed early (deliveryQueued): planned in its commit, or routed now as below once that route has ended.
    const routing = early.get(deliveryId)
    if (routing) {
      early.delete(deliveryId)
      return void routing.then((planned) => planned || deliveryStored(deliveryId, delivery))
    }
    // Routed at once while there is room: a wake waits for its timer and a pass, a turn of a busy event
    // loop each, before the route even starts (issue #12). The pass still takes what waits past the room.
    if (delivery && fresh.length === 0 && busy.size < SCAN_PAGE) {
      const d = { id: deliveryId, normalized: delivery.normalized, receivedAt: delivery.receivedAt }
      // After the caller's turn (intake answers first); busy from now, so a pass's scan skips it.
      busy.add(deliveryId)
      return queueMicrotask(() => {
        busy.delete(deliveryId)
        if (!stopped && !busy.has(deliveryId)) launch(deliveryId, () => route(d), false, schedulePass)
      })
    }
    if (fresh.length < MAX_TOLD)
      fresh.push({
        id: deliveryId,
        ...(delivery && fresh.length < MAX_KEPT
          ? { delivery: { id: deliveryId, normalized: delivery.normalized, receivedAt: delivery.receivedAt } }
          : {}),
      })
    else {
      // Held ones are given back first: the scan claims only what nobody holds.
      if (leases) for (const { id } of fresh) void release('delivery', id)
      fresh = []
      scan = true
    }
    // A stored delivery makes no build due (its plan does): a pass that routes it.
    schedulePass()
  }

  return {
    api,
    provisioner,
    start() {
      if (!api) logger.warn('no Jenkins configured (TAMER_JENKINS_URL): builds are routed and recorded, not triggered')
      // Shared work: what this replica stores, it routes (the others are not woken for it; issue #16).
      if (leases && store.holdStoredDeliveries) {
        store.holdStoredDeliveries(() => leases.lease())
        holdingStored = true
      }
      wake()
    },
    wake,
    rescan() {
      scan = true
      wake()
    },
    deliveryStored,
    deliveryQueued(deliveryId, delivery) {
      // Shared work is claimed from the store; a delivery already under way or no room: the usual path.
      if (stopped || leases || busy.has(deliveryId) || busy.size >= SCAN_PAGE) return
      // One whose deliveryStored never came (stored by a caller that tells no one) is forgotten, oldest first.
      if (early.size >= MAX_TOLD) early.delete(early.keys().next().value!)
      const queued = { d: { id: deliveryId, normalized: delivery.normalized, receivedAt: delivery.receivedAt } }
      let planned = false
      // Resolves once the route ended and left `busy`, so a fallback to the usual path is not skipped as busy.
      const done = launch(deliveryId, async () => void (planned = await routeEarly(deliveryId, queued))).then(
        () => planned,
      )
      early.set(deliveryId, done)
      void done.then((ok) => {
        if (!ok && early.get(deliveryId) === done) early.delete(deliveryId)
      })
    },
    async drain() {
      for (let round = 0; round < 1000; round++) {
        await passes.current()
        if (running.size > 0) {
          await Promise.all([...running])
          continue
        }
        // Whatever is due now, builds too (a clock moved by a test announces nothing).
        claimBuilds = true
        const launched = await runPass()
        if (launched === 0 && running.size === 0 && !passes.current()) return
      }
      throw new Error(
        'bug: the pipeline did not settle in 1000 passes (drain is for tests; a pass keeps finding new work)',
      )
    },
    async callback(body) {
      const b = await store.findBuildByDeliveryParam(body.job, body.delivery_id)
      if (!b) return false
      const report: CallbackReport = {
        result: body.result ?? null,
        failedStage: body.failed_stage ?? null,
        durationMs: body.duration_ms ?? null,
        at: new Date(now()).toISOString(),
      }
      // The report comes from the post block, while the build is still running: it
      // speeds up polling, it does not finish the build (only building:false does).
      // A build number Tamer did not know is a second run of this DELIVERY_ID (e.g. a human re-ran it): recorded, so it
      // shows.
      const ownQueueItem = b.buildNumber === body.build_number || (b.state === 'queued' && b.buildNumber === null)
      const run =
        typeof body.build_number === 'number'
          ? [
              {
                queueId: ownQueueItem ? b.queueId : null,
                buildNumber: body.build_number,
                buildUrl: body.build_url ?? null,
                source: 'callback' as const,
              },
            ]
          : []
      await store.updateBuild(b.id, {
        callback: report,
        runs: run,
        ...(report.failedStage ? { failingStage: report.failedStage } : {}),
        ...(b.state === 'queued' && typeof body.build_number === 'number'
          ? { state: 'running' as const, buildNumber: body.build_number }
          : {}),
        ...(b.state === 'queued' || b.state === 'running' ? { nextAttemptAt: now() } : {}),
      })
      buildChanged(b.id)
      wake()
      return true
    },
    async stop() {
      stopped = true
      if (timer !== null) timers.clear(timer)
      timer = null
      await passes.current()
      await Promise.all([...running])
    },
  }
}
