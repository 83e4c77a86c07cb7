// What Tamer posts back to a git host: commit statuses and one living PR comment (issue #13).
// One interface for every host; each host's client lives in its provider's folder, beside its
// verify/normalize, and maps the neutral states below to its host's vocabulary.
import type { ProviderName } from '../events/model.js'
import { HostNotConfiguredError } from '../errors.js'

export type CommitState = 'pending' | 'running' | 'success' | 'failure' | 'error' | 'cancelled'

export interface CommitStatus {
  /** `owner/name` as the events carry it (Bitbucket Server: `PROJECT/slug`; GitLab: the full path `group/sub/name`). */
  repository: string
  sha: string
  /** `tamer/<rule>` or `tamer/notebook-diff`: one status line per context on the commit. */
  context: string
  state: CommitState
  /** Cut by each client to its host's limit (GitHub 140 chars). */
  description: string
  targetUrl: string | null
  /** The branch the commit was pushed to (GitLab attaches a status to that ref's pipeline; null: the host picks). */
  ref: string | null
  /** GitLab: the MR's pipeline when the push belongs to an open MR. */
  pipelineId?: number | null
}

export interface PullRequestRef {
  repository: string
  /** GitHub PR number, GitLab MR iid, Bitbucket PR id. */
  number: number
}

/** What the host answered, kept with the outbox entry (never contains the credential). */
export interface HostAnswer {
  status: number
  /** The id/URL the host gave (status id, comment id), for /api/builds/:id. */
  id: string | null
  url: string | null
}

/** A refused or failed request: retryable on 5xx/429/timeouts/connection errors, dead on other 4xx. */
export class HostRequestFailure extends Error {
  readonly status: number | null
  readonly retryable: boolean
  readonly retryAfterMs: number | null

  constructor(
    message: string,
    status: number | null,
    retryable: boolean,
    /** From Retry-After / X-RateLimit-Reset / GitHub secondary rate limits. */
    retryAfterMs: number | null,
  ) {
    super(message)
    this.status = status
    this.retryable = retryable
    this.retryAfterMs = retryAfterMs
    this.name = 'HostRequestFailure'
  }
}

export interface HostClient {
  readonly provider: ProviderName
  /** False for a host without credentials: every call throws HostNotConfigured… (the "not configured" client). */
  readonly configured: boolean
  /** Largest comment body the host takes, in characters (GitHub 65,536; GitLab 1,000,000; Bitbucket 32,768). */
  readonly commentLimit: number
  setStatus(status: CommitStatus): Promise<HostAnswer>
  /** The comment whose body contains `marker` (a hidden HTML comment), paging through all comments. */
  findComment(pr: PullRequestRef, marker: string): Promise<{ id: string } | null>
  createComment(pr: PullRequestRef, body: string): Promise<HostAnswer>
  updateComment(pr: PullRequestRef, commentId: string, body: string): Promise<HostAnswer>
}

/** Each host's comment size limit, in characters (the hosts' documented maximums). */
export const COMMENT_LIMITS: Readonly<Record<ProviderName, number>> = {
  github: 65_536,
  gitlab: 1_000_000,
  'bitbucket-cloud': 32_768,
  'bitbucket-server': 32_768,
}

/**
 * The client of a host Tamer has no credentials for (as Atlantis does): callers check
 * `configured` and skip; a call anyway throws TAMER_HOST_NOT_CONFIGURED.
 */
export function notConfiguredClient(provider: ProviderName): HostClient {
  const refuse = async (): Promise<never> => {
    throw new HostNotConfiguredError(provider)
  }
  return {
    provider,
    configured: false,
    commentLimit: COMMENT_LIMITS[provider],
    setStatus: refuse,
    findComment: refuse,
    createComment: refuse,
    updateComment: refuse,
  }
}

/** Cuts a status description to `max` characters, ending in `…` when cut. */
export function cutDescription(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`
}
