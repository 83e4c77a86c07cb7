// The composition root: the one place the service is put together, for `tamer serve` and for the
// tests alike (tests pass fakes through `io`, never by patching what is built here). Who wakes
// whom is written down here and nowhere else:
//   deliveryStored (intake, after the commit) → the pipeline routes it; precompute diffs its pushes
//   buildFinished (the pipeline's step that writes a build's end) → the notifier decides and sends
//   buildChanged (any write of a build by the pipeline) → the reporter posts commit statuses and the PR comment;
//     the console's open build pages are told (their event streams read the build again)
// Each unit also finds its work by scanning the store, so a missed signal delays, never loses.
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from '../app.js'
import type { Config } from '../config/schema.js'
import { createDiffPrecompute, type DiffPrecompute } from '../diffs/precompute.js'
import { createSharedDiffPrecompute } from '../diffs/shared-precompute.js'
import { diffWorkers, serverDiffEngine } from '../diffs/engine.js'
import { perTenantSlots } from '../diffs/fair-engine.js'
import { createPushDiffRetention, type PushDiffRetention } from '../diffs/retention.js'
import { pushDiffServiceFromConfig, pushEventsOf, type PushDiffService } from '../diffs/service.js'
import { mirrorCacheFromConfig, type MirrorCache } from '../git/mirror.js'
import { createApiAuth } from '../http/auth.js'
import { diffLinksFromConfig } from '../links/diff-links.js'
import { jenkinsApiFromConfig, type JenkinsApi } from '../jenkins/client.js'
import { createLogger } from '../logging.js'
import { createServiceMetrics, type ServiceMetrics } from '../observability/metrics.js'
import type { DiffEngine } from '../engines/engine.js'
import type { ChannelRegistry } from '../notify/channels/index.js'
import { pushDiffSummary, type NotebookSummarySource } from '../notify/notebook-summary.js'
import { createNotifier, type Notifier } from '../notify/notifier.js'
import { gitChangedFiles, type ChangedFilesSource } from '../pipeline/changed-files.js'
import { createPipeline, type Pipeline } from '../pipeline/index.js'
import { createMetricsGate } from '../metrics/gate.js'
import type { Verdict } from '../metrics/evaluate.js'
import type { ParityResult } from '../parity/result.js'
import { metricChart } from '../metrics/chart-data.js'
import type { Timers } from '../work/timers.js'
import { createProviders } from '../providers/index.js'
import { hostRegistryFromConfig, type HostRegistry } from '../reporting/hosts.js'
import { pushNotebookDiffs } from '../reporting/notebook-diffs.js'
import { createReporter, type Reporter } from '../reporting/reporter.js'
import { maskOf, secretValues } from '../security/secrets.js'
import type { ServiceStore } from '../store/service-store.js'
import { openStore } from '../store/open.js'
import type { NewDelivery } from '../store/store.js'
import { signal, type Signal } from '../work/signal.js'
import { createBranchTracker, jobContexts, type BranchTracker } from '../pipeline/branches.js'
import type { RepositoryKey } from '../store/branches.js'
import { adoptManualBuild, requestRun } from '../pipeline/runs.js'
import { createScheduler, schedulesOf, type Scheduler } from '../pipeline/schedules.js'
import { realTimers } from '../work/timers.js'
import { createLeaseKeeper } from '../store/lease-keeper.js'
import { createBuildFeed } from '../console/build-feed.js'
import { createSignoffLinks } from '../links/signoff-links.js'
import { signoffLine } from '../notify/signoff-state.js'
import { createSignoffService, type SignoffService } from '../signoff/service.js'
import { withoutUrlCredentials } from '../security/url-credentials.js'
import { isCompacted } from '../events/compact.js'

