// The outbox of what Tamer posts to git hosts (issue #13): commit statuses and the living PR
// comment, each an entry stored with the decision, sent and retried like notices. Interface only.

/**
 * pending: stored, not posted yet (or waiting for a retry at nextAttemptAt) · sending: the request
 * is out · sent: the host took it (`answer`) · dead: refused (4xx) or attempts used up, with the
 * host's answer in lastError · superseded: a newer entry for the same status or comment exists,
 * so this older one is never posted (a stale state never lands over a newer one).
 */
export const HOST_POST_STATES = ['pending', 'sending', 'sent', 'dead', 'superseded'] as const
export type HostPostState = (typeof HOST_POST_STATES)[number]

export interface NewHostPost {
  id: string
  buildId: string | null
  tenant: string
  provider: string
  repository: string
  kind: 'status' | 'comment'
  /** What is posted to: `<sha> <context>` for a status, `pr:<number>` for the comment. */
  target: string
  /**
   * The order of entries of one target: built from the build's sequence and how far it went, so an
   * older build's (or an earlier state's) entry arriving late is dropped.
   */
  version: number
  /** The CommitStatus, or `{ pr, body }` for the comment. */
  payload: unknown
  /** The reporting.hosts entry whose credential posts it (`reporting.hosts.0`), for messages. */
  credential: string
}

export interface HostPostRecord extends NewHostPost {
  seq: number
  state: HostPostState
  attempts: number
  /** epoch ms */
  nextAttemptAt: number | null
  lastError: string | null
  /** What the host answered: `{status, id, url}`. */
  answer: unknown
  createdAt: string
  updatedAt: string
}

export type HostPostPatch = Partial<
  Pick<HostPostRecord, 'state' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'answer'>
>

export interface HostPostStore {
  /** Stores entries; one already stored for the same provider, repository, target and version is left as is. */
  recordHostPosts(posts: NewHostPost[]): Promise<number>
  /** pending entries due by `now`, oldest first, and when the next one falls due. */
  dueHostPosts(now: number, limit: number): Promise<{ due: HostPostRecord[]; nextAt: number | null }>
  /** Moves an entry from `from` to the patch's state; false when it was not in `from` any more. */
  updateHostPost(id: string, from: HostPostState, patch: HostPostPatch): Promise<boolean>
  /** The highest version of a target's entries that are not superseded (or dead). */
  newestHostPostVersion(provider: string, repository: string, target: string): Promise<number | null>
  /** At start-up: entries left `sending` by a crash are pending again (posts are idempotent: reporting/outbox.ts). */
  resumeInterruptedHostPosts(at: number): Promise<number>
  hostPostsOfBuild(buildId: string): Promise<HostPostRecord[]>
}
