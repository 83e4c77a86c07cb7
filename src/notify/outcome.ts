// What a finished build means for its branch, after email-ext's triggers (the *Trigger classes in
// jenkinsci/email-ext-plugin src/main/java/hudson/plugins/emailext/plugins/trigger/): first failure,
// still failing, fixed, unstable, aborted.
import type { BuildRecord, BuildSubject } from '../store/builds.js'
import type { NoticeOutcome } from '../store/notifications.js'

/** Aborted and not-built runs say nothing about the code, so looking back skips them. */
const SAYS_NOTHING = new Set(['ABORTED', 'NOT_BUILT'])

/**
 * `previous` is the result of the branch's last build before this one that ran to a verdict.
 * One deliberate difference from email-ext's "Failure - 1st": a FAILURE right after an ABORTED
 * build is judged against the build before the abort, instead of sending nothing at all.
 */
export function classifyOutcome(result: string | null, previous: string | null): NoticeOutcome | null {
  if (result === 'FAILURE') return previous === 'FAILURE' ? 'still-failing' : 'first-failure'
  if (result === 'SUCCESS') return previous === 'FAILURE' || previous === 'UNSTABLE' ? 'fixed' : null
  if (result === 'UNSTABLE') return 'unstable'
  if (result === 'ABORTED') return 'aborted'
  return null
}

/**
 * The branch a build is about, or for a tag push the tag: a branch's (or tag's) builds thread
 * together. From the build's typed subject, never its Jenkins parameters.
 */
export const branchOf = (b: BuildSubject): string | null =>
  b.branch ?? (b.ref?.startsWith('refs/tags/') ? b.ref.slice('refs/tags/'.length) : null)

/** Builds whose notices belong in one thread: same tenant, repository, branch and job. */
export const threadKeyOf = (b: BuildRecord) => JSON.stringify([b.tenant, b.repository ?? '', branchOf(b) ?? '', b.job])

export interface BranchHistory {
  /** the last earlier build with a verdict (not aborted) */
  previous: BuildRecord | null
  /** the last earlier SUCCESS */
  lastGreen: BuildRecord | null
  /** earlier builds after the last green one, oldest first (their pushes hold the culprits) */
  sinceGreen: BuildRecord[]
}

/** `earlier`: finished builds of the same job before this one, newest first. */
export function branchHistory(b: BuildRecord, earlier: readonly BuildRecord[]): BranchHistory {
  const key = threadKeyOf(b)
  const same = earlier.filter((x) => x.seq < b.seq && x.state === 'finished' && threadKeyOf(x) === key)
  const previous = same.find((x) => x.result !== null && !SAYS_NOTHING.has(x.result)) ?? null
  const greenAt = same.findIndex((x) => x.result === 'SUCCESS')
  return {
    previous,
    lastGreen: greenAt >= 0 ? same[greenAt]! : null,
    sinceGreen: (greenAt >= 0 ? same.slice(0, greenAt) : same).reverse(),
  }
}
