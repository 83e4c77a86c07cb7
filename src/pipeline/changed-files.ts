// Where a rule's path globs get the changed files when the host sent no list
// (filesKnown: false). The git module plugs in here; until it exists, the
// answer is "unknown" and rules say that their path condition was not evaluated.
import type { PushEvent } from '../events/model.js'

export interface ChangedFilesSource {
  /** The files changed between event.before and event.after, or null when they cannot be known (yet). */
  changedFiles(event: PushEvent): Promise<string[] | null>
}

export const noChangedFiles: ChangedFilesSource = {
  async changedFiles() {
    return null
  },
}

/** Files named by the host's own commit lists. */
export function filesFromCommits(event: PushEvent): string[] {
  const out = new Set<string>()
  for (const c of event.commits) for (const f of [...c.added, ...c.modified, ...c.removed]) out.add(f)
  return [...out]
}
