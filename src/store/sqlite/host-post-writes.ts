// Host post writes (issue #13), run on the writer thread inside its transactions (see writer.ts).
import type { Database } from 'better-sqlite3'
import { POST_PATCH_COLUMNS, postPatchValue } from '../patch-columns.js'
import type { HostPostPatch, HostPostState, NewHostPost } from '../host-posts.js'

export type HostPostWriteOp =
  | { op: 'post-record'; posts: NewHostPost[]; at: string }
  | { op: 'post-update'; id: string; from: HostPostState; patch: HostPostPatch; at: string }
  | { op: 'post-resume'; at: string }

/** record → how many were new; update → moved; resume → how many. */
export type HostPostWriteResult = boolean | number

export function isHostPostWrite(op: { op: string }): op is HostPostWriteOp {
  return op.op.startsWith('post-')
}

const COLUMN = POST_PATCH_COLUMNS

export function createHostPostWrites(db: Database): (op: HostPostWriteOp) => HostPostWriteResult {
  const insert = db.prepare(
    `INSERT INTO host_posts (id, build_id, tenant, provider, repository, kind, target, version, payload, credential,
       state, attempts, created_at, updated_at)
     VALUES (@id, @buildId, @tenant, @provider, @repository, @kind, @target, @version, @payload, @credential,
       'pending', 0, @at, @at)
     ON CONFLICT (provider, repository, target, version) DO NOTHING`,
  )
  const resume = db.prepare(
    `UPDATE host_posts SET state = 'pending', next_attempt_at = NULL, updated_at = ? WHERE state = 'sending'`,
  )
  const updates = new Map<string, ReturnType<Database['prepare']>>()
  return (op) => {
    if (op.op === 'post-record') {
      let n = 0
      for (const p of op.posts) n += insert.run({ ...p, payload: JSON.stringify(p.payload), at: op.at }).changes
      return n
    }
    if (op.op === 'post-resume') return resume.run(op.at).changes
    const keys = (Object.keys(op.patch) as (keyof HostPostPatch)[]).filter((k) => op.patch[k] !== undefined).sort()
    const sig = keys.join(',')
    let stmt = updates.get(sig)
    if (!stmt) {
      const sets = keys.map((k) => `${COLUMN[k]} = @${k}`)
      stmt = db.prepare(
        `UPDATE host_posts SET ${[...sets, 'updated_at = @at'].join(', ')} WHERE id = @id AND state = @from`,
      )
      updates.set(sig, stmt)
    }
    const values: Record<string, unknown> = { id: op.id, from: op.from, at: op.at }
    for (const k of keys) values[k] = postPatchValue(k, op.patch[k])
    return stmt.run(values).changes > 0
  }
}
