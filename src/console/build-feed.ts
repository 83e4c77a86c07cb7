// Who listens to a build's changes: the build pages' event streams (GET /ui/builds/:id/events). The
// composition root tells the feed of every buildChanged signal (compose/index.ts subscribes it
// explicitly); a stream subscribes to one build id and is told when that build was written.
export interface BuildFeed {
  /** A build was planned or written (the pipeline's buildChanged). */
  changed(buildId: string): void
  /** Calls `listener` on each change of this build, `end` when the app closes; the function returned stops both. */
  subscribe(buildId: string, listener: () => void, end: () => void): () => void
  /** Ends every stream (the app is closing: an open stream would hold server.close()). */
  closeAll(): void
  /** Open streams. */
  size(): number
}

export function createBuildFeed(): BuildFeed {
  const byBuild = new Map<string, Set<() => void>>()
  const ends = new Set<() => void>()
  return {
    changed(buildId) {
      for (const l of [...(byBuild.get(buildId) ?? [])]) l()
    },
    subscribe(buildId, listener, end) {
      const set = byBuild.get(buildId) ?? new Set()
      byBuild.set(buildId, set)
      set.add(listener)
      ends.add(end)
      return () => {
        set.delete(listener)
        ends.delete(end)
        if (set.size === 0) byBuild.delete(buildId)
      }
    },
    closeAll() {
      for (const e of [...ends]) e()
    },
    size: () => ends.size,
  }
}