/** What tests (or another host process) may replace; every field has the production default. */
export interface ServiceIo {
  /** Default: JSON lines to stdout at server.logLevel, the config's secrets masked. */
  logger?: Logger
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number
  /** Default real timers; `manualTimers`: nothing waits for real, tests drain() by hand. */
  timers?: Timers
  /** Default <dataDir>/tamer.db, opened here and closed by close(); a store given here is the caller's to close. */
  store?: ServiceStore
  /** Default from jenkins.* (null without a URL: builds are routed and recorded, not triggered). */
  jenkins?: JenkinsApi | null
  /** Where rules with path globs get changed files the host did not list (default: git, through the mirrors). */
  changedFiles?: ChangedFilesSource
  /** Default <dataDir>/mirrors with git.* (configured hosts, credentials, protocols). */
  mirrors?: MirrorCache
  /** Default diffs.engine in worker threads, time-limited, tenants queued fairly (closed by close()). */
  diffEngine?: DiffEngine
  /** Default from notifications.*. */
  channels?: ChannelRegistry
  /** The notebook part of a notice (default: from the push diffs). */
  notebookSummary?: NotebookSummarySource
  /** How often the notifier also scans for finished builds with real timers (default 10 s). */
  notifierScanEveryMs?: number
  /**
   * Units built (their routes answer) but neither started nor subscribed to signals: for the
   * tests of intake and the API, which look at what was stored before anything routes or sends it.
   */
  hold?: readonly ('pipeline' | 'notifier' | 'reporter')[]
  /** Where commit statuses and PR comments go (default: reporting.hosts). */
  hosts?: HostRegistry
  /** How often the reporter also scans active builds with real timers (default 30 s). */
  reporterScanEveryMs?: number
  /** Where the job templates are read from; the project's jenkinsfiles/ by default. */
  templatesDir?: string
}

export interface ServiceSignals {
  /** A new delivery is committed (not told of duplicates). */
  deliveryStored: Signal<[deliveryId: string, delivery: NewDelivery]>
  /** A build's end is written: finished, cancelled, lost or refused (the notifier acts on finished ones). */
  buildFinished: Signal<[buildId: string]>
  /** A build was planned or any of its fields written (state, Jenkins' numbers, results). */
  buildChanged: Signal<[buildId: string]>
}

export interface Service {
  config: Config
  app: FastifyInstance
  store: ServiceStore
  logger: Logger
  signals: ServiceSignals
  pipeline: Pipeline
  notifier: Notifier
  reporter: Reporter
  pushDiffs: PushDiffService
  /** null when diffs.precompute is off. */
  precompute: DiffPrecompute | null
  /** Sign-off through Tamer (issue #15). */
  signoff: SignoffService
  /** The branch registry (issue #14) and the schedules' runs. */
  branches: BranchTracker
  scheduler: Scheduler
  retention: PushDiffRetention
  /** The Prometheus metrics (GET /metrics), told by each unit through the callbacks given here. */
  metrics: ServiceMetrics
  /** Starts everything (app.ready) and listens on server.host:server.port. */
  listen(): Promise<string>
  /**
   * The first half of a graceful stop (SIGTERM): /readyz answers 503 at once, requests are still served
   * for server.drainDelayMs (load balancers take the instance out), then close() finishes the rest.
   */
  drain(): Promise<void>
  /** Stops the units and the app, then closes what was opened here (the store, the diff engine). */
  close(): Promise<void>
}

