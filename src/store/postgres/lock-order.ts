// The rows a writer transaction locks, taken in one order by every writer of every replica (issue #16):
// two batches that took the same rows in opposite orders deadlocked (40P01), e.g. one replica's branch
// pass holding the branch cursor and waiting for a build's notice decision the other replica had just
// inserted, while that one waited for the cursor. The branch tables are written by branch ops alone, so
// those go last, the cursor's first among them: a batch waiting for the cursor holds no row its holder
// still needs, and the cursor is held only from its batch's branch work to its commit (taken first, it
// made the two replicas' whole batches wait for each other). A batch's ops are independent (every caller
// awaits a write before the next that depends on it), so they may run in any order; ops of one kind on
// one row keep their queue order (the sort is stable).
// https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-DEADLOCKS
import type { WriteOp } from '../sqlite/writer.js'

/** 0: every op but the branch ops; 1: branch passes that lock the one branch cursor row; 2: other branch ops. */
function stage(op: WriteOp): number {
  if (!op.op.startsWith('branch-')) return 0
  return op.op === 'branch-apply' && op.cursor !== null ? 1 : 2
}

/** The row an op locks first (its key), or '' for ops that lock no row another writer also takes. */
function rowOf(op: WriteOp): string {
  switch (op.op) {
    case 'plan':
      return op.plan.deliveryId
    case 'update':
    case 'notice-update':
    case 'post-update':
      return op.id
    case 'notice-decide':
      return op.decision.buildId
    default:
      return ''
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The batch's ops in lock order: by stage, then by kind and by the row each locks. */
export function inLockOrder<T extends { op: WriteOp }>(ops: T[]): T[] {
  return ops
    .map((p, i) => ({ p, i, stage: stage(p.op), kind: p.op.op, row: rowOf(p.op) }))
    .sort((a, b) => a.stage - b.stage || compare(a.kind, b.kind) || compare(a.row, b.row) || a.i - b.i)
    .map((x) => x.p)
}
