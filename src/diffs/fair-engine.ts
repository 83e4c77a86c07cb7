// The diff engine as pushes share it: at most `slots` pairs at once (one per diff worker), the
// rest waiting in a per-tenant fair queue, and no tenant holding more than `perTenant` slots. With
// two or more workers one tenant's slow notebooks can never occupy them all, so another tenant's
// diff starts at once; with one, it waits at most for the pair running (bounded by the engine's
// time limit) and then goes before that tenant's next pair.
import type { DiffEngine, NotebookDiffResult } from '../engines/types.js'
import { FairQueue } from './fair-queue.js'

export interface FairEngineOptions {
  /** Pairs diffed at once: the engine's workers. */
  slots: number
  /** Slots one tenant may hold at once (default: all but one, at least one). */
  perTenant?: number
}

export interface FairDiffEngine extends DiffEngine {
  /** Pairs waiting and running: for tests and logs. */
  readonly load: { waiting: number; running: number }
  /** Closes the engine inside (its workers), if it has anything to close. */
  close(): Promise<void>
}

/** Tenant of a diff that names none (the CLI, tests): one more key in the rotation. */
const NO_TENANT = ''

/** All but one of `slots`, at least one: what one tenant may hold. */
export const perTenantSlots = (slots: number) => Math.max(1, slots - 1)

export function fairEngine(inner: DiffEngine & { close?(): Promise<void> }, o: FairEngineOptions): FairDiffEngine {
  const slots = Math.max(1, o.slots)
  const queue = new FairQueue<() => void>(o.perTenant ?? perTenantSlots(slots))
  let running = 0

  const pump = () => {
    while (running < slots) {
      const next = queue.take()
      if (!next) return
      running++
      next.item()
    }
  }

  return {
    name: inner.name,
    timeLimitMs: inner.timeLimitMs,
    get load() {
      return { waiting: queue.size, running }
    },
    async close() {
      await inner.close?.()
    },
    diff(aText, bText, names, options, job) {
      const tenant = job?.tenant ?? NO_TENANT
      return new Promise<NotebookDiffResult>((resolve, reject) => {
        // The slot is free again before the caller hears back.
        const settle = () => {
          running--
          queue.done(tenant)
          pump()
        }
        queue.push(tenant, () => {
          Promise.resolve()
            .then(() => inner.diff(aText, bText, names, options, job))
            .then(
              (r) => (settle(), resolve(r)),
              (err: unknown) => (settle(), reject(err)),
            )
        })
        pump()
      })
    },
  }
}
