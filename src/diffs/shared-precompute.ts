// The precompute (precompute.ts) where replicas share one store (PostgreSQL, issue #16): a queued
// push is a job row (store/leases.ts) that one replica claims with a lease, so no two replicas
// diff one push, and the jobs of a replica killed mid-queue are taken over when its leases end
// instead of waiting for their first view. Same bounds as in memory: a few diffs at once, tenants
// in turn, a bounded queue; a job whose diff ended its replica `maxAttempts` times is given up.
import type { DiffJob, DiffJobQueue, Lease } from '../store/leases.js'
import type { DeliveryStore } from '../store/store.js'
import { redactReason, type DiffPrecompute } from './precompute.js'
import type { PushDiffService, WarnLogger } from './service.js'

export interface SharedDiffPrecomputeDeps {
  service: PushDiffService
  deliveries: Pick<DeliveryStore, 'getDelivery'>
  jobs: DiffJobQueue
  /** This replica's claims (store/lease-keeper.ts): its owner name and a lease from now. */
  leases: { readonly owner: string; readonly leaseMs: number; lease(): Lease }
  logger: WarnLogger
  /** Diffs at once on this replica (default 1). */
  concurrency?: number
  /** Diffs of one tenant at once on this replica (default `concurrency`). */
  perTenant?: number
  /** Jobs waiting, all replicas together (default 64). */
  queueLimit?: number
  /** Claims of one job before it is given up (default 3). */
  maxAttempts?: number
}

export interface SharedDiffPrecompute extends DiffPrecompute {
  /** Another replica queued jobs (NOTIFY): look now. */
  wake(): void
}

export function createSharedDiffPrecompute(deps: SharedDiffPrecomputeDeps): SharedDiffPrecompute {
  const concurrency = deps.concurrency ?? 1
  const perTenant = deps.perTenant ?? concurrency
  const queueLimit = deps.queueLimit ?? 64
  const maxAttempts = deps.maxAttempts ?? 3
  const running = new Map<Promise<void>, string>()
  let toQueue: { deliveryId: string; tenant: string }[] = []
  let queueing: Promise<void> | null = null
  let claiming: Promise<void> | null = null
  let again = false
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  let idleWaiters: (() => void)[] = []

  const settleIdle = () => {
    if (running.size > 0 || toQueue.length > 0 || queueing || claiming || again) return
    for (const w of idleWaiters.splice(0)) w()
  }

  const flush = () => {
    if (queueing || toQueue.length === 0) return
    const batch = toQueue
    toQueue = []
    queueing = deps.jobs
      .queueDiffJobs(batch, queueLimit)
      .catch((err: unknown) =>
        deps.logger.warn(
          { reason: redactReason(err), pushes: batch.length },
          'push diffs not queued; each is diffed on first view',
        ),
      )
      .finally(() => {
        queueing = null
        flush()
        pump()
      })
  }

  const run = (job: DiffJob) => {
    const p: Promise<void> = (async () => {
      try {
        const delivery = await deps.deliveries.getDelivery(job.deliveryId)
        if (delivery) await deps.service.diffsOf(delivery)
      } catch (err) {
        deps.logger
          .child({ deliveryId: job.deliveryId })
          .warn({ reason: redactReason(err) }, 'push diff not precomputed; it is diffed on first view')
      }
      await deps.jobs
        .finishDiffJob(job.deliveryId, deps.leases.owner)
        // Left held, its lease ends and another replica diffs it again: doubled work, nothing lost.
        .catch((err: unknown) => deps.logger.warn({ reason: redactReason(err) }, 'diff job not cleared'))
    })().finally(() => {
      running.delete(p)
      pump()
    })
    running.set(p, job.tenant)
  }

  /** When nothing is due here: at the end of another replica's lease, else a poll every lease (NOTIFY may be lost). */
  const sleepUntil = (nextAt: number | null) => {
    if (timer) clearTimeout(timer)
    const lease = deps.leases.lease()
    const wait = nextAt === null ? deps.leases.leaseMs : Math.max(0, nextAt - lease.now) + 10
    timer = setTimeout(() => ((timer = null), pump()), Math.min(wait, deps.leases.leaseMs))
    timer.unref()
  }

  const pump = () => {
    if (stopped) return settleIdle()
    if (claiming) return void (again = true)
    again = false
    const free = concurrency - running.size
    if (free <= 0) return settleIdle()
    const held = new Map<string, number>()
    for (const tenant of running.values()) held.set(tenant, (held.get(tenant) ?? 0) + 1)
    const busy = [...held].filter(([, n]) => n >= perTenant).map(([tenant]) => tenant)
    claiming = deps.jobs
      .claimDiffJobs(deps.leases.lease(), free, maxAttempts, busy)
      .then(({ due, givenUp, nextAt }) => {
        for (const j of givenUp)
          deps.logger
            .child({ deliveryId: j.deliveryId })
            .warn(
              { attempts: j.attempts },
              'push diff given up after its replicas stopped mid-diff; diffed on first view',
            )
        for (const j of due) if (!stopped) run(j)
        // One job per tenant per claim: claim again while slots are free and the last claim found work.
        if (due.length > 0) again = true
        else sleepUntil(nextAt)
      })
      .catch((err: unknown) => {
        deps.logger.warn({ reason: redactReason(err) }, 'diff jobs not claimed; looking again later')
        sleepUntil(null)
      })
      .finally(() => {
        claiming = null
        if (again) pump()
        else settleIdle()
      })
  }

  return {
    enqueue(deliveryId, tenant = '') {
      if (stopped) return
      toQueue.push({ deliveryId, tenant })
      // The webhook's answer goes out first; pushes queued in one turn are one statement.
      if (toQueue.length === 1) setImmediate(flush)
    },
    wake: () => pump(),
    idle() {
      if (running.size === 0 && toQueue.length === 0 && !queueing && !claiming && !again) return Promise.resolve()
      return new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      // What was queued here is stored for the other replicas to take; what runs here finishes.
      flush()
      await queueing
      await claiming
      await Promise.all([...running.keys()])
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    },
  }
}
