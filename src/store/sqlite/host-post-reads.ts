// Host post reads (issue #13), on the main thread.
import type { Database } from 'better-sqlite3'
import type { HostPostRecord, HostPostStore } from '../host-posts.js'

interface Row {
  seq: number
  id: string
  build_id: string | null
  tenant: string
  provider: string
  repository: string
  kind: string
  target: string
  version: number
  payload: string
  credential: string
  state: string
  attempts: number
  next_attempt_at: number | null
  last_error: string | null
  answer: string | null
  created_at: string
  updated_at: string
}

export function toPost(r: Row): HostPostRecord {
  return {
    seq: r.seq,
    id: r.id,
    buildId: r.build_id,
    tenant: r.tenant,
    provider: r.provider,
    repository: r.repository,
    kind: r.kind as HostPostRecord['kind'],
    target: r.target,
    version: r.version,
    payload: JSON.parse(r.payload),
    credential: r.credential,
    state: r.state as HostPostRecord['state'],
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    answer: r.answer === null ? null : JSON.parse(r.answer),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export function createHostPostReads(
  db: Database,
): Pick<HostPostStore, 'dueHostPosts' | 'newestHostPostVersion' | 'hostPostsOfBuild'> {
  const due = db.prepare(
    `SELECT * FROM host_posts WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
     ORDER BY seq LIMIT ?`,
  )
  const next = db
    .prepare(`SELECT MIN(next_attempt_at) FROM host_posts WHERE state = 'pending' AND next_attempt_at > ?`)
    .pluck()
  const newest = db
    .prepare(
      `SELECT MAX(version) FROM host_posts WHERE provider = ? AND repository = ? AND target = ?
       AND state IN ('pending', 'sending', 'sent')`,
    )
    .pluck()
  const ofBuild = db.prepare(`SELECT * FROM host_posts WHERE build_id = ? ORDER BY seq`)
  return {
    async dueHostPosts(now, limit) {
      return { due: (due.all(now, limit) as Row[]).map(toPost), nextAt: (next.get(now) as number | null) ?? null }
    },
    async newestHostPostVersion(provider, repository, target) {
      return (newest.get(provider, repository, target) as number | null) ?? null
    },
    async hostPostsOfBuild(buildId) {
      return (ofBuild.all(buildId) as Row[]).map(toPost)
    },
  }
}
