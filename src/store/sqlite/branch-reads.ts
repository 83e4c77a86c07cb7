// Branch registry reads, on the main thread (WAL readers never wait for the writer).
import type { Database } from 'better-sqlite3'
import type {
  BranchBuild,
  BranchQuery,
  BranchRecord,
  BranchStore,
  RepositoryKey,
  RepositoryQuery,
  RepositoryRecord,
} from '../branches.js'
import type { StoredDelivery } from '../store.js'
import { toBranchBuild, type LastBuildRow } from '../build-rows.js'
import { createPageQuery } from './page-query.js'
import { BRANCH_PAGES, REPOSITORY_PAGES } from './page-lists.js'

interface RepoRow {
  seq: number
  tenant: string
  provider: string
  repository: string
  default_branch: string | null
  synced_at: string | null
  updated_at: string
}

interface BranchRow {
  seq: number
  tenant: string
  provider: string
  repository: string
  branch: string
  state: string
  commit_sha: string | null
  author_name: string | null
  author_email: string | null
  committed_at: string | null
  source: string
  pushed_at: string
  deleted_at: string | null
  updated_at: string
}

export const toBranch = (r: BranchRow): BranchRecord => ({
  seq: r.seq,
  tenant: r.tenant,
  provider: r.provider as BranchRecord['provider'],
  repository: r.repository,
  branch: r.branch,
  commitSha: r.commit_sha,
  authorName: r.author_name,
  authorEmail: r.author_email,
  committedAt: r.committed_at,
  source: r.source as BranchRecord['source'],
  pushedAt: r.pushed_at,
  deletedAt: r.deleted_at,
  updatedAt: r.updated_at,
})

export type BranchReads = Omit<BranchStore, 'applyBranchChanges' | 'applyRemoteListing' | 'recordScheduleSlot'>

export function createBranchReads(
  db: Database,
  toDelivery: (row: never) => StoredDelivery,
  deliveryColumns: string,
): BranchReads {
  const pageOfRepos = createPageQuery(db, REPOSITORY_PAGES)
  const pageOfBranches = createPageQuery(db, BRANCH_PAGES)
  const liveCount = db
    .prepare(
      `SELECT count(*) FROM branches INDEXED BY branches_repository_state_seq
       WHERE repository = ? AND state = 'live' AND tenant = ? AND provider = ?`,
    )
    .pluck()
  const byName = db.prepare('SELECT * FROM repositories WHERE repository = ? ORDER BY seq DESC')
  const one = db.prepare('SELECT * FROM branches WHERE tenant = ? AND provider = ? AND repository = ? AND branch = ?')
  const choices = db
    .prepare(
      `SELECT branch FROM branches WHERE repository = ? AND state = 'live' AND tenant = ? AND provider = ?
       ORDER BY branch = ? DESC, pushed_at DESC, branch LIMIT ?`,
    )
    .pluck()
  const latest = db.prepare(
    `SELECT b.rule, b.id, b.job, b.state, b.result, b.commit_sha, b.created_at FROM builds b
     JOIN (SELECT rule, max(seq) AS seq FROM builds WHERE repository = ? AND branch = ? AND tenant = ? AND provider = ?
           GROUP BY rule) AS last ON last.seq = b.seq
     ORDER BY b.rule`,
  )
  const jobs = db.prepare(
    `SELECT DISTINCT job, template FROM builds WHERE repository = ? AND tenant = ? AND provider = ?
     AND template IS NOT NULL ORDER BY job`,
  )
  const cursor = db.prepare('SELECT delivery_seq FROM branch_cursor WHERE id = 1').pluck()
  const after = db.prepare(`SELECT ${deliveryColumns} FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?`)
  const idsAfter = db.prepare('SELECT seq, id FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?')
  const slot = db.prepare('SELECT slot FROM schedule_slots WHERE key = ?').pluck()

  const toRepo = (r: RepoRow): RepositoryRecord => ({
    seq: r.seq,
    tenant: r.tenant,
    provider: r.provider as RepositoryRecord['provider'],
    repository: r.repository,
    defaultBranch: r.default_branch,
    branches: liveCount.get(r.repository, r.tenant, r.provider) as number,
    syncedAt: r.synced_at,
    updatedAt: r.updated_at,
  })
  const defaultOf = (k: RepositoryKey) =>
    (byName.all(k.repository) as RepoRow[]).find((r) => r.tenant === k.tenant && r.provider === k.provider)
      ?.default_branch ?? null

  return {
    async branchCursor() {
      return (cursor.get() as number | undefined) ?? 0
    },
    async deliveriesAfter(seq, limit) {
      return (after.all(seq, limit) as never[]).map(toDelivery)
    },
    async deliveryIdsAfter(seq, limit) {
      return idsAfter.all(seq, limit) as { seq: number; id: string }[]
    },
    async listRepositories(q: RepositoryQuery) {
      return (pageOfRepos(q) as RepoRow[]).map(toRepo)
    },
    async findRepositories(repository) {
      return (byName.all(repository) as RepoRow[]).map(toRepo)
    },
    async listBranches(q: BranchQuery) {
      return (pageOfBranches(q) as BranchRow[]).map(toBranch)
    },
    async getBranch(k, name) {
      const r = one.get(k.tenant, k.provider, k.repository, name) as BranchRow | undefined
      return r ? toBranch(r) : null
    },
    async branchChoices(k, limit) {
      return choices.all(k.repository, k.tenant, k.provider, defaultOf(k) ?? '', limit) as string[]
    },
    async lastBuilds(k, names) {
      const out = new Map<string, BranchBuild[]>()
      for (const name of names)
        out.set(name, (latest.all(k.repository, name, k.tenant, k.provider) as LastBuildRow[]).map(toBranchBuild))
      return out
    },
    async jobsOf(k) {
      return jobs.all(k.repository, k.tenant, k.provider) as { job: string; template: string }[]
    },
    async scheduleSlot(key) {
      return (slot.get(key) as string | undefined) ?? null
    },
  }
}
