// Where a rule's path globs get the changed files when the host sent no list
// (filesKnown: false): from git. Without a source (or when git fails) the answer is
// "unknown" and rules say that their path condition was not evaluated.
import type { Logger } from 'pino'
import type { PushEvent } from '../events/model.js'
import type { MirrorCache } from '../git/mirror.js'
import { changedPathsOfPush } from '../git/push-range.js'

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

/** Changed files from the repository itself (a bare mirror), for hosts that send no lists. */
export function gitChangedFiles(mirrors: MirrorCache, logger?: Logger): ChangedFilesSource {
  return {
    async changedFiles(event) {
      try {
        // The URL derived for the repository on a configured host (a refusal is logged below).
        const cloneUrl = mirrors.remoteOf(event)
        return await changedPathsOfPush(mirrors, {
          cloneUrl,
          tenant: event.tenant,
          before: event.before,
          after: event.after,
          defaultBranch: event.repository.defaultBranch,
        })
      } catch (err) {
        // Unknown, not empty: the rule then matches and says its path condition was not evaluated.
        logger?.warn(
          { repository: event.repository.fullName, err: (err as Error).message },
          'changed files not known from git',
        )
        return null
      }
    },
  }
}
