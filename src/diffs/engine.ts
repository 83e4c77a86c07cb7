// The engine `tamer serve` diffs pushes with: the configured one (native in worker threads), each
// notebook bounded by diffs.timeLimitMs, behind the per-tenant fair queue (fair-engine.ts).
import { availableParallelism } from 'node:os'
import type { Config } from '../config/schema.js'
import { createDiffEngine } from '../engines/engine.js'
import { fairEngine, perTenantSlots, type FairDiffEngine } from './fair-engine.js'

/**
 * diffs.workers, 0 meaning min(2, cores). Two, because the second worker is what isolates tenants
 * (one tenant holds at most all but one), not throughput: a normal pair takes milliseconds. Never
 * more than the cores, and no more by default even on big machines: each worker may take up to
 * its heap cap of memory, and intake's event loop is mostly waiting on I/O, so it keeps turning
 * when both cores diff (test/http/diffs-busy.test.ts).
 */
export function diffWorkers(config: Pick<Config, 'diffs'>): number {
  return config.diffs.workers || Math.min(2, availableParallelism())
}

export async function serverDiffEngine(
  config: Pick<Config, 'diffs'>,
): Promise<{ engine: FairDiffEngine; notice: string | null }> {
  const workers = diffWorkers(config)
  const { engine, notice } = await createDiffEngine(config.diffs.engine, {
    command: config.diffs.nbdiffPath,
    timeoutMs: Math.min(config.diffs.nbdiffTimeoutMs, config.diffs.timeLimitMs),
    worker: { workers, timeoutMs: config.diffs.timeLimitMs },
  })
  return { engine: fairEngine(engine, { slots: workers, perTenant: perTenantSlots(workers) }), notice }
}
