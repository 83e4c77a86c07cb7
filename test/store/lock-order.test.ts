// The writer's lock order (issue #16): every op but the branch ops by kind and by the row each locks, then
// the branch passes that take the branch cursor, then the other branch ops; one row's writes keep their order.
import t from 'tap'
import { inLockOrder } from '../../src/store/postgres/lock-order.js'
import type { WriteOp } from '../../src/store/sqlite/writer.js'

const decide = (buildId: string) =>
  ({
    op: 'notice-decide',
    decision: { buildId, threadKey: 'x', outcome: null, notified: false, reason: '', decidedAt: 1 },
    notices: [],
    at: '',
  }) as WriteOp
const pass = (cursor: number | null) => ({ op: 'branch-apply', changes: [], cursor, at: '' }) as WriteOp
const update = (id: string, state: string) => ({ op: 'update', id, patch: { state }, at: '' }) as unknown as WriteOp

t.test(
  "by kind and row, the cursor's branch passes after, other branch ops last; one row keeps its order",
  async (t) => {
    const ops = [
      decide('b'),
      update('x', 'running'),
      pass(null),
      decide('a'),
      pass(7),
      update('w', 'done'),
      update('x', 'done'),
    ].map((op, i) => ({ op, i }))
    t.same(
      inLockOrder(ops).map((p) => p.i),
      [3, 0, 5, 1, 6, 4, 2],
    )
  },
)
