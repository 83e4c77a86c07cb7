// The commits a push is compared across, read from the mirror: `before`, or for a new ref its fork
// point with the default branch; and the paths changed between them (routing rules' path globs).
// The push's notebook diff is made from the same base in diffs/push-diff.ts.
import { assertCommitId, changedFiles, EMPTY_TREE, forkPoint, isZero } from './changes.js'
import type { MirrorCache } from './mirror.js'

export interface PushRange {
  /** The derived URL (MirrorCache.remoteOf), never a payload's. */
  cloneUrl: string
  /** Whose push: only its (and shared) git.credentials are sent. */
  tenant?: string
  before: string
  after: string
  defaultBranch: string | null
}

/** The commit a push is compared with: `before`, or for a new ref its fork point with the default branch. */
export async function pushBase(mirrors: MirrorCache, req: PushRange, notes: string[]) {
  const mirror = await mirrors.ensure(req.cloneUrl, isZero(req.before) ? [req.after] : [req.before, req.after], {
    tenant: req.tenant,
  })
  const git = mirror.git
  let base = req.before
  if (isZero(req.before)) {
    const fork = await forkPoint(git, req.after, req.defaultBranch)
    if (fork && fork !== req.after) {
      base = fork
      notes.push(
        `New ref: compared with its merge-base ${fork.slice(0, 10)} with the default branch${req.defaultBranch ? ` ${req.defaultBranch}` : ''}.`,
      )
    } else {
      base = EMPTY_TREE
      notes.push('New ref with no merge-base with the default branch: every file is shown as added.')
    }
  }
  return { git, base }
}

/** The paths a push changed (renames give both names), for routing rules' path globs. */
export async function changedPathsOfPush(mirrors: MirrorCache, req: PushRange): Promise<string[]> {
  assertCommitId(req.before)
  if (isZero(assertCommitId(req.after))) return []
  const { git, base } = await pushBase(mirrors, req, [])
  const paths = new Set<string>()
  for (const f of await changedFiles(git, base, req.after)) {
    paths.add(f.path)
    if (f.oldPath) paths.add(f.oldPath)
  }
  return [...paths]
}
