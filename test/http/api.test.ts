// The read API: bearer tokens, tenant scopes, pagination, secrets removed; health probes.
import t from 'tap'
import { SECRETS, startTestApp, testConfig, type TestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import { signedGitHub, signedGitLab } from '../support/sign.js'

const auth = (token = SECRETS.api) => ({ authorization: `Bearer ${token}` })

async function seed(h: TestApp) {
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const repo = { ...P.githubPush().repository, full_name: i < 2 ? 'risk-team/score' : 'acme-ds/churn-model' }
    const d = signedGitHub('push', P.githubPush({ repository: repo, after: `${i}`.padStart(40, 'e') }))
    ids.push(
      (await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })).json().id,
    )
  }
  const gl = signedGitLab('Push Hook', P.gitlabPush())
  ids.push(
    (await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: gl.headers, payload: gl.body })).json().id,
  )
  return ids
}

t.test('bearer token required', async (t) => {
  const h = await startTestApp(t)
  for (const headers of [{}, auth('wrong-token-123'), { authorization: SECRETS.api }, { authorization: 'Basic abc' }]) {
    const res = await h.app.inject({ method: 'GET', url: '/api/deliveries', headers })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'TAMER_UNAUTHORIZED')
  }
  t.equal((await h.app.inject({ method: 'GET', url: '/api/deliveries/x', headers: {} })).statusCode, 401)
})

t.test('list, filter, paginate, read one', async (t) => {
  const h = await startTestApp(t)
  const ids = await seed(h)
  const all = await h.app.inject({ method: 'GET', url: '/api/deliveries', headers: auth() })
  t.equal(all.statusCode, 200)
  t.same(
    all.json().items.map((d: { id: string }) => d.id),
    [...ids].reverse(),
  )
  t.equal(all.json().nextCursor, null)

  const page1 = (await h.app.inject({ method: 'GET', url: '/api/deliveries?limit=4', headers: auth() })).json()
  t.equal(page1.items.length, 4)
  const page2 = (
    await h.app.inject({ method: 'GET', url: `/api/deliveries?limit=4&cursor=${page1.nextCursor}`, headers: auth() })
  ).json()
  t.same(
    [...page1.items, ...page2.items].map((d: { id: string }) => d.id),
    [...ids].reverse(),
  )
  t.equal(page2.nextCursor, null)

  const gitlab = (await h.app.inject({ method: 'GET', url: '/api/deliveries?provider=gitlab', headers: auth() })).json()
  t.same(
    gitlab.items.map((d: { id: string }) => d.id),
    [ids[5]],
  )
  const repo = (
    await h.app.inject({ method: 'GET', url: '/api/deliveries?repository=risk-team/score', headers: auth() })
  ).json()
  t.equal(repo.items.length, 2)
  const status = (await h.app.inject({ method: 'GET', url: '/api/deliveries?status=pending', headers: auth() })).json()
  t.equal(status.items.length, 6)
  t.equal((await h.app.inject({ method: 'GET', url: '/api/deliveries?status=bogus', headers: auth() })).statusCode, 400)
  t.equal((await h.app.inject({ method: 'GET', url: '/api/deliveries?limit=0', headers: auth() })).statusCode, 400)

  const one = await h.app.inject({ method: 'GET', url: `/api/deliveries/${ids[5]}`, headers: auth() })
  t.equal(one.statusCode, 200)
  const body = one.json()
  t.match(body, {
    id: ids[5],
    provider: 'gitlab',
    eventType: 'Push Hook',
    status: 'pending',
    repository: 'mike/diaspora',
    normalized: { kind: 'events', events: [{ kind: 'push', after: P.SHA_B }] },
  })
  t.equal(body.headers['x-gitlab-event'], 'Push Hook')
  t.notOk(JSON.stringify(body).includes(SECRETS.gitlab), 'the GitLab token is not in the answer')
  t.notOk(Object.keys(body.headers).some((k) => /token|signature/.test(k)))
  const missing = await h.app.inject({
    method: 'GET',
    url: '/api/deliveries/00000000-0000-0000-0000-000000000000',
    headers: auth(),
  })
  t.equal(missing.statusCode, 404)
})

t.test('a token scoped to a tenant sees only that tenant', async (t) => {
  const config = testConfig({
    tenants: [{ name: 'risk', repositories: ['risk-team/**'] }],
    api: { tokens: [SECRETS.api, { token: 'risk-only-token', tenants: ['risk'] }] },
  })
  const h = await startTestApp(t, { config })
  const ids = await seed(h)
  const list = (await h.app.inject({ method: 'GET', url: '/api/deliveries', headers: auth('risk-only-token') })).json()
  t.same(
    list.items.map((d: { id: string }) => d.id),
    [ids[1], ids[0]],
  )
  t.ok(list.items.every((d: { tenant: string }) => d.tenant === 'risk'))
  t.equal(
    (await h.app.inject({ method: 'GET', url: `/api/deliveries/${ids[3]}`, headers: auth('risk-only-token') }))
      .statusCode,
    404,
    'another tenant reads as missing',
  )
  t.equal(
    (await h.app.inject({ method: 'GET', url: `/api/deliveries/${ids[0]}`, headers: auth('risk-only-token') }))
      .statusCode,
    200,
  )
})

t.test('healthz and readyz', async (t) => {
  const h = await startTestApp(t)
  t.same((await h.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
  t.same((await h.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' })
  await h.store.close()
  const down = await h.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(down.statusCode, 503)
  t.equal(down.json().code, 'TAMER_STORE_UNAVAILABLE')
})

t.test('unknown routes are a JSON 404', async (t) => {
  const h = await startTestApp(t)
  const res = await h.app.inject({ method: 'POST', url: '/hooks/svn' })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'TAMER_NOT_FOUND')
})

t.test("a list item's kind is its stored events' kind, read from its status", async (t) => {
  const h = await startTestApp(t)
  const ids = await seed(h)
  for (const [event, payload] of [
    ['ping', P.githubPing()],
    ['issues', { action: 'opened', repository: P.githubPush().repository }],
  ] as const) {
    const d = signedGitHub(event, payload)
    ids.push(
      (await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })).json().id,
    )
  }
  const items = (await h.app.inject({ method: 'GET', url: '/api/deliveries', headers: auth() })).json().items as {
    id: string
    kind: string
  }[]
  t.same(
    items.map((d) => d.kind),
    ['ignored', 'ping', 'events', 'events', 'events', 'events', 'events', 'events'],
  )
  for (const item of items) {
    const one = (await h.app.inject({ method: 'GET', url: `/api/deliveries/${item.id}`, headers: auth() })).json()
    t.equal(item.kind, one.normalized.kind, item.id)
    t.equal(one.kind, one.normalized.kind)
  }
})
