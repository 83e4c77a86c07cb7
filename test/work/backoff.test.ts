// The one backoff of durable work (Jenkins calls in pipeline/steps.ts, notices in notify/outbox.ts):
// doubling from the base after each failed attempt, capped at the maximum.
import t from 'tap'
import { backoffMs } from '../../src/work/backoff.js'

t.test('doubles from the base with each attempt', async (t) => {
  const d = { retryBaseMs: 1_000, retryMaxMs: 300_000 }
  t.same(
    [1, 2, 3, 4, 5].map((n) => backoffMs(d, n)),
    [1_000, 2_000, 4_000, 8_000, 16_000],
  )
})

t.test('never longer than the maximum', async (t) => {
  const d = { retryBaseMs: 1_000, retryMaxMs: 5_000 }
  t.equal(backoffMs(d, 3), 4_000)
  t.equal(backoffMs(d, 4), 5_000)
  t.equal(backoffMs(d, 1_000), 5_000, 'no overflow to Infinity or NaN past the cap')
})

t.test('no attempt yet waits the base, not less', async (t) => {
  const d = { retryBaseMs: 500, retryMaxMs: 60_000 }
  t.equal(backoffMs(d, 0), 500)
  t.equal(backoffMs(d, -3), 500)
})
