// Per-delivery caps on the event model (issue #9, item 8): one signed Bitbucket Server `repo:refs_changed` with
// 2,000 changes made 2,000 builds; a 25 MB body carries ~100,000. Events beyond
// pipeline.maxEventsPerDelivery are not stored and builds beyond pipeline.maxBuildsPerDelivery
// are not planned, and what was left out is recorded with the setting that said so.
import type { Normalized, Skipped } from './model.js'

export interface DeliveryLimits {
  maxEvents: number
  maxBuilds: number
}

export function limitsFromConfig(config: {
  pipeline: { maxEventsPerDelivery: number; maxBuildsPerDelivery: number }
}): DeliveryLimits {
  return { maxEvents: config.pipeline.maxEventsPerDelivery, maxBuilds: config.pipeline.maxBuildsPerDelivery }
}

/**
 * The first `max` of `items`, and what was skipped (null when nothing was). `earlier`: skipped before by another cap.
 */
export function capList<T>(
  items: readonly T[],
  max: number,
  what: string,
  setting: string,
  earlier = 0,
): { kept: T[]; skipped: Skipped | null } {
  if (items.length <= max) return { kept: [...items], skipped: null }
  const total = items.length + earlier
  return {
    kept: items.slice(0, max),
    skipped: {
      kept: max,
      skipped: total - max,
      reason: `${setting} is ${max}: ${what} after the first ${max} of ${total} are skipped`,
    },
  }
}

export function capEvents(normalized: Normalized, maxEvents: number): Normalized {
  if (normalized.kind !== 'events') return normalized
  const { kept, skipped } = capList(
    normalized.events,
    maxEvents,
    'events',
    'pipeline.maxEventsPerDelivery',
    normalized.skipped?.skipped,
  )
  return skipped ? { ...normalized, events: kept, skipped } : normalized
}
