// This replica's leases on shared work (leases.ts): its name, the lease each claim asks
// for, a heartbeat that keeps the leases of the work in hand from ending while it runs, and, on a
// graceful shutdown, every lease given back so the other replicas take the work at once instead of
// when the leases would have ended.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Lease, WorkLeaseStore } from './leases.js'

export interface LeaseKeeper {
  readonly owner: string
  /** How long a claim lasts without the heartbeat (also how often an idle replica polls for work). */
  readonly leaseMs: number
  /** A lease from now, for one claim. */
  lease(): Lease
  start(): void
  /** Stops the heartbeat and releases every lease of this replica; resolves to how many. */
  stop(): Promise<number>
}

export interface LeaseKeeperDeps {
  store: Pick<WorkLeaseStore, 'renewLeases' | 'releaseLeases'>
  leaseMs: number
  logger: Logger
  now?: () => number
}

export function createLeaseKeeper(deps: LeaseKeeperDeps): LeaseKeeper {
  const now = deps.now ?? Date.now
  // Unique per process: a restarted replica's claims are not its dead predecessor's.
  const owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`
  let beat: NodeJS.Timeout | null = null
  let renewing: Promise<void> | null = null
  const renew = () => {
    if (renewing) return
    renewing = deps.store
      .renewLeases(owner, now() + deps.leaseMs)
      // A missed beat is retried at the next; leases end only after leaseMs without one.
      .catch((err: unknown) => deps.logger.warn({ err }, 'could not renew work leases'))
      .finally(() => (renewing = null))
  }
  return {
    owner,
    leaseMs: deps.leaseMs,
    lease: () => ({ owner, now: now(), until: now() + deps.leaseMs }),
    start() {
      if (beat) return
      // Three beats per lease: one lost beat (a slow query) does not let a lease end under running work.
      beat = setInterval(renew, Math.max(50, Math.floor(deps.leaseMs / 3)))
      beat.unref()
    },
    async stop() {
      if (beat) clearInterval(beat)
      beat = null
      await renewing
      return deps.store.releaseLeases(owner)
    },
  }
}
