// What a delivery's listeners after its commit need of its events, derived before the commit wait (issue #12):
// a 1 MB push's ~26,000 file paths held until the writer answered were copied by every scavenge meanwhile.
// The early route (SQLite) has planned from the full events by then, and shared work (PostgreSQL) is routed
// from the store; a route that still needs them reads the delivery back by id.
import type { Normalized, TamerEvent } from './model.js'

const compacted = new WeakSet<object>()

/**
 * The events without their pushes' commit lists: each push keeps only its head commit (the branch registry's
 * author and time), without file lists. Marked, so no route is planned from it (isCompacted).
 */
export function compactEvents(n: Normalized): Normalized {
  if (n.kind !== 'events') return n
  const out: Normalized = { ...n, events: n.events.map(compactEvent) }
  compacted.add(out)
  return out
}

function compactEvent(e: TamerEvent): TamerEvent {
  if (e.kind !== 'push') return e
  const head = e.commits.find((c) => c.id === e.after)
  return { ...e, commits: head ? [{ ...head, added: [], modified: [], removed: [] }] : [] }
}

/** Whether these events lost their commit lists (routing reads the delivery back instead). */
export function isCompacted(n: Normalized): boolean {
  return compacted.has(n)
}
