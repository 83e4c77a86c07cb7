// Push diffs rendered right after intake, in the background, so the first page view and the
// build's notice find them stored. Bounded: a few at a time, shared fairly between tenants (round
// robin, first come first served within one), and a bounded queue that drops the oldest of the
// longest tenant queue when full — a dropped delivery is still diffed on its first view.
import { maskSecrets } from '../security/secrets.js'
import type { DeliveryStore } from '../store/store.js'
import { FairQueue } from './fair-queue.js'
import type { PushDiffService, WarnLogger } from './service.js'

export interface DiffPrecompute {
  /** Never waits: the delivery is queued and diffed later, in its tenant's turn. */
  enqueue(deliveryId: string, tenant?: string): void
  /** Resolves when the queue is empty and nothing runs. */
  idle(): Promise<void>
  /** Drops the queue and waits for the diffs already running. */
  stop(): Promise<void>
}

export interface DiffPrecomputeDeps {
  service: PushDiffService
  deliveries: Pick<DeliveryStore, 'getDelivery'>
  logger: WarnLogger
  /** Diffs at once (default 1): git and the engine share the CPU with intake. */
  concurrency?: number
  /** Diffs of one tenant at once (default `concurrency`: no cap). */
  perTenant?: number
  /** Deliveries waiting (default 64). */
  queueLimit?: number
}

/** A failure's reason without credentials (URL userinfo, known token shapes), one bounded line. */
export function redactReason(err: unknown): string {
  return maskSecrets(err instanceof Error ? err.message : String(err), []).slice(0, 500)
}

export function createDiffPrecompute(deps: DiffPrecomputeDeps): DiffPrecompute {
  const concurrency = deps.concurrency ?? 1
  const queueLimit = deps.queueLimit ?? 64
  const queue = new FairQueue<string>(deps.perTenant ?? concurrency)
  const running = new Set<Promise<void>>()
  let idleWaiters: (() => void)[] = []
  let stopped = false

  const settleIdle = () => {
    if (queue.size > 0 || running.size > 0) return
    for (const w of idleWaiters.splice(0)) w()
  }

  const diffOne = async (deliveryId: string) => {
    try {
      const delivery = await deps.deliveries.getDelivery(deliveryId)
      if (delivery) await deps.service.diffsOf(delivery)
    } catch (err) {
      deps.logger
        .child({ deliveryId })
        .warn({ reason: redactReason(err) }, 'push diff not precomputed; it is diffed on first view')
    }
  }

  const pump = () => {
    while (!stopped && running.size < concurrency) {
      const next = queue.take()
      if (!next) break
      const p: Promise<void> = diffOne(next.item).finally(() => {
        running.delete(p)
        queue.done(next.key)
        pump()
      })
      running.add(p)
    }
    settleIdle()
  }

  return {
    enqueue(deliveryId, tenant = '') {
      if (stopped) return
      queue.push(tenant, deliveryId)
      if (queue.size > queueLimit) queue.dropFromLongest()
      // The webhook's answer goes out first.
      setImmediate(pump)
    },
    idle() {
      if (queue.size === 0 && running.size === 0) return Promise.resolve()
      return new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
    async stop() {
      stopped = true
      queue.clear()
      await Promise.all([...running])
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    },
  }
}
