// Rate limits (issue #9, hardening) through the real app: per source IP on hooks and API before
// any work, per token identity on the API, per tenant on accepted deliveries (after the
// signature holds, before anything is stored). A refusal is 429 TAMER_RATE_LIMITED with
// Retry-After; health checks are never limited; the defaults take a real burst.
import t, { type Test } from 'tap'
import { SECRETS, startTestApp, testConfig, type TestApp } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub, type SignedDelivery } from '../support/sign.js'

const TOKEN_A = 'team-a-dashboard-token'
const TOKEN_B = 'team-b-dashboard-token'
const TENANTS = [
  { name: 'team-a', repositories: ['team-a/*'] },
  { name: 'team-b', repositories: ['team-b/*'] },
]
const HIGH = 100_000

function config(rateLimit: Record<string, number>) {
  return testConfig({
    server: {
      logLevel: 'info',
      rateLimit: { hooksPerSource: HIGH, hooksPerTenant: HIGH, apiPerSource: HIGH, apiPerTenant: HIGH, ...rateLimit },
    },
    tenants: TENANTS,
    api: { tokens: [SECRETS.api, { token: TOKEN_A, tenants: ['team-a'] }, { token: TOKEN_B, tenants: ['team-b'] }] },
  })
}

/** A signed push of `owner/name` (its clone URL agrees with the name). */
function pushOf(fullName: string, opts: { secret?: string; delivery?: string } = {}): SignedDelivery {
  const base = githubPush()
  const [owner, name] = fullName.split('/') as [string, string]
  const repository = {
    ...base.repository,
    full_name: fullName,
    name,
    owner: { name: owner, login: owner },
    clone_url: `https://github.com/${fullName}.git`,
    html_url: `https://github.com/${fullName}`,
    url: `https://github.com/${fullName}`,
  }
  return signedGitHub('push', githubPush({ repository }), opts)
}

const post = (h: TestApp, d: SignedDelivery, remoteAddress = '192.0.2.10') =>
  h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body, remoteAddress })
const get = (h: TestApp, url: string, token?: string, remoteAddress = '192.0.2.20') =>
  h.app.inject({ method: 'GET', url, remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {} })
const count = async (h: TestApp) => (await h.store.listDeliveries({ limit: 1000 })).length

