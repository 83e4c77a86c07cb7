// Branch registry writes, run on the writer thread inside its transactions (see writer.ts).
// A changed row is deleted and inserted again, so it takes a new seq: the API's newest-first pages
// (page-query.ts) are most recently changed first.
import type { Database } from 'better-sqlite3'
import type { BranchChange, BranchHead, RemoteListing, RepositoryKey } from '../branches.js'

export type BranchWriteOp =
  | { op: 'branch-apply'; changes: readonly BranchChange[]; cursor: number | null; at: string }
  | { op: 'branch-listing'; listing: RemoteListing; at: string }
  | { op: 'branch-slot'; key: string; slot: string; at: string }

/** apply → repositories whose live branches changed; listing → whether they changed; slot → recorded. */
export type BranchWriteResult = RepositoryKey[] | boolean

export function isBranchWrite(op: { op: string }): op is BranchWriteOp {
  return op.op.startsWith('branch-')
}

interface BranchRow {
  seq: number
  state: string
  commit_sha: string | null
  pushed_at: string
}

export function createBranchWrites(db: Database): (op: BranchWriteOp) => BranchWriteResult {
  const repo = db.prepare(
    'SELECT default_branch, synced_at FROM repositories WHERE tenant = ? AND provider = ? AND repository = ?',
  )
  const dropRepo = db.prepare('DELETE FROM repositories WHERE tenant = ? AND provider = ? AND repository = ?')
  const insertRepo = db.prepare(
    `INSERT INTO repositories (tenant, provider, repository, default_branch, synced_at, updated_at)
     VALUES (@tenant, @provider, @repository, @defaultBranch, @syncedAt, @at)`,
  )
  const branch = db.prepare(
    `SELECT seq, state, commit_sha, pushed_at FROM branches
     WHERE tenant = ? AND provider = ? AND repository = ? AND branch = ?`,
  )
  const live = db.prepare(
    `SELECT branch FROM branches WHERE tenant = ? AND provider = ? AND repository = ? AND state = 'live'`,
  )
  const dropBranch = db.prepare('DELETE FROM branches WHERE seq = ?')
  const insertBranch = db.prepare(
    `INSERT INTO branches (tenant, provider, repository, branch, state, commit_sha, author_name, author_email,
       committed_at, source, pushed_at, deleted_at, updated_at)
     VALUES (@tenant, @provider, @repository, @branch, @state, @commitSha, @authorName, @authorEmail,
       @committedAt, @source, @pushedAt, @deletedAt, @at)`,
  )
  const markDeleted = db.prepare(
    `UPDATE branches SET state = 'deleted', deleted_at = @at, updated_at = @at WHERE seq = @seq`,
  )
  const cursor = db.prepare(
    `INSERT INTO branch_cursor (id, delivery_seq) VALUES (1, ?)
     ON CONFLICT (id) DO UPDATE SET delivery_seq = max(delivery_seq, excluded.delivery_seq)`,
  )
  const slot = db.prepare(
    `INSERT INTO schedule_slots (key, slot, updated_at) VALUES (@key, @slot, @at)
     ON CONFLICT (key) DO UPDATE SET slot = excluded.slot, updated_at = excluded.updated_at
     WHERE excluded.slot > schedule_slots.slot`,
  )

  const keyArgs = (k: RepositoryKey) => [k.tenant, k.provider, k.repository] as const
  const keyOf = (c: RepositoryKey): RepositoryKey => ({
    tenant: c.tenant,
    provider: c.provider,
    repository: c.repository,
  })

  /** The repository row, taken to the top (new seq), its default branch kept unless a new one is known. */
  function touchRepo(k: RepositoryKey, at: string, defaultBranch: string | null, synced = false): void {
    const old = repo.get(...keyArgs(k)) as { default_branch: string | null; synced_at: string | null } | undefined
    dropRepo.run(...keyArgs(k))
    insertRepo.run({
      ...k,
      defaultBranch: defaultBranch ?? old?.default_branch ?? null,
      syncedAt: synced ? at : (old?.synced_at ?? null),
      at,
    })
  }

  function put(
    k: RepositoryKey,
    name: string,
    head: BranchHead,
    source: 'push' | 'remote',
    pushedAt: string,
    at: string,
  ): void {
    insertBranch.run({
      ...k,
      branch: name,
      state: 'live',
      commitSha: head.commitSha,
      authorName: head.authorName,
      authorEmail: head.authorEmail,
      committedAt: head.committedAt,
      source,
      pushedAt,
      deletedAt: null,
      at,
    })
  }

  function putDeleted(k: RepositoryKey, c: BranchChange, at: string): void {
    insertBranch.run({
      ...k,
      branch: c.branch,
      state: 'deleted',
      commitSha: null,
      authorName: null,
      authorEmail: null,
      committedAt: null,
      source: 'push',
      pushedAt: c.at,
      deletedAt: c.at,
      at,
    })
  }

  function applyOne(c: BranchChange, at: string): boolean {
    const k: RepositoryKey = { tenant: c.tenant, provider: c.provider, repository: c.repository }
    const old = branch.get(...keyArgs(k), c.branch) as BranchRow | undefined
    touchRepo(k, at, c.defaultBranch)
    if (c.deleted) {
      if (old?.state === 'deleted') return false
      if (old) dropBranch.run(old.seq)
      putDeleted(k, c, at)
      return old !== undefined
    }
    if (old) dropBranch.run(old.seq)
    put(k, c.branch, c, 'push', c.at, at)
    return old?.state !== 'live'
  }

  /**
   * A commit's pushes (one op per pass of the registry, a burst's pushes to a branch in one) with each branch's and
   * each repository's row written once, as the last push left it: per push, a repository's and a branch's rows were
   * each read, deleted and inserted again (issue #12). What changed is worked out push by push, as applyOne would;
   * rows are written in the order of their last change, so their seqs order as if applied one by one.
   */
  function applyAll(changes: readonly BranchChange[], at: string): RepositoryKey[] {
    if (changes.length === 1) return applyOne(changes[0]!, at) ? [keyOf(changes[0]!)] : []
    const repos = new Map<string, { key: RepositoryKey; defaultBranch: string | null; last: number }>()
    type Walk = {
      key: RepositoryKey
      old: BranchRow | undefined
      state: string | undefined
      /** Its last change that writes, and that change's place (the row's seq follows it). */
      last: BranchChange | null
      order: number
    }
    const branches = new Map<string, Walk>()
    const changed = new Map<string, RepositoryKey>()
    changes.forEach((c, i) => {
      const rk = `${c.tenant}\n${c.provider}\n${c.repository}`
      let r = repos.get(rk)
      if (!r) repos.set(rk, (r = { key: keyOf(c), defaultBranch: null, last: i }))
      r.defaultBranch = c.defaultBranch ?? r.defaultBranch
      r.last = i
      let b = branches.get(`${rk}\n${c.branch}`)
      if (!b) {
        const old = branch.get(...keyArgs(r.key), c.branch) as BranchRow | undefined
        branches.set(`${rk}\n${c.branch}`, (b = { key: r.key, old, state: old?.state, last: null, order: i }))
      }
      // applyOne's answers: a delete of a deleted branch writes nothing.
      if (c.deleted && b.state === 'deleted') return
      const did = c.deleted ? b.state !== undefined : b.state !== 'live'
      b.state = c.deleted ? 'deleted' : 'live'
      b.last = c
      b.order = i
      if (did) changed.set(rk, r.key)
    })
    for (const r of [...repos.values()].sort((x, y) => x.last - y.last)) touchRepo(r.key, at, r.defaultBranch)
    for (const b of [...branches.values()].sort((x, y) => x.order - y.order)) {
      const c = b.last
      if (c === null) continue
      if (b.old) dropBranch.run(b.old.seq)
      if (!c.deleted) put(b.key, c.branch, c, 'push', c.at, at)
      else putDeleted(b.key, c, at)
    }
    return [...changed.values()]
  }

  function applyListing(l: RemoteListing, at: string): boolean {
    const k: RepositoryKey = { tenant: l.tenant, provider: l.provider, repository: l.repository }
    touchRepo(k, at, l.defaultBranch, true)
    let changed = false
    const listed = new Set(l.branches.map((b) => b.branch))
    for (const b of l.branches) {
      const old = branch.get(...keyArgs(k), b.branch) as BranchRow | undefined
      if (old?.state === 'live' && old.commit_sha === b.commitSha) continue
      if (old) dropBranch.run(old.seq)
      // A branch first seen on the remote was pushed when its head was made, as far as Tamer knows.
      const pushedAt = old?.state === 'live' ? old.pushed_at : (b.committedAt ?? l.at)
      put(k, b.branch, b, 'remote', pushedAt, at)
      if (old?.state !== 'live') changed = true
    }
    for (const { branch: name } of live.all(...keyArgs(k)) as { branch: string }[]) {
      if (listed.has(name)) continue
      const old = branch.get(...keyArgs(k), name) as BranchRow
      markDeleted.run({ seq: old.seq, at })
      changed = true
    }
    return changed
  }

  const cursorAt = db.prepare('SELECT delivery_seq FROM branch_cursor WHERE id = 1').pluck()

  return (op) => {
    if (op.op === 'branch-slot') return slot.run({ key: op.key, slot: op.slot, at: op.at }).changes > 0
    if (op.op === 'branch-listing') return applyListing(op.listing, op.at)
    // Changes of deliveries the cursor has passed were applied already (as on PostgreSQL, where two replicas'
    // passes read the same deliveries): applied again, an older push could bring back a branch deleted since.
    if (op.cursor !== null && Number(cursorAt.get() ?? 0) >= op.cursor) return []
    const changed = applyAll(op.changes, op.at)
    if (op.cursor !== null) cursor.run(op.cursor)
    return changed
  }
}
