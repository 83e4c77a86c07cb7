// The precompute queue on its own: at most `concurrency` diffs at once, the oldest dropped past
// `queueLimit`, each failure logged once with a redacted reason, stop() drops what waits. The
// service here is a recording PushDiffService (the interface precompute talks to); the real
// one, after a real webhook, is in test/http/diffs-stored.test.ts.
import t from 'tap'
import { createDiffPrecompute, redactReason } from '../../src/diffs/precompute.js'
import type { PushDiffService } from '../../src/diffs/service.js'
import { createLogger } from '../../src/logging.js'
import { logSink } from '../support/log-sink.js'
import type { StoredDelivery } from '../../src/store/store.js'

function recordingService(fail: (id: string) => Error | null = () => null) {
  const started: string[] = []
  let active = 0
  let maxActive = 0
  const release: (() => void)[] = []
  const service: PushDiffService = {
    variant: 'test',
    async diffsOf(d) {
      started.push(d.id)
      maxActive = Math.max(maxActive, ++active)
      await new Promise<void>((r) => release.push(r))
      active--
      const err = fail(d.id)
      if (err) throw err
      return []
    },
    ready: () => Promise.reject(new Error('not used by precompute')),
    computing: () => false,
  }
  return {
    service,
    started,
    maxActive: () => maxActive,
    /** Lets every diff that started so far finish. */
    releaseAll: () => release.splice(0).forEach((r) => r()),
  }
}

const deliveries = { getDelivery: async (id: string) => (id === 'missing' ? null : ({ id } as StoredDelivery)) }
const tick = () => new Promise((r) => setImmediate(r))

t.test('at most `concurrency` at once; every queued delivery is diffed', async (t) => {
  const r = recordingService()
  const p = createDiffPrecompute({ service: r.service, deliveries, logger: createLogger('silent'), concurrency: 2 })
  for (const id of ['a', 'b', 'c', 'd', 'e']) p.enqueue(id)
  const idle = p.idle()
  while (r.started.length < 5) {
    await tick()
    r.releaseAll()
  }
  await idle
  t.same(r.started, ['a', 'b', 'c', 'd', 'e'], 'in order')
  t.equal(r.maxActive(), 2)
})

t.test("tenants take turns: one tenant's pile of pushes does not hold another's back", async (t) => {
  const r = recordingService()
  const p = createDiffPrecompute({ service: r.service, deliveries, logger: createLogger('silent'), concurrency: 1 })
  for (const id of ['a1', 'a2', 'a3']) p.enqueue(id, 'alpha')
  p.enqueue('b1', 'beta')
  p.enqueue('b2', 'beta')
  const idle = p.idle()
  while (r.started.length < 5) {
    await tick()
    r.releaseAll()
  }
  await idle
  t.same(r.started, ['a1', 'b1', 'a2', 'b2', 'a3'], 'round robin across tenants, first come first served within one')
})

t.test('past queueLimit the oldest waiting delivery is dropped', async (t) => {
  const r = recordingService()
  const p = createDiffPrecompute({
    service: r.service,
    deliveries,
    logger: createLogger('silent'),
    concurrency: 1,
    queueLimit: 2,
  })
  p.enqueue('running')
  await tick()
  t.same(r.started, ['running'])
  for (const id of ['w1', 'w2', 'w3', 'w4']) p.enqueue(id)
  const idle = p.idle()
  while (r.started.length < 3) {
    r.releaseAll()
    await tick()
  }
  r.releaseAll()
  await idle
  t.same(r.started, ['running', 'w3', 'w4'], 'w1 and w2 were dropped (they are diffed on first view instead)')
})

t.test('a failure is logged once at warn, with the delivery id and no credential', async (t) => {
  const r = recordingService((id) =>
    id === 'bad'
      ? new Error('clone https://deploy:ghp_abcdefghijklmnopqrstuvwxyz0123@git.example.com/x.git: fatal: no')
      : null,
  )
  const { logs, logger } = logSink()
  const p = createDiffPrecompute({ service: r.service, deliveries, logger })
  p.enqueue('good')
  p.enqueue('bad')
  p.enqueue('missing')
  const idle = p.idle()
  while (r.started.length < 2) {
    await tick()
    r.releaseAll()
  }
  r.releaseAll()
  await idle
  t.same(r.started, ['good', 'bad'], 'a delivery no longer stored is skipped')
  t.equal(logs.length, 1)
  const line = JSON.parse(logs[0]!)
  t.match(line, { level: 40, deliveryId: 'bad', reason: 'clone https://****@git.example.com/x.git: fatal: no' })
  t.notMatch(logs[0]!, /ghp_|deploy/)
})

t.test('redactReason: userinfo of any scheme and known token shapes', async (t) => {
  t.equal(
    redactReason(new Error('fetch ssh://git:pw@host/x and https://tok@h/y')),
    'fetch ssh://****@host/x and https://****@h/y',
  )
  t.equal(redactReason(new Error('token glpat-abcdefghijklmnopqrstu leaked')), 'token **** leaked')
  t.equal(redactReason('x'.repeat(900)).length, 500, 'bounded')
})

t.test('stop() drops what waits and waits for what runs; later enqueues are ignored', async (t) => {
  const r = recordingService()
  const p = createDiffPrecompute({ service: r.service, deliveries, logger: createLogger('silent') })
  p.enqueue('a')
  p.enqueue('b')
  await tick()
  let stopped = false
  const stopping = p.stop().then(() => (stopped = true))
  await tick()
  t.notOk(stopped, 'a is still running')
  r.releaseAll()
  await stopping
  p.enqueue('c')
  await tick()
  t.same(r.started, ['a'])
  await p.idle()
})
