// The notifier: decides about every finished build (planner.ts) and works the outbox
// (outbox.ts), in passes like the pipeline. Everything it knows is in the store, so after a
// restart `start()` continues where it stopped.
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { realTimers, type Timers } from '../work/timers.js'
import type { TamerStore } from '../store/builds.js'
import type { NotificationRecord, NotificationStore } from '../store/notifications.js'
import { closeChannels, createChannels, type ChannelRegistry } from './channels/index.js'
import { noNotebookSummary, type NotebookSummarySource } from './notebook-summary.js'
import { sendNotification, type SenderDeps } from './outbox.js'
import { diffLinksFromConfig } from '../links/diff-links.js'
import { planBuild, type NoticeMetricsSource, type PlannerDeps } from './planner.js'
import { secretValues } from '../security/secrets.js'
import { serialPasses } from '../work/passes.js'
import type { LeaseKeeper } from '../store/lease-keeper.js'
import type { WorkLeaseStore } from '../store/leases.js'

export type NotifyingStore = TamerStore & NotificationStore & WorkLeaseStore

export interface NotifierDeps {
  config: Config
  store: NotifyingStore
  /** Children per unit of work: `{ buildId }` while deciding, `{ notificationId }` while sending. */
  logger: Logger
  now?: () => number
  timers?: Timers
  /** default: from config.notifications */
  channels?: ChannelRegistry
  notebookSummary?: NotebookSummarySource
  /** With real timers, finished builds are also looked for this often (a wake can be missed). */
  scanEveryMs?: number
  newId?: () => string
  /** The metric table and `.tamer.yml` recipients of a build (src/metrics/); none by default. */
  metrics?: NoticeMetricsSource
  /** Told after each send (src/notify/outbox.ts); for /metrics. */
  sent?: SenderDeps['sent']
  /** This replica's leases: on shared work (PostgreSQL) notices are claimed, so one replica sends each. */
  leases?: LeaseKeeper
}

export interface Notifier {
  readonly channels: ChannelRegistry
  start(): Promise<void>
  wake(): void
  /** Decide and send everything due now, repeatedly, until nothing is left (tests). */
  drain(): Promise<void>
  /** A dead letter back to pending; null when there is no dead notice with that id. */
  resend(id: string): Promise<NotificationRecord | null>
  stop(): Promise<void>
}

export const INTERRUPTED =
  'interrupted by a restart while sending: it may or may not have arrived, so it was not sent again (re-send it if it did not)'

export function createNotifier(deps: NotifierDeps): Notifier {
  const { config, store, logger } = deps
  const now = deps.now ?? Date.now
  const timers = deps.timers ?? realTimers
  const channels = deps.channels ?? createChannels(config.notifications, { now })
  const secrets = secretValues(config)
  const n = config.notifications
  const links = diffLinksFromConfig(config, now)
  const planner: PlannerDeps = {
    config,
    store,
    channels,
    notebookSummary: deps.notebookSummary ?? noNotebookSummary,
    links,
    secrets,
    now,
    logger,
    newId: deps.newId,
    metrics: deps.metrics,
  }
  const sender: SenderDeps = {
    store,
    channels,
    now,
    logger,
    secrets,
    retryBaseMs: n.retryBaseMs,
    retryMaxMs: n.retryMaxMs,
    maxAttempts: n.maxAttempts,
    sent: deps.sent,
  }
  const scanEveryMs = deps.scanEveryMs ?? (deps.timers ? null : 10_000)

  let timer: unknown = null
  let stopped = false
  const leases = deps.leases && store.sharedWork ? deps.leases : null
  let swept = now()

  /** One notice, claimed on shared work and given back once its send ended. */
  const send = async (x: NotificationRecord) => {
    try {
      await sendNotification(sender, x)
    } finally {
      if (leases)
        await store.releaseWork('notice', x.id, leases.owner).catch((err: unknown) => logger.warn({ err }, 'lease'))
    }
  }

  /** Shared work: a send left `sending` by a replica that died is a dead letter once its lease ended. */
  const sweep = async () => {
    if (!leases || now() - swept < leases.leaseMs) return
    swept = now()
    const abandoned = await store.abandonInterruptedSends(INTERRUPTED, now())
    if (abandoned > 0) logger.warn({ count: abandoned }, 'notices interrupted mid-send by a replica that stopped')
  }

  async function pass(): Promise<number> {
    let done = 0
    for (const b of await store.undecidedBuilds(100)) {
      const log = logger.child({ buildId: b.id })
      await planBuild({ ...planner, logger: log }, b).catch((err: unknown) =>
        log.error({ err }, 'notification decision failed'),
      )
      done++
    }
    await sweep()
    const { due, nextAt } = leases
      ? await store.claimDueNotifications(leases.lease(), 50)
      : await store.dueNotifications(now(), 50)
    // One peer at a time per channel would be kinder; a handful in parallel keeps a slow one from holding the rest.
    for (let i = 0; i < due.length; i += 4) await Promise.all(due.slice(i, i + 4).map(send))
    done += due.length
    if (timer !== null) timers.clear(timer)
    timer = null
    if (!stopped) {
      const next = Math.min(nextAt ?? Infinity, scanEveryMs === null ? Infinity : now() + scanEveryMs)
      if (Number.isFinite(next)) timer = timers.set(() => ((timer = null), wake()), Math.max(0, next - now()))
    }
    return done
  }

  const passes = serialPasses(
    pass,
    (err) => logger.error({ err }, 'notifier pass failed'),
    () => stopped,
  )
  const runPass = passes.run

  function wake(): void {
    if (!stopped) void runPass()
  }

  return {
    channels,
    async start() {
      const abandoned = await store.abandonInterruptedSends(INTERRUPTED, now())
      if (abandoned > 0)
        logger.warn(
          { count: abandoned },
          'notices interrupted mid-send by a restart are dead letters now (never sent twice)',
        )
      wake()
    },
    wake,
    async drain() {
      for (let round = 0; round < 1000; round++) {
        await passes.current()
        if ((await runPass()) === 0 && !passes.current()) return
      }
      throw new Error(
        'bug: the notifier did not settle in 1000 passes (drain is for tests; a pass keeps finding new work)',
      )
    },
    async resend(id) {
      const moved = await store.updateNotification(id, 'dead', {
        state: 'pending',
        attempts: 0,
        nextAttemptAt: null,
        lastError: null,
      })
      if (!moved) return null
      wake()
      return store.getNotification(id)
    },
    async stop() {
      stopped = true
      if (timer !== null) timers.clear(timer)
      timer = null
      await passes.current()
      if (!deps.channels) closeChannels(channels)
    },
  }
}