export async function composeService(config: Config, io: ServiceIo = {}): Promise<Service> {
  const logger = io.logger ?? createLogger(config.server.logLevel, undefined, { secrets: secretValues(config) })
  const now = io.now ?? Date.now
  const store = io.store ?? (await openStore(config))
  const onSignalError = (name: string) => (err: unknown) =>
    logger.error({ err, signal: name }, 'a signal listener failed')
  const signals: ServiceSignals = {
    deliveryStored: signal(onSignalError('deliveryStored')),
    buildFinished: signal(onSignalError('buildFinished')),
    buildChanged: signal(onSignalError('buildChanged')),
  }
  // Each unit tells what it did through a callback given here; the queues are read on each scrape.
  const metrics = createServiceMetrics({ store, now })
  let draining = false
  const mirrors = io.mirrors ?? mirrorCacheFromConfig(config, resolve(config.dataDir, 'mirrors'))
  // Native diffs run in worker threads here (a big notebook must not stall webhook intake).
  let ownEngine: { close(): Promise<void> } | null = null
  let diffEngine = io.diffEngine
  if (!diffEngine) {
    const made = await serverDiffEngine(config)
    if (made.notice) logger.warn(made.notice)
    diffEngine = made.engine
    ownEngine = made.engine
  }
  logger.info({ engine: diffEngine.name }, 'notebook diff engine')
  // One service for pages, precompute and notices: each push is diffed once and stored.
  const pushDiffs = pushDiffServiceFromConfig(config, {
    mirrors,
    engine: diffEngine,
    store,
    logger,
    made: (outcome, seconds, bytes) => metrics.diff(outcome, seconds, bytes),
  })
  const retention = createPushDiffRetention({ store, days: config.diffs.storeDays, logger })

  const metricsGate = createMetricsGate({ config, store, mirrors, logger })
  // A job's BRANCH choices and defaults for the repository it builds (issue #14).
  const jobContextOf = jobContexts({
    store,
    maxChoices: config.branches.maxChoices,
    publicUrl: config.jenkins.publicUrl,
    remoteOf: (k: RepositoryKey) => {
      try {
        return mirrors.remoteOf({ ...k, repository: { fullName: k.repository, cloneUrl: { https: null, ssh: null } } })
      } catch {
        return null
      }
    },
  })
  // Shared work (PostgreSQL, issue #16): this replica's claims, kept alive by a heartbeat, given back at shutdown.
  const leases = store.sharedWork
    ? createLeaseKeeper({
        store,
        now,
        leaseMs: config.store.postgres.leaseMs,
        logger: logger.child({ unit: 'leases' }),
      })
    : undefined
  const workers = diffWorkers(config)
  const precomputeDeps = {
    service: pushDiffs,
    deliveries: store,
    logger,
    concurrency: workers,
    perTenant: perTenantSlots(workers),
  }
  // Replicas sharing a store share the queue too (leased jobs); one process keeps it in memory.
  const sharedPrecompute =
    config.diffs.precompute && leases && store.diffJobs
      ? createSharedDiffPrecompute({ ...precomputeDeps, jobs: store.diffJobs, leases })
      : null
  const precompute: DiffPrecompute | null =
    sharedPrecompute ?? (config.diffs.precompute ? createDiffPrecompute(precomputeDeps) : null)
  const pipeline = createPipeline({
    leases,
    jobContext: async (b) =>
      b.repository === null
        ? undefined
        : jobContextOf({ tenant: b.tenant, provider: b.provider, repository: b.repository }, b.branch),
    config,
    settings: metricsGate,
    store,
    logger,
    now,
    timers: io.timers,
    api:
      io.jenkins !== undefined
        ? io.jenkins
        : jenkinsApiFromConfig(config.jenkins, {
            observe: (op, outcome, s) => metrics.request('jenkins', op, outcome, s),
            mask: maskOf(config),
          }),
    stepDone: (step, outcome, seconds, retry) => metrics.step(step, outcome, seconds, retry),
    claimed: (queue, rows) => metrics.claim(queue, rows),
    changedFiles: io.changedFiles ?? gitChangedFiles(mirrors, logger),
    templatesDir: io.templatesDir,
    buildFinished: (buildId) => signals.buildFinished.emit(buildId),
    buildChanged: (buildId) => signals.buildChanged.emit(buildId),
  })
  const notifier = createNotifier({
    leases,
    config,
    store,
    logger,
    now,
    timers: io.timers,
    channels: io.channels,
    notebookSummary: io.notebookSummary ?? pushDiffSummary(store, pushDiffs),
    scanEveryMs: io.notifierScanEveryMs,
    sent: (kind, outcome, s) => metrics.request(kind === 'email' ? 'smtp' : 'chat', kind, outcome, s),
    metrics: {
      verdictOf: async (b) => ((await store.latestMetricReport(b.id))?.verdict as Verdict | undefined) ?? null,
      recipientsOf: async (b) => (metricsGate.reads(b) ? (await metricsGate.settingsOf(b)).notifyTo : []),
      signoffsOf: async (b) => (await store.signoffsOfBuild(b.id)).map(signoffLine),
      parityOf: async (b) => ((await store.latestParityReport(b.id))?.result as ParityResult | undefined) ?? null,
      chartOf: async (b) => {
        if (!b.branch || !(await store.latestMetricReport(b.id))) return null
        const d = await store.getDelivery(b.deliveryId)
        const e = d?.normalized.kind === 'events' ? d.normalized.events[b.eventIndex] : undefined
        const repository = b.repository ?? e?.repository.fullName
        if (!repository) return null
        const { svg } = await metricChart(store, {
          tenant: b.tenant,
          repository,
          branch: b.branch,
          defaultBranch: e?.repository.defaultBranch ?? null,
        })
        return svg
      },
    },
  })

  // The branch registry and runs (issue #14): a run is stored like a delivery and told like one.
  // Branches appeared or disappeared: the repository's templated jobs get the new choice list.
  const rewriteJobs = async (k: RepositoryKey) => {
    const provisioner = pipeline.provisioner
    if (!provisioner) return
    const ctx = await jobContextOf(k, null)
    for (const { job, template } of await store.jobsOf(k))
      await provisioner
        .sync(job, template, ctx)
        .catch((err: unknown) =>
          logger.warn({ job, err: (err as Error).message }, 'rewriting the branch choices failed'),
        )
  }
  const branches = createBranchTracker({
    store,
    logger,
    mirrors,
    branchesChanged: (k) =>
      rewriteJobs(k).catch((err: unknown) => logger.error({ err }, 'rewriting the branch choices failed')),
    // One pass for the commits of 50 ms, not one per commit; nothing waits for it (a run or adopted build catches up).
    wakeCoalesceMs: io.timers ? 0 : 50,
  })
  const runDeps = { config, store, now, stored: (id: string, d: NewDelivery) => signals.deliveryStored.emit(id, d) }
  const runs = {
    sync: (k: Parameters<BranchTracker['sync']>[0]) => branches.sync(k),
    // The registry first takes every push stored so far, so a branch pushed a moment ago is known.
    run: async (t: Parameters<typeof requestRun>[1]) => (await branches.catchUp(), requestRun(runDeps, t)),
    adoptManual: async (r: Parameters<typeof adoptManualBuild>[1]) => (
      await branches.catchUp(),
      adoptManualBuild(runDeps, r)
    ),
  }
  const scheduler = createScheduler({
    schedules: schedulesOf(config),
    store,
    run: runs.run,
    logger,
    now,
    timers: io.timers,
  })
  const reporter = createReporter({
    leases,
    config,
    store,
    hosts: io.hosts ?? hostRegistryFromConfig(config, { logger }),
    links: diffLinksFromConfig(config, now),
    notebookDiffs: pushNotebookDiffs(store, pushDiffs),
    logger,
    now,
    timers: io.timers,
    scanEveryMs: io.reporterScanEveryMs,
    posted: (provider, outcome, s) => metrics.request('git-host', provider, outcome, s),
  })

  const buildFeed = createBuildFeed()
  // Sign-off through Tamer (issue #15): requests go out through the notifier's outbox; a decision that
  // settles a sign-off tells Jenkins at once, and a sweep retries what Jenkins did not take.
  const signoffLinks = createSignoffLinks({ secret: config.links.secret, publicUrl: config.jenkins.publicUrl, now })
  const signoff = createSignoffService({
    config,
    store,
    settingsOf: (b) => metricsGate.settingsOf(b),
    jenkins: pipeline.api,
    links: signoffLinks,
    logger: logger.child({ unit: 'signoff' }),
    now,
    timers: io.timers ?? realTimers,
    wakeNotifier: () => notifier.wake(),
    changed: (buildId) => signals.buildChanged.emit(buildId),
    channels: notifier.channels,
    secrets: secretValues(config),
  })

  const app = await buildApp({
    config,
    store,
    logger,
    now: () => new Date(now()),
    auth: createApiAuth(config.api.tokens, (hash) => store.findApiToken(hash)),
    providers: createProviders(config),
    pipeline,
    notifier,
    pushDiffs,
    links: diffLinksFromConfig(config, now),
    deliveryStored: (id, d) => signals.deliveryStored.emit(id, d),
    metricsGate,
    signoff: { service: signoff, links: signoffLinks },
    branches: runs,
    buildFeed,
    metrics,
    draining: () => draining,
  })

  // Who wakes whom.
  const held = new Set(io.hold ?? [])
  // A delivery's events as the store keeps them (both engines drop URL credentials), for the pipeline and the
  // branch registry, which take them from the signal instead of reading the delivery back; withoutUrlCredentials
  // remembers its answer per events object, so the store's cleaning and these are one walk.
  const storedEvents = (d: NewDelivery) => withoutUrlCredentials(d.normalized)
  if (!held.has('pipeline')) {
    signals.deliveryStored.on((id, d) => {
      // Routed from the events as stored (both stores drop URL credentials from them), not read back; intake's
      // are compacted by then (routed early, or else read back by id).
      if (d.status === 'pending')
        pipeline.deliveryStored(id, isCompacted(d.normalized) ? undefined : { ...d, normalized: storedEvents(d) })
    })
    // SQLite: routed as it is queued, so its plan shares the delivery's commit (issue #12).
    const unsubscribe = store.onDeliveryQueued?.((id, d) => {
      if (d.status === 'pending') pipeline.deliveryQueued(id, { ...d, normalized: storedEvents(d) })
    })
    if (unsubscribe) app.addHook('onClose', async () => unsubscribe())
    app.addHook('onReady', async () => pipeline.start())
  }
  if (precompute)
    signals.deliveryStored.on((id, d) => {
      if (pushEventsOf(d).length > 0) precompute.enqueue(id, d.tenant)
    })
  if (!held.has('notifier')) {
    signals.buildFinished.on(() => notifier.wake())
    app.addHook('onReady', async () => notifier.start())
  }
  signals.buildChanged.on((id) => buildFeed.changed(id))
  if (!held.has('reporter')) {
    signals.buildChanged.on((id) => reporter.wake(id))
    app.addHook('onReady', async () => reporter.start())
  }
  if (leases) {
    app.addHook('onReady', async () => leases.start())
    // Work another replica committed (NOTIFY): the unit that does that kind looks at once. The pipeline's own
    // commits woke it already (a stored delivery, a route's end): their echo only made passes whose claims came
    // back empty (bench:load, tamer_work_claims_total; issue #16). Another's echo is not left to that one: with
    // replicas held to 0.1 CPU each, whichever is not held back takes the work (leaving it cost two 100 -> 88/s).
    const unlisten = store.onWork((kinds, own) => {
      if (!held.has('pipeline') && !own && (kinds.includes('delivery') || kinds.includes('build'))) pipeline.rescan()
      if (!held.has('notifier') && kinds.includes('notice')) notifier.wake()
      if (!held.has('reporter') && kinds.includes('host-post')) reporter.wake()
      if (kinds.includes('diff')) sharedPrecompute?.wake()
    })
    app.addHook('onClose', async () => unlisten())
  }
  app.addHook('onReady', async () => retention.start())
  if (!held.has('pipeline')) app.addHook('onReady', async () => signoff.start())
  signals.deliveryStored.on((id, d) => (branches.stored(id, { normalized: storedEvents(d) }), branches.wake()))
  app.addHook('onReady', async () => branches.wake())
  // A tick: what another process stored (`tamer run` writes to the store) is routed within it, and
  // the remote's branches are listed every branches.syncEveryMinutes.
  const timers = io.timers ?? realTimers
  const TICK_MS = 15_000
  let tick: unknown = null
  let lastSync = now()
  let ticking = true
  const onTick = () => {
    if (!ticking) return
    branches.wake()
    if (!held.has('pipeline')) pipeline.rescan()
    const every = config.branches.syncEveryMinutes * 60_000
    if (every > 0 && now() - lastSync >= every) {
      lastSync = now()
      void branches.syncAll()
    }
    tick = timers.set(onTick, TICK_MS)
  }
  if (!held.has('pipeline')) app.addHook('onReady', async () => scheduler.start())
  app.addHook('onReady', async () => void (tick = timers.set(onTick, TICK_MS)))
  // On app.close() too (tests close the app), and before the store closes.
  app.addHook('onClose', async () => {
    retention.stop()
    signoff.stop()
    ticking = false
    if (tick !== null) timers.clear(tick)
    await Promise.all([
      pipeline.stop(),
      notifier.stop(),
      reporter.stop(),
      precompute?.stop(),
      branches.stop(),
      scheduler.stop(),
    ])
    // Nothing runs any more: what this replica held is free for the others now, not when its leases end.
    if (leases) {
      const released = await leases.stop().catch((err: unknown) => (logger.warn({ err }, 'leases not released'), 0))
      logger.info({ released }, 'work leases released')
    }
  })

  let closed = false
  return {
    config,
    app,
    store,
    logger,
    signals,
    pipeline,
    notifier,
    reporter,
    pushDiffs,
    precompute,
    retention,
    signoff,
    branches,
    scheduler,
    metrics,
    listen: () => app.listen({ host: config.server.host, port: config.server.port }),
    async drain() {
      draining = true
      if (config.server.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.drainDelayMs))
    },
    async close() {
      if (closed) return
      closed = true
      await app.close()
      await ownEngine?.close()
      if (!io.store) await store.close()
    },
  }
}
