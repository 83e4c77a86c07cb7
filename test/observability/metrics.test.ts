// GET /metrics through the real service (composeService on real SQLite, the Jenkins emulator, a real
// SMTP server and chat endpoint): what each unit tells the metrics shows in the scrape.
import t from 'tap'
import { startNotifyHarness } from '../support/notify/harness.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

/** The value of one sample, by name and labels (in any order); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return undefined
}

t.test(
  'a signed delivery, its duplicate and a forged one are counted; the build, its mail and chat post too',
  async (t) => {
    const n = await startNotifyHarness(t, ({ http }) => ({
      channels: [{ name: 'team', type: 'slack', url: `${http.url}/hook` }],
      rules: [{ to: ['lead@example.com'], channels: ['team'] }],
    }))
    const app = n.h.app
    await n.build('FAILURE')
    await n.notifier.drain()
    // The same delivery again (its GUID and body), and one whose signature is wrong.
    const again = signedGitHub('push', githubPush({}), { delivery: 'metrics-dup' })
    await app.inject({ method: 'POST', url: '/hooks/github', headers: again.headers, payload: again.body })
    const dup = await app.inject({ method: 'POST', url: '/hooks/github', headers: again.headers, payload: again.body })
    t.equal(dup.json().duplicate, true)
    const forged = {
      ...again.headers,
      'x-hub-signature-256': 'sha256=' + '0'.repeat(64),
      'x-github-event': 'x'.repeat(500),
    }
    t.equal(
      (await app.inject({ method: 'POST', url: '/hooks/github', headers: forged, payload: again.body })).statusCode,
      401,
    )

    const res = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    const m = res.body
    t.equal(sample(m, 'tamer_deliveries_total', { provider: 'github', event: 'push', outcome: 'stored' }), 2)
    t.equal(sample(m, 'tamer_deliveries_total', { provider: 'github', event: 'push', outcome: 'duplicate' }), 1)
    t.equal(
      sample(m, 'tamer_deliveries_total', { provider: 'github', event: 'unverified', outcome: 'unauthorized' }),
      1,
      'a refusal is counted without its (forged) event header as a label',
    )
    t.notMatch(m, /xxxxxxxx/, 'no label value from an unverified request')
    t.equal(sample(m, 'tamer_intake_duration_seconds_count', { host: 'github', outcome: 'accepted' }), 3)
    t.equal(sample(m, 'tamer_intake_duration_seconds_count', { host: 'github', outcome: 'unauthorized' }), 1)
    t.equal(sample(m, 'tamer_store_commit_duration_seconds_count'), 3, 'every commit (duplicates too) is timed')
    t.equal(sample(m, 'tamer_pipeline_step_duration_seconds_count', { step: 'route', outcome: 'ok' }), 2)
    t.ok((sample(m, 'tamer_pipeline_step_duration_seconds_count', { step: 'trigger', outcome: 'ok' }) ?? 0) >= 1)
    t.ok((sample(m, 'tamer_pipeline_step_duration_seconds_count', { step: 'follow-build', outcome: 'ok' }) ?? 0) >= 1)
    t.ok(
      (sample(m, 'tamer_outbound_request_duration_seconds_count', { peer: 'jenkins', op: 'trigger', outcome: 'ok' }) ??
        0) >= 1,
      "Jenkins' buildWithParameters is timed",
    )
    t.equal(
      sample(m, 'tamer_outbound_request_duration_seconds_count', { peer: 'smtp', op: 'email', outcome: 'sent' }),
      1,
    )
    t.equal(
      sample(m, 'tamer_outbound_request_duration_seconds_count', { peer: 'chat', op: 'slack', outcome: 'sent' }),
      1,
    )
    t.equal(sample(m, 'tamer_dead_letters', { queue: 'notifications' }), 0)
    t.ok((sample(m, 'tamer_process_resident_memory_bytes') ?? 0) > 0, "Node's process metrics")
    t.ok(sample(m, 'tamer_nodejs_eventloop_lag_seconds') !== undefined)
  },
)

t.test('queue depth and the oldest age are read from the store on each scrape', async (t) => {
  const h = await startPipelineApp(t, { io: { hold: ['pipeline', 'notifier'] } })
  const empty = (await h.app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(empty, 'tamer_queue_depth', { queue: 'deliveries', state: 'pending' }), 0)
  t.equal(sample(empty, 'tamer_queue_oldest_age_seconds', { queue: 'deliveries', state: 'pending' }), 0)
  await h.push({}, 'q-1')
  h.clock.advance(30_000)
  await h.push({ after: 'b'.repeat(40) }, 'q-2')
  const m = (await h.app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(m, 'tamer_queue_depth', { queue: 'deliveries', state: 'pending' }), 2, 'held: two wait routing')
  t.equal(sample(m, 'tamer_queue_oldest_age_seconds', { queue: 'deliveries', state: 'pending' }), 30)
  await h.drain()
  const after = (await h.app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(after, 'tamer_queue_depth', { queue: 'deliveries', state: 'pending' }), 0, 'routed')
  t.ok((sample(after, 'tamer_queue_depth', { queue: 'builds', state: 'queued' }) ?? 0) >= 1, 'builds wait at Jenkins')
})

t.test('prometheus.token: /metrics wants that bearer token; prometheus.enabled: false removes the route', async (t) => {
  const h = await startPipelineApp(t, { config: { prometheus: { token: 'scrape-me-0001' } }, jenkins: null })
  t.equal((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  const wrong = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'TAMER_UNAUTHORIZED')
  const ok = await h.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: 'Bearer scrape-me-0001' },
  })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /# TYPE tamer_deliveries_total counter/)
  const off = await startPipelineApp(t, { config: { prometheus: { enabled: false } }, jenkins: null })
  t.equal((await off.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
})

t.test('a signed body re-sent with a made-up event header adds no label value: the header is not signed', async (t) => {
  const h = await startPipelineApp(t, { io: { hold: ['pipeline', 'notifier'] }, jenkins: null })
  const captured = signedGitHub('push', githubPush({}), { delivery: 'label-1' })
  for (const [i, event] of ['x'.repeat(200), 'y'.repeat(200)].entries()) {
    const headers = { ...captured.headers, 'x-github-event': event, 'x-github-delivery': `label-${i + 2}` }
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers, payload: captured.body })
    t.equal(res.statusCode, 202, 'the signature holds: the body is the signed one')
  }
  const m = (await h.app.inject({ method: 'GET', url: '/metrics' })).body
  t.notMatch(m, /xxxxxxxx|yyyyyyyy/, 'no label value from an unsigned header')
  t.equal(sample(m, 'tamer_deliveries_total', { provider: 'github', event: 'ignored', outcome: 'stored' }), 2)
})
