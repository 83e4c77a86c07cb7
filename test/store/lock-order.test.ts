// The writer's lock order (issue #16): a batch's branch pass that takes the branch cursor goes first, the
// rest by kind and by the row each locks; two writes of one row keep their queue order.
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

t.test('the cursor first, then by kind and row; one row keeps its order', async (t) => {
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
    [4, 2, 3, 0, 5, 1, 6],
  )
})
