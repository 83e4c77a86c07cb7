// The branch registry (issue #14): every repository's branches, kept from pushes and from the
// remote, with their head; and the last slot each schedule ran. Interface only (see builds.ts).
import type { ProviderName } from '../events/model.js'

export interface RepositoryKey {
  tenant: string
  provider: ProviderName
  /** `owner/name` as the host spells it. */
  repository: string
}

export interface BranchHead {
  commitSha: string | null
  authorName: string | null
  authorEmail: string | null
  /** The head commit's time as git or the host says, ISO 8601. */
  committedAt: string | null
}

/** One change the registry learns of: a push (created, updated or deleted) or a branch the remote shows. */
export interface BranchChange extends RepositoryKey, BranchHead {
  branch: string
  deleted: boolean
  /** When Tamer learned of it (a push's receivedAt): "most recently pushed" orders by this. */
  at: string
  /** The repository's default branch, where the host says. */
  defaultBranch: string | null
}

export interface RepositoryRecord extends RepositoryKey {
  seq: number
  defaultBranch: string | null
  /** Live branches. */
  branches: number
  /** The last time the remote was listed (`git ls-remote` through the mirror), or null. */
  syncedAt: string | null
  updatedAt: string
}

export interface BranchRecord extends RepositoryKey, BranchHead {
  seq: number
  branch: string
  /** `push` or `remote`: what told Tamer last. */
  source: 'push' | 'remote'
  pushedAt: string
  deletedAt: string | null
  updatedAt: string
}

/** The last build of one rule on one branch. */
export interface BranchBuild {
  rule: string
  buildId: string
  job: string
  state: string
  result: string | null
  commitSha: string | null
  createdAt: string
}

export interface RepositoryQuery {
  tenants?: readonly string[]
  before?: number
  limit: number
}

export interface BranchQuery {
  repository: string
  provider?: ProviderName
  /** `live` (default in the API) or `deleted`. */
  state?: 'live' | 'deleted'
  tenants?: readonly string[]
  before?: number
  limit: number
}

/** What a listing of the remote found: every live branch (the ones missing are deleted). */
export interface RemoteListing extends RepositoryKey {
  defaultBranch: string | null
  branches: (BranchHead & { branch: string })[]
  at: string
}

export interface BranchStore {
  /**
   * Applies pushes in order and moves the registry's cursor over the deliveries they came from (one transaction).
   * Returns the repositories whose set of live branches changed (branches appeared or disappeared).
   */
  applyBranchChanges(changes: readonly BranchChange[], cursor: number | null): Promise<RepositoryKey[]>
  /** Replaces a repository's live branches with what the remote lists; returns whether the set changed. */
  applyRemoteListing(listing: RemoteListing): Promise<boolean>
  /** The seq of the last delivery whose pushes the registry took. */
  branchCursor(): Promise<number>
  /** Deliveries after `seq`, oldest first: the registry reads their pushes. */
  deliveriesAfter(seq: number, limit: number): Promise<import('./store.js').StoredDelivery[]>
  /** The same deliveries' seq and id only (the registry has the pushes of those it was told of). */
  deliveryIdsAfter(seq: number, limit: number): Promise<{ seq: number; id: string }[]>
  /** Most recently changed first. */
  listRepositories(q: RepositoryQuery): Promise<RepositoryRecord[]>
  /** The repositories of this name (one per tenant and provider, normally one). */
  findRepositories(repository: string): Promise<RepositoryRecord[]>
  listBranches(q: BranchQuery): Promise<BranchRecord[]>
  getBranch(key: RepositoryKey, branch: string): Promise<BranchRecord | null>
  /** Live branches for a job's choice list: the default branch first, then most recently pushed. */
  branchChoices(key: RepositoryKey, limit: number): Promise<string[]>
  /** The last build per rule of each of these branches. */
  lastBuilds(key: RepositoryKey, branches: readonly string[]): Promise<Map<string, BranchBuild[]>>
  /** The templated jobs that built this repository, for rewriting their choice lists. */
  jobsOf(key: RepositoryKey): Promise<{ job: string; template: string }[]>
  /** The last slot (ISO time) each schedule ran, by schedule key. */
  scheduleSlot(key: string): Promise<string | null>
  /** Records that `slot` ran; never moves back (false when a later slot is recorded already). */
  recordScheduleSlot(key: string, slot: string): Promise<boolean>
}
