// Issue #12: a delivery's body crosses to the SQLite writer thread in an ArrayBuffer of its own, so it is
// transferred, never cloned. A slice of Node's shared pool (what Fastify's Buffer.concat and Buffer.from leave
// for bodies under Buffer.poolSize / 2) is cloned with the whole of its pool slab (64 KB on Node 24).
import t from 'tap'
import { toWriterRow, transferableBody } from '../../src/store/sqlite/delivery-row.js'
import type { NewDelivery } from '../../src/store/store.js'
import { delivery } from '../store/contract/engines.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

const own = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength

t.test('the writer gets each body as the whole of its own ArrayBuffer, its bytes unchanged', async (t) => {
  // A small push and one of ~7 KB (the bench's).
  const small = githubPush()
  const larger = {
    ...small,
    commits: Array.from({ length: 9 }, (_, i) => ({ ...small.commits[0]!, id: `${i}`.padStart(40, 'f') })),
  }
  const bodies = [small, larger].map((p) => Buffer.from(signedGitHub('push', p).body))
  t.notOk(own(bodies[0]!), 'the small body is a slice of the shared pool, as intake has it')
  t.ok(
    bodies[1]!.length > bodies[0]!.length && bodies[1]!.length < 16 * 1024,
    `bodies of ${bodies.map((b) => b.length)} B`,
  )
  for (const body of bodies) {
    const copy = Buffer.from(body)
    const d: NewDelivery = delivery('k', { body })
    const row = toWriterRow(d, 'id')
    t.ok(own(row.body) && transferableBody(row.body) === row.body.buffer, 'transferable without a clone')
    t.same(Buffer.compare(row.body, copy), 0, 'the same bytes')
  }
  const whole = Buffer.allocUnsafeSlow(8).fill(1)
  t.equal(toWriterRow(delivery('w', { body: whole }), 'id').body, whole, 'a body with its own memory is not copied')
})