function isRateLimited(
  t: Test,
  res: { statusCode: number; headers: Record<string, unknown>; json(): any },
  what: RegExp,
) {
  t.equal(res.statusCode, 429)
  t.match(res.json(), { statusCode: 429, code: 'TAMER_RATE_LIMITED', error: 'Too Many Requests', message: what })
  const after = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After: ${res.headers['retry-after']}`)
}

t.test('hooks per source: counted before any work, per IP; health checks never limited', async (t) => {
  const h = await startTestApp(t, { config: config({ hooksPerSource: 3 }) })
  for (let i = 0; i < 3; i++) t.equal((await post(h, pushOf('team-a/m', { secret: 'wrong-secret' }))).statusCode, 401)
  const flood = await post(h, pushOf('team-a/m'))
  isRateLimited(t, flood, /from this source/)
  t.equal(await count(h), 0, 'the refused delivery is not stored, although it was signed')
  t.equal((await post(h, pushOf('team-a/m'), '198.51.100.7')).statusCode, 202, 'another source is not limited')
  for (let i = 0; i < 20; i++) {
    t.equal((await h.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.10' })).statusCode, 200)
    t.equal((await h.app.inject({ method: 'GET', url: '/readyz', remoteAddress: '192.0.2.10' })).statusCode, 200)
  }
  t.equal((await get(h, '/api/deliveries', SECRETS.api, '192.0.2.10')).statusCode, 200, 'the API has its own budget')
})

t.test(
  'hooks per tenant: verified deliveries only, 429 before storing, accepted again after Retry-After',
  async (t) => {
    const h = await startTestApp(t, { config: config({ hooksPerTenant: 2, windowMs: 4000 }) })
    // Unverified deliveries naming team-a's repository use none of team-a's budget.
    for (let i = 0; i < 5; i++) t.equal((await post(h, pushOf('team-a/m', { secret: 'forged' }))).statusCode, 401)
    t.equal((await post(h, pushOf('team-a/m'))).statusCode, 202)
    t.equal((await post(h, pushOf('team-a/m'), '198.51.100.7')).statusCode, 202, 'from another address too')
    const third = pushOf('team-a/m')
    const refused = await post(h, third)
    isRateLimited(t, refused, /for this tenant/)
    t.equal(await count(h), 2, 'nothing stored for the refused delivery')
    t.equal((await post(h, pushOf('team-b/m'))).statusCode, 202, 'another tenant is not limited')
    // The host redelivers later, the same delivery: accepted once the window has passed.
    const until = Date.now() + 20_000
    let again = await post(h, third)
    while (again.statusCode === 429 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100))
      again = await post(h, third)
    }
    t.equal(again.statusCode, 202, 'the redelivery is accepted after Retry-After')
    t.equal(await count(h), 4)
  },
)

t.test('API per source: counted before authentication; per token identity: after it', async (t) => {
  const h = await startTestApp(t, { config: config({ apiPerSource: 3 }) })
  for (let i = 0; i < 3; i++) t.equal((await get(h, '/api/deliveries', 'not-a-valid-token')).statusCode, 401)
  isRateLimited(t, await get(h, '/api/deliveries', SECRETS.api), /from this source/)
  isRateLimited(t, await get(h, '/no/such/route'), /from this source/)
  t.equal((await get(h, '/healthz')).statusCode, 200, 'health is exempt')
  t.equal(
    (await get(h, '/api/deliveries', SECRETS.api, '198.51.100.7')).statusCode,
    200,
    'another source is not limited',
  )

  const p = await startTestApp(t, { config: config({ apiPerTenant: 2 }) })
  // Bad tokens have no identity to count: they use none of team-a's budget.
  for (let i = 0; i < 5; i++) t.equal((await get(p, '/api/deliveries', 'not-a-valid-token')).statusCode, 401)
  t.equal((await get(p, '/api/deliveries', TOKEN_A)).statusCode, 200)
  t.equal(
    (await get(p, '/api/builds', TOKEN_A, '198.51.100.7')).statusCode,
    200,
    'one budget whatever the route or address',
  )
  isRateLimited(t, await get(p, '/api/diffs/some-id', TOKEN_A), /for this token/)
  isRateLimited(t, await get(p, '/diffs/some-id', TOKEN_A), /for this token/)
  t.equal((await get(p, '/api/deliveries', TOKEN_B)).statusCode, 200, 'another tenant is not limited')
  t.equal((await get(p, '/api/deliveries', SECRETS.api)).statusCode, 200, 'nor a token of every tenant')
})

t.test('the defaults never hurt a real burst: 500 concurrent signed deliveries from one address', async (t) => {
  const h = await startTestApp(t, { config: testConfig() })
  const results = await Promise.all(Array.from({ length: 500 }, () => post(h, pushOf('acme-ds/churn-model'))))
  t.same([...new Set(results.map((r) => r.statusCode))], [202])
  t.equal(await count(h), 500)
  const defaults = testConfig().server.rateLimit
  t.same(defaults, {
    windowMs: 60_000,
    hooksPerSource: 10_000,
    hooksPerTenant: 5_000,
    apiPerSource: 3_000,
    apiPerTenant: 1_200,
  })
})

t.test('0 turns a limit off', async (t) => {
  const h = await startTestApp(t, { config: config({ hooksPerSource: 0, hooksPerTenant: 0 }) })
  for (let i = 0; i < 5; i++) t.equal((await post(h, pushOf('team-a/m'))).statusCode, 202)
})
