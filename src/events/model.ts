// The neutral event model every git host is normalized into. The pipeline never
// branches on which host sent an event; hosts' quirks are noted here where they bite.

export type ProviderName = 'github' | 'gitlab' | 'bitbucket-cloud' | 'bitbucket-server'

export interface Person {
  name: string | null
  /**
   * Null where the host gives none (Bitbucket Cloud actors; GitLab shows `[REDACTED]` for private emails, kept null).
   */
  email: string | null
  username: string | null
}

export interface Repository {
  /** `owner/name`; GitLab nested groups keep every level; Bitbucket Server is `PROJECT/slug`. */
  fullName: string
  /**
   * The URLs the payload gives, without credentials. Never fetched: they only say which configured
   * host the repository is on (src/git/remote.ts derives the URL Tamer and Jenkins use).
   */
  cloneUrl: { https: string | null; ssh: string | null }
  webUrl: string | null
  /** Unknown on Bitbucket push payloads. */
  defaultBranch: string | null
}

export interface Commit {
  id: string
  message: string
  timestamp: string | null
  url: string | null
  author: Person
  added: string[]
  modified: string[]
  removed: string[]
}

interface EventBase {
  provider: ProviderName
  /**
   * The git host's own id of the delivery (X-GitHub-Delivery, Idempotency-Key, X-Request-UUID,
   * X-Request-Id), not Tamer's (StoredDelivery.id, a build's deliveryId).
   */
  hostDeliveryId: string | null
  tenant: string
  repository: Repository
  receivedAt: string
  /**
   * Set on a replay (`tamer replay`, issue #16): `of` is Tamer's id of the delivery replayed, `key` this replay's
   * own, so it is planned as a new event; the branch registry skips replayed pushes.
   */
  replay?: { of: string; key: string }
}

export interface PushEvent extends EventBase {
  kind: 'push'
  /** Always a full ref (`refs/heads/x`, `refs/tags/v1`), also for Bitbucket Cloud which sends bare names. */
  ref: string
  refType: 'branch' | 'tag'
  branch: string | null
  tag: string | null
  /** 40 zeros when the ref was created. */
  before: string
  /** 40 zeros when the ref was deleted. */
  after: string
  created: boolean
  deleted: boolean
  /** Null where the host does not say (GitLab, Bitbucket Server). */
  forced: boolean | null
  commits: Commit[]
  /** The real number of commits where the host says (GitLab `total_commits_count`), else commits.length. */
  totalCommits: number
  /**
   * False when the per-file lists are missing or incomplete: Bitbucket (never sends them),
   * GitLab system hooks, commit lists cut by the host (GitHub 2,048, GitLab 20, Bitbucket Cloud 5).
   * Later steps then compute changed files from git.
   */
  filesKnown: boolean
  pusher: Person
  /** Set on a run Tamer was asked for (not a push): it starts only the named rule (issue #14). */
  run?: RunRequest
}

/**
 * A run of one rule on a branch's head, asked for through the API or `tamer run`, by a schedule, or
 * started by hand in Jenkins (then adopted, not triggered). Stored as a push event of that head, so it
 * takes the push's durable path: routed once, triggered once, followed and notified.
 */
export interface RunRequest {
  by: 'api' | 'cli' | 'schedule' | 'jenkins'
  /** Who asked: a token's or the CLI's actor, `schedule:<rule>`, `jenkins:<job>#<n>`. */
  actor: string
  /** The rule to run (its name). */
  rule: string
  /** Parameters to add, among those the rule lets a run set (checked before the run is stored). */
  parameters: Record<string, string>
  /** A build started by hand in Jenkins: recorded as running, followed from there. */
  started?: { job: string; buildNumber: number; buildUrl: string | null }
}

export interface PullRequestEvent extends EventBase {
  kind: 'pull_request'
  /** Neutral action: opened, updated, reopened, closed, merged, or the host's own word for others. */
  action: string
  number: number
  title: string
  source: { branch: string; sha: string | null; repositoryFullName: string | null; cloneUrl: string | null }
  target: { branch: string; sha: string | null }
  author: Person
  url: string | null
}

export type TamerEvent = PushEvent | PullRequestEvent

/** What a cap left out: how many were kept, how many were not, and which setting said so. */
export interface Skipped {
  kept: number
  skipped: number
  reason: string
}

/**
 * What a delivery came to: events to act on, a ping, or something Tamer does not act on.
 * `skipped`: events beyond pipeline.maxEventsPerDelivery, not stored (the raw body still is).
 */
export type Normalized =
  | { kind: 'events'; events: TamerEvent[]; skipped?: Skipped }
  | { kind: 'ping'; note: string }
  | { kind: 'ignored'; reason: string }

export const ZERO_SHA = '0000000000000000000000000000000000000000'

/** A full commit id: 40 hex digits, or 64 in SHA-256 repositories. The only revisions git and Jenkins get. */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i
