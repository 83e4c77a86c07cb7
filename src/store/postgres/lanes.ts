// The writer's parts side by side in one transaction (issue #16): the writer's connection pipelines
// (pg's `pipeline: true`), so parts that do not wait for each other share round trips instead of
// paying one each in turn. A batch's commit was a sum of round trips, one after another, and that
// serial sum was what held one replica below 200 deliveries/s. Parts that touch the same row keep
// their order; a part with no lane runs alone, after all before it and before all after it.
// https://node-postgres.com/features/pipelining
import type { WriteOp } from '../sqlite/writer.js'

/**
 * What a part writes, when it may run beside others: a plan writes its delivery (and inserts its
 * builds), a build's update writes that build. Every other op runs alone.
 */
export function laneOf(op: WriteOp): string | null {
  if (op.op === 'plan') return `delivery ${op.plan.deliveryId}`
  if (op.op === 'update') return `build ${op.id}`
  return null
}

/**
 * Runs `run` for every item, those of different lanes at once and those of one lane in order; an
 * item without a lane waits for everything before it, and everything after it waits for it. Settles
 * once all did: the first error is thrown then (a lost connection), never while parts are in flight.
 */
export async function inLanes<T, R>(
  items: readonly T[],
  laneOfItem: (item: T) => string | null,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let tails = new Map<string, Promise<unknown>>()
  let inFlight: Promise<unknown>[] = []
  let failure: { error: unknown } | null = null
  const settle = async () => {
    for (const r of await Promise.allSettled(inFlight))
      if (r.status === 'rejected' && !failure) failure = { error: r.reason }
    inFlight = []
    tails = new Map()
  }
  for (let i = 0; i < items.length && !failure; i++) {
    const item = items[i]!
    const lane = laneOfItem(item)
    if (lane === null) {
      await settle()
      if (failure) break
      inFlight.push(run(item).then((r) => (results[i] = r)))
      await settle()
      continue
    }
    const p = (tails.get(lane) ?? Promise.resolve()).then(() => run(item)).then((r) => (results[i] = r))
    tails.set(lane, p)
    inFlight.push(p)
  }
  await settle()
  if (failure) throw (failure as { error: unknown }).error
  return results
}
