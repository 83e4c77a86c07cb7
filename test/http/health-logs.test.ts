// Issue #11, item 10: Kubernetes probes every few seconds must not flood the log. A healthy
// /healthz or /readyz writes no line; a failed readiness probe still logs its error.
import t from 'tap'
import { startTestApp } from '../support/app.js'
import { until } from '../support/until.js'

t.test('healthy probes log nothing; a failed readiness probe is logged', async (t) => {
  const h = await startTestApp(t)
  const start = h.logs.length
  for (let i = 0; i < 3; i++) {
    t.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
    t.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  }
  // A request that is logged, after the probes: once its line is there, any probe line would be too.
  await h.app.inject({ method: 'GET', url: '/not-a-probe-marker' })
  const marker = await until('the marker request in the log', () =>
    h.logs.slice(start).find((l) => l.includes('/not-a-probe-marker')),
  )
  const markerReq = (JSON.parse(marker) as { reqId: string }).reqId
  const others = h.logs.slice(start).filter((l) => (JSON.parse(l) as { reqId?: string }).reqId !== markerReq)
  t.same(others, [], 'no line for six healthy probes')

  await h.store.close()
  const before = h.logs.length
  const down = await h.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(down.statusCode, 503)
  const failed = await until('the failed probe in the log', () =>
    h.logs.slice(before).find((l) => /"level":50/.test(l)),
  )
  t.match(
    JSON.parse(failed),
    { level: 50, err: { code: 'TAMER_STORE_UNAVAILABLE' } },
    'the failure is logged as an error, with its code',
  )
})
